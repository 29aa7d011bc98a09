-- The `reporting` schema (sql/019, sql/023, docs/reporting.md): the fold of its date dimension,
-- called by the balance projector's step (ledger_project), and the functions a BI user asks it
-- with, which apply the rules of spec section 4 so that the user need not know them. Its facts,
-- accounts and ledgers are views over the ledger's own tables (sql/023).
create schema if not exists reporting;

-- Account `id`'s path to its `n`th segment (`assets:bank:checking`, 2: `assets:bank`), or null
-- when it has fewer segments: the levels of the account dimension (the view reporting.accounts, sql/023).
create or replace function reporting_account_level(p_account_id text, p_level integer)
returns text language sql immutable as $$
  select case when p_level <= cardinality(string_to_array(p_account_id, ':'))
              then array_to_string((string_to_array(p_account_id, ':'))[1:p_level], ':') end
$$;

-- What the schema's tables were folded with before sql/023 made them views over the ledger's own.
drop function if exists reporting_fold(text, bigint);
drop function if exists reporting_fold_postings(text, bigint, bigint, text);
drop function if exists reporting_positions_of(text, text);
drop type if exists reporting_link;

-- The date dimension's rows for the facts at positions in (p_after, p_upto] of the ledger's log:
-- each effective and recorded date they fall on (in the ledger's timezone) that it does not hold
-- yet, a probe of its key per distinct date. The schema's one table (sql/023): folded by the
-- balance projector's step (ledger_project) for the events it folds, under its lock; by migration
-- 019 for the whole log (p_after 0) of a database that had ledgers. Answers p_upto.
create or replace function reporting_fold(p_ledger_id text, p_upto bigint, p_after bigint default 0)
returns bigint language plpgsql volatile as $$
declare
  tz text;
begin
  select l.timezone into tz from ledgers l where l.ledger_id = p_ledger_id;
  insert into reporting.dates (date, year, quarter, month, day, year_quarter, year_month, month_name, iso_year, iso_week, day_of_week, day_name)
  select d.date, extract(year from d.date), extract(quarter from d.date), extract(month from d.date), extract(day from d.date),
         to_char(d.date, 'YYYY-"Q"Q'), to_char(d.date, 'YYYY-MM'), trim(to_char(d.date, 'Month')),
         extract(isoyear from d.date), extract(week from d.date), extract(isodow from d.date), trim(to_char(d.date, 'Day'))
    from (select distinct unnest(array[(p.effective_at at time zone tz)::date, (p.recorded_at at time zone tz)::date]) as date
            from postings p
           where p.ledger_id = p_ledger_id and p.position > p_after and p.position <= p_upto) d
   where not exists (select 1 from reporting.dates x where x.date = d.date)
  on conflict do nothing;
  return p_upto;
end $$;

-- The facts as known at recorded time `recorded_as_of` (inclusive; default: everything
-- recorded) or at log position `recorded_as_of_position` (both: the earlier), effective by
-- `effective_as_of` (inclusive; default: now). Links as known then; for each pending posting, its
-- hold's state at (R, E): 'pending' (active: it counts against the available balance), 'posted',
-- 'voided' or 'expired' (null for posted postings). The ledger balance of spec section 4 is the
-- sum of signed_amount where status = 'posted': reversals are ordinary postings and cancel what
-- they reverse; a captured hold's posted postings are rows of their own (entry_kind 'capture').
create or replace function reporting.postings_as_of(ledger text, recorded_as_of timestamptz default 'infinity',
                                                    effective_as_of timestamptz default now(), recorded_as_of_position bigint default null)
returns table (ledger_id text, "position" bigint, seq integer, transaction_id text, entry_kind text, account_id text, direction text,
               amount numeric, signed_amount numeric, debit numeric, credit numeric, currency text, status text, hold_state text,
               description text, transaction_metadata jsonb, effective_at timestamptz, effective_date date,
               recorded_at timestamptz, recorded_date date, expires_at timestamptz,
               reverses text, reversed_by text, corrects text, corrected_by text)
language sql stable as $$
  with point as (
    select coalesce($4, 9223372036854775807) as p, $2 as r, $3 as e
  )
  select f.ledger_id, f.position, f.seq, f.transaction_id, f.entry_kind, f.account_id, f.direction,
         f.amount, f.signed_amount, f.debit, f.credit, f.currency, f.status,
         case when f.status <> 'pending' then null
              when f.hold_resolved_position <= point.p and f.hold_resolved_recorded_at <= point.r
                   and least(f.hold_resolved_recorded_at, f.hold_resolved_effective_at) <= point.e then f.hold_resolution
              when f.expires_at <= point.e then 'expired'
              else 'pending' end,
         f.description, f.transaction_metadata, f.effective_at, f.effective_date, f.recorded_at, f.recorded_date, f.expires_at,
         f.reverses,
         case when f.reversed_by_position <= point.p and f.reversed_by_recorded_at <= point.r then f.reversed_by end,
         f.corrects,
         case when f.corrected_by_position <= point.p and f.corrected_by_recorded_at <= point.r then f.corrected_by end
    from point, reporting.postings f
   where f.ledger_id = $1 and f.position <= point.p and f.recorded_at <= point.r and f.effective_at <= point.e
$$;

-- Every account opened as known at R (the coordinates of postings_as_of) with the balances of
-- spec section 4 at (R, E), as `GET .../balances` answers them: posted debits and credits
-- (effective by E), the ledger balance (signed on the account's normal side), active holds
-- (pending), scheduled postings (known by E, effective after it) and the available balance
-- (the ledger balance less the contra side of holds and scheduled postings).
create or replace function reporting.balances_as_of(ledger text, recorded_as_of timestamptz default 'infinity',
                                                    effective_as_of timestamptz default now(), recorded_as_of_position bigint default null)
returns table (ledger_id text, account_id text, name text, type text, normal_balance text, currency text,
               level1 text, level2 text, level3 text, level4 text, level5 text, level6 text,
               posted_debits numeric, posted_credits numeric, ledger_balance numeric,
               pending_debits numeric, pending_credits numeric, scheduled_debits numeric, scheduled_credits numeric,
               available_balance numeric)
language sql stable as $$
  with point as (
    select coalesce($4, 9223372036854775807) as p, $2 as r, $3 as e
  ), sums as (
    select f.account_id,
           sum(f.debit) filter (where f.status = 'posted' and f.effective_at <= point.e) as posted_debits,
           sum(f.credit) filter (where f.status = 'posted' and f.effective_at <= point.e) as posted_credits,
           sum(f.debit) filter (where f.status = 'pending' and reporting.hold_active(f.hold_resolved_position, f.hold_resolved_recorded_at, f.hold_resolved_effective_at,
                                                                                     f.recorded_at, f.effective_at, f.expires_at, point.p, point.r, point.e)) as pending_debits,
           sum(f.credit) filter (where f.status = 'pending' and reporting.hold_active(f.hold_resolved_position, f.hold_resolved_recorded_at, f.hold_resolved_effective_at,
                                                                                      f.recorded_at, f.effective_at, f.expires_at, point.p, point.r, point.e)) as pending_credits,
           sum(f.debit) filter (where f.status = 'posted' and f.recorded_at <= point.e and f.effective_at > point.e) as scheduled_debits,
           sum(f.credit) filter (where f.status = 'posted' and f.recorded_at <= point.e and f.effective_at > point.e) as scheduled_credits
      from point, reporting.postings f
     where f.ledger_id = $1 and f.position <= point.p and f.recorded_at <= point.r
     group by f.account_id
  ), zeroed as (
    select a.*, coalesce(s.posted_debits, 0) as pd, coalesce(s.posted_credits, 0) as pc,
           coalesce(s.pending_debits, 0) as hd, coalesce(s.pending_credits, 0) as hc,
           coalesce(s.scheduled_debits, 0) as sd, coalesce(s.scheduled_credits, 0) as sc
      from point, reporting.accounts a
      left join sums s on s.account_id = a.account_id
     where a.ledger_id = $1 and a.opened_position <= point.p and a.opened_at <= point.r
  )
  select z.ledger_id, z.account_id, z.name, z.type, z.normal_balance, z.currency, z.level1, z.level2, z.level3, z.level4, z.level5, z.level6,
         z.pd, z.pc, case when z.normal_balance = 'debit' then z.pd - z.pc else z.pc - z.pd end,
         z.hd, z.hc, z.sd, z.sc,
         case when z.normal_balance = 'debit' then z.pd - z.pc - z.hc - z.sc else z.pc - z.pd - z.hd - z.sd end
    from zeroed z
   order by z.account_id
$$;

-- Whether a hold's pending posting counts at (P, R, E), as ledger_hold_active (balance_checkpoints.sql) says:
-- known by E, not expired at E, and not posted or voided (as known at P and R) by E.
create or replace function reporting.hold_active(resolved_position bigint, resolved_recorded_at timestamptz, resolved_effective_at timestamptz,
                                                 hold_recorded_at timestamptz, hold_effective_at timestamptz, expires_at timestamptz,
                                                 p bigint, r timestamptz, e timestamptz)
returns boolean language sql immutable as $$
  select least(hold_recorded_at, hold_effective_at) <= e and (expires_at is null or expires_at > e)
     and not coalesce(resolved_position <= p and resolved_recorded_at <= r and least(resolved_recorded_at, resolved_effective_at) <= e, false)
$$;

-- The last microsecond of `day` in the ledger's timezone: what the API reads a plain date as,
-- for effective_as_of (`reporting.balances_as_of('acme', reporting.end_of_day('acme', '2026-03-31'))`).
create or replace function reporting.end_of_day(ledger text, on_date date)
returns timestamptz language sql stable as $$
  select ((on_date + 1)::timestamp at time zone l.timezone) - interval '1 microsecond' from reporting.ledgers l where l.ledger_id = ledger
$$;
