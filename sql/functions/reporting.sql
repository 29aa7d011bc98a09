-- The `reporting` schema (sql/019, docs/reporting.md): the fold that keeps it current, called by
-- the balance projector's step (ledger_project), and the functions a BI user asks it with, which
-- apply the rules of spec section 4 so that the user need not know them.
create schema if not exists reporting;

-- A transaction of a fold's range that reverses or corrects `target`: its id, position and recorded time.
do $$
begin
  create type reporting_link as (target text, id text, position bigint, recorded_at timestamptz);
exception when duplicate_object then null;
end $$;

-- Account `id`'s path to its `n`th segment (`assets:bank:checking`, 2: `assets:bank`), or null
-- when it has fewer segments.
create or replace function reporting_account_level(p_account_id text, p_level integer)
returns text language sql immutable as $$
  select case when p_level <= cardinality(string_to_array(p_account_id, ':'))
              then array_to_string((string_to_array(p_account_id, ':'))[1:p_level], ':') end
$$;

-- Folds the ledger's log from the schema's own progress through p_upto into the reporting
-- tables; answers the position folded to (NULL before migration 019 made them). Run by one
-- session per ledger at a time: inside ledger_project, under its advisory lock.
create or replace function reporting_fold(p_ledger_id text, p_upto bigint)
returns bigint language plpgsql volatile as $$
declare
  done bigint;
  tz text;
  opened text[];
  closed text[];
  resolved text[];
  links record;
  positions bigint[];
begin
  if to_regclass('reporting.postings') is null then
    return null;
  end if;
  select r.position into done from reporting_progress r where r.ledger_id = p_ledger_id;
  done := coalesce(done, 0);
  select l.timezone into tz from ledgers l where l.ledger_id = p_ledger_id;
  if p_upto <= done or tz is null then
    return done;
  end if;
  insert into reporting.ledgers (ledger_id, name, timezone)
  select l.ledger_id, l.name, l.timezone from ledgers l where l.ledger_id = p_ledger_id
  on conflict do nothing;
  -- The events that are not transactions, through events_not_transactions (sql/019): the tables
  -- they project to have no index by position, and most events are transactions.
  select coalesce(array_agg(e.data ->> 'accountId') filter (where e.type = 'AccountOpened'), '{}'),
         coalesce(array_agg(e.data ->> 'accountId') filter (where e.type = 'AccountClosed'), '{}'),
         coalesce(array_agg(e.data ->> 'holdId') filter (where e.type in ('HoldPosted', 'HoldVoided')), '{}')
    into opened, closed, resolved
    from events e
   where e.ledger_id = p_ledger_id and e.position > done and e.position <= p_upto and e.type <> 'TransactionRecorded'
     and e.type in ('AccountOpened', 'AccountClosed', 'HoldPosted', 'HoldVoided');
  if cardinality(opened) > 0 then
    insert into reporting.accounts (ledger_id, account_id, name, type, normal_balance, currency, no_overdraft, metadata, depth,
                                    level1, level2, level3, level4, level5, level6, opened_position, opened_at)
    select a.ledger_id, a.account_id, a.name, coalesce(a.type, 'unclassified'), a.normal_balance, a.currency, a.no_overdraft, a.metadata,
           cardinality(string_to_array(a.account_id, ':')),
           reporting_account_level(a.account_id, 1), reporting_account_level(a.account_id, 2), reporting_account_level(a.account_id, 3),
           reporting_account_level(a.account_id, 4), reporting_account_level(a.account_id, 5), reporting_account_level(a.account_id, 6),
           a.position, a.recorded_at
      from accounts a
     where a.ledger_id = p_ledger_id and a.account_id = any(opened)
    on conflict do nothing;
  end if;
  if cardinality(closed) > 0 then
    update reporting.accounts r set closed_position = c.position, closed_at = c.recorded_at
      from account_closures c
     where c.ledger_id = p_ledger_id and c.account_id = any(closed) and r.ledger_id = p_ledger_id and r.account_id = c.account_id;
  end if;
  -- The facts; and what they tell of earlier ones: the transactions they reverse and correct.
  select * into links from reporting_fold_postings(p_ledger_id, done, p_upto, tz);
  -- The other's facts are found by position (the facts' key, their only index): the position it
  -- was recorded at and, for a captured hold, the capture's. The positions go into the update as
  -- an array, so that its plan probes the key whatever the table looked like when it was made (a
  -- join on them scanned every fact of the ledger once the facts had grown past the plan's
  -- estimate, as in a rebuild, whose first steps see a table almost empty).
  if cardinality(links.reversals) > 0 then
    select array_agg(o.position) into positions from unnest(links.reversals) r, reporting_positions_of(p_ledger_id, r.target) o;
    update reporting.postings f
       set reversed_by = r.id, reversed_by_position = r.position, reversed_by_recorded_at = r.recorded_at
      from unnest(links.reversals) r
     where f.ledger_id = p_ledger_id and f.position = any(positions) and f.transaction_id = r.target;
  end if;
  if cardinality(links.corrections) > 0 then
    select array_agg(o.position) into positions from unnest(links.corrections) r, reporting_positions_of(p_ledger_id, r.target) o;
    update reporting.postings f
       set corrected_by = r.id, corrected_by_position = r.position, corrected_by_recorded_at = r.recorded_at
      from unnest(links.corrections) r
     where f.ledger_id = p_ledger_id and f.position = any(positions) and f.transaction_id = r.target;
  end if;
  if cardinality(resolved) > 0 then
    select array_agg(t.position) into positions from transactions t where t.ledger_id = p_ledger_id and t.transaction_id = any(resolved);
    update reporting.postings f
       set hold_resolution = h.type, hold_resolved_position = h.position, hold_resolved_recorded_at = h.recorded_at,
           hold_resolved_effective_at = h.effective_at
      from hold_resolutions h
      join transactions t on t.ledger_id = h.ledger_id and t.transaction_id = h.hold_id
     where h.ledger_id = p_ledger_id and h.hold_id = any(resolved)
       and f.ledger_id = p_ledger_id and f.position = any(positions) and f.position = t.position and f.status = 'pending';
  end if;
  insert into reporting_progress (ledger_id, position) values (p_ledger_id, p_upto)
  on conflict (ledger_id) do update set position = excluded.position, recorded_at = clock_timestamp();
  return p_upto;
end $$;

-- The positions of a transaction's facts: where it was recorded, and where a hold was captured.
create or replace function reporting_positions_of(p_ledger_id text, p_transaction_id text)
returns table ("position" bigint) language sql stable as $$
  select t.position from transactions t where t.ledger_id = p_ledger_id and t.transaction_id = p_transaction_id
  union all
  select h.position from hold_resolutions h where h.ledger_id = p_ledger_id and h.hold_id = p_transaction_id and h.type = 'posted'
$$;

-- The facts of the postings at positions in (p_after, p_upto] (never folded before: the caller
-- holds the ledger's lock and folds from its progress), and the dates they fall on (in the
-- ledger's timezone p_tz) for the date dimension; answers the links of the transactions
-- among them that reverse or correct another, for reporting_fold to record on the other's facts.
create or replace function reporting_fold_postings(p_ledger_id text, p_after bigint, p_upto bigint, p_tz text)
returns table (reversals reporting_link[], corrections reporting_link[]) language sql volatile as $$
  with inserted as (
    insert into reporting.postings (ledger_id, position, seq, transaction_id, entry_kind, account_id, direction, amount, signed_amount,
                                    debit, credit, currency, status, description, transaction_metadata, effective_at, effective_date,
                                    recorded_at, recorded_date, expires_at, reverses, corrects)
    select p.ledger_id, p.position, p.seq, p.transaction_id,
           case when t.position <> p.position then 'capture' when t.status = 'pending' then 'hold'
                when t.reverses is not null then 'reversal' when t.corrects is not null then 'replacement' else 'entry' end,
           p.account_id, p.direction, p.amount,
           case when p.direction = a.normal_balance then p.amount else -p.amount end,
           case when p.direction = 'debit' then p.amount else 0 end,
           case when p.direction = 'credit' then p.amount else 0 end,
           p.currency, p.status, coalesce(t.data ->> 'description', ''), coalesce(t.data -> 'metadata', '{}'),
           p.effective_at, (p.effective_at at time zone p_tz)::date, p.recorded_at, (p.recorded_at at time zone p_tz)::date,
           p.expires_at, t.reverses, t.corrects
      -- The range's postings first, by their key, then a probe each of their account and
      -- transaction: a plan made while the tables looked small (plpgsql keeps it) went the other
      -- way, over every account of the ledger with a probe of its postings each, so that every
      -- step cost as much as the ledger had accounts (35 ms a step at 1,000).
      from (select * from postings p
             where p.ledger_id = p_ledger_id and p.position > p_after and p.position <= p_upto
             order by p.position, p.seq) p
      cross join lateral (select a.normal_balance from accounts a where a.ledger_id = p.ledger_id and a.account_id = p.account_id) a
      cross join lateral (select t.position, t.status, t.reverses, t.corrects, t.data from transactions t
                           where t.ledger_id = p.ledger_id and t.transaction_id = p.transaction_id) t
    returning transaction_id, position, recorded_at, effective_date, recorded_date, reverses, corrects
  ), dated as (
    insert into reporting.dates (date, year, quarter, month, day, year_quarter, year_month, month_name, iso_year, iso_week, day_of_week, day_name)
    select d.date, extract(year from d.date), extract(quarter from d.date), extract(month from d.date), extract(day from d.date),
           to_char(d.date, 'YYYY-"Q"Q'), to_char(d.date, 'YYYY-MM'), trim(to_char(d.date, 'Month')),
           extract(isoyear from d.date), extract(week from d.date), extract(isodow from d.date), trim(to_char(d.date, 'Day'))
      from (select i.effective_date as date from inserted i union select i.recorded_date from inserted i) d
    on conflict do nothing
  )
  select coalesce(array_agg(distinct (i.reverses, i.transaction_id, i.position, i.recorded_at)::reporting_link) filter (where i.reverses is not null), '{}'),
         coalesce(array_agg(distinct (i.corrects, i.transaction_id, i.position, i.recorded_at)::reporting_link) filter (where i.corrects is not null), '{}')
    from inserted i
$$;

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
