-- Point reads in one statement each (one round trip): the read point, what is read at it, and
-- whether the ledger exists at all, together. A read at a position past the head answers its
-- point with no recorded time and nothing else (the service refuses it).

-- One account's balance at (R, E): the account as of the point, the scale of its asset when the
-- ledger declared it (null: an ISO 4217 currency), and its six sums (ledger_account_sums, through
-- the account's nearest checkpoint or from the log's start). E defaults to "now": the database's
-- clock, or the recorded time read if that is later. Its plans are made once per session, on the
-- indexes (a custom plan at every call cost more than the probes it planned). Few statements: on
-- the embedded database each costs a read more than the probes in it. The point is found first
-- (for a ledger that does not exist it finds nothing), then the ledger, the account, its closure
-- and its asset in one query.
create or replace function ledger_balance_read(p_ledger_id text, p_account_id text, p_recorded_as_of timestamptz, p_position bigint,
                                               p_effective_at timestamptz, p_tail_max integer)
returns table (ledger_found boolean, read_position bigint, read_recorded_at timestamptz, read_now timestamptz, read_effective_at timestamptz,
               name text, normal_balance text, currency text, no_overdraft boolean, metadata jsonb, type text,
               opened_position bigint, opened_at timestamptz, closed boolean, asset_scale integer,
               posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile set plan_cache_mode = force_generic_plan set enable_seqscan = off as $$
declare
  point record;
  effective timestamptz;
  account record;
begin
  select * into point from ledger_read_point_of(p_ledger_id, p_recorded_as_of, p_position);
  effective := coalesce(p_effective_at, greatest(point.read_now, point.read_recorded_at));
  select exists (select 1 from ledgers l where l.ledger_id = p_ledger_id) as ledger_found, a.account_id, a.name, a.normal_balance, a.currency, a.no_overdraft,
         a.metadata, a.type, a.position, a.recorded_at,
         exists (select 1 from account_closures c where c.ledger_id = p_ledger_id and c.account_id = p_account_id and c.position <= point.read_position) as closed,
         (select s.scale from assets s where s.ledger_id = p_ledger_id and s.code = a.currency) as scale
    into account
    from (select 1) one
    left join accounts a on a.ledger_id = p_ledger_id and a.account_id = p_account_id and a.position <= point.read_position;
  if not account.ledger_found then
    return query select false, null::bigint, null::timestamptz, null::timestamptz, null::timestamptz, null, null, null, null::boolean, null::jsonb, null, null::bigint,
                        null::timestamptz, null::boolean, null::integer, null::numeric, null::numeric, null::numeric, null::numeric, null::numeric, null::numeric;
    return;
  end if;
  if account.account_id is null or (point.read_position > 0 and point.read_recorded_at is null) then
    return query select true, point.read_position, point.read_recorded_at, point.read_now, effective, null, null, null, null::boolean, null::jsonb, null, null::bigint,
                        null::timestamptz, null::boolean, null::integer, null::numeric, null::numeric, null::numeric, null::numeric, null::numeric, null::numeric;
    return;
  end if;
  if p_tail_max > 0 and not pg_is_in_recovery() then
    -- Reads build (the projector does not): the checkpoints the tail before P calls for.
    perform ledger_checkpoint_for(p_ledger_id, p_account_id, point.read_position, p_tail_max);
  end if;
  return query
  select true, point.read_position, point.read_recorded_at, point.read_now, effective, account.name, account.normal_balance, account.currency, account.no_overdraft,
         account.metadata, account.type, account.position, account.recorded_at, account.closed, account.scale,
         sums.posted_debits, sums.posted_credits, sums.pending_debits, sums.pending_credits, sums.scheduled_debits, sums.scheduled_credits
    from ledger_account_sums(p_ledger_id, p_account_id, point.read_position,
                             coalesce(ledger_nearest_checkpoint(p_ledger_id, p_account_id, point.read_position), 0), effective) sums;
end $$;

-- The ledger at R: its name and timezone, its head (the read position) and the last period it
-- closed as of then.
create or replace function ledger_info_read(p_ledger_id text, p_recorded_as_of timestamptz, p_position bigint)
returns table (ledger_found boolean, read_position bigint, read_recorded_at timestamptz, read_now timestamptz,
               name text, timezone text, closed_through date)
language plpgsql volatile as $$
declare
  ledger ledgers%rowtype;
  point record;
begin
  select l.* into ledger from ledgers l where l.ledger_id = p_ledger_id;
  if ledger.ledger_id is null then
    return query select false, null::bigint, null::timestamptz, null::timestamptz, null, null, null::date;
    return;
  end if;
  select * into point from ledger_read_point_of(p_ledger_id, p_recorded_as_of, p_position);
  return query
  select true, point.read_position, point.read_recorded_at, point.read_now, ledger.name, ledger.timezone,
         (select c.through from period_closes c where c.ledger_id = p_ledger_id and c.position <= point.read_position
           order by c.position desc limit 1);
end $$;
