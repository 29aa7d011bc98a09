-- Point reads in one statement each (one round trip): the read point, what is read at it, and
-- whether the ledger exists at all, together. A read at a position past the head answers its
-- point with no recorded time and nothing else (the service refuses it).

-- One account's balance at (R, E): the account as of the point, the scale of its asset when the
-- ledger declared it (null: an ISO 4217 currency), and its six sums (ledger_balance_sums says
-- which), through the account's nearest checkpoint (ledger_nearest_checkpoint) or from the log's
-- start. E defaults to "now": the database's clock, or the recorded time read if that is later.
-- The read point (ledger_read_point), then one statement for the rest: ledger_account_sums' and
-- ledger_posted_sums' queries in it rather than called. Each nested call cost its own
-- statements, its executor and a tuplestore of its rows, and on the embedded database each
-- statement costs a read more than the probes in it. Its plans are made once per session, on the
-- indexes (a custom plan at every call cost more than the probes it planned).
create or replace function ledger_balance_read(p_ledger_id text, p_account_id text, p_recorded_as_of timestamptz, p_position bigint,
                                               p_effective_at timestamptz, p_tail_max integer)
returns table (ledger_found boolean, read_position bigint, read_recorded_at timestamptz, read_now timestamptz, read_effective_at timestamptz,
               name text, normal_balance text, currency text, no_overdraft boolean, metadata jsonb, type text,
               opened_position bigint, opened_at timestamptz, closed boolean, asset_scale integer,
               posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off as $$
declare
  point_position bigint;
  point_recorded_at timestamptz;
  point_now timestamptz;
  effective timestamptz;
  -- E's day, its side read and the checkpoint's row below it: as in ledger_posted_sums.
  day_of_e bigint;
  day_start timestamptz;
  late boolean;
  day_from timestamptz;
  day_through timestamptz;
  last_day bigint;
  side numeric;
begin
  -- ledger_read_point_of, with its position's one probe here.
  if p_position is null then
    select r.read_position, r.read_recorded_at, r.read_now into point_position, point_recorded_at, point_now from ledger_read_point(p_ledger_id, p_recorded_as_of) r;
  else
    point_position := p_position;
    select e.recorded_at into point_recorded_at from events e where e.ledger_id = p_ledger_id and e.position = p_position;
    point_now := clock_timestamp();
  end if;
  effective := coalesce(p_effective_at, greatest(point_now, point_recorded_at));
  if p_tail_max > 0 and (point_position = 0 or point_recorded_at is not null) and not pg_is_in_recovery() then
    -- Reads build (the projector does not): the checkpoints the tail before P calls for.
    perform ledger_checkpoint_for(p_ledger_id, a.account_id, point_position, p_tail_max)
       from accounts a where a.ledger_id = p_ledger_id and a.account_id = p_account_id and a.position <= point_position;
  end if;
  day_of_e := ledger_effective_day(effective);
  day_start := to_timestamp(day_of_e * 86400);
  late := effective >= day_start + interval '12 hours';
  day_from := case when late then effective + interval '1 microsecond' else day_start end;
  day_through := case when late then to_timestamp((day_of_e + 1) * 86400) - interval '1 microsecond' else effective end;
  last_day := case when late then day_of_e else day_of_e - 1 end;
  side := case when late then -1 else 1 end;
  -- The ledger, the account as of the point (none past the head), its closure and its asset, and
  -- its sums as ledger_account_sums adds them (see there and ledger_posted_sums for the indexes
  -- each part is kept on), the checkpoint probed in the statement.
  return query
  select ledger.found, case when ledger.found then point_position end, case when ledger.found then point_recorded_at end,
         case when ledger.found then point_now end, case when ledger.found then effective end,
         a.name, a.normal_balance, a.currency, a.no_overdraft, a.metadata, a.type, a.position, a.recorded_at, a.closed, a.scale,
         sums.posted_debits, sums.posted_credits, sums.pending_debits, sums.pending_credits, sums.scheduled_debits, sums.scheduled_credits
    from (select exists (select 1 from ledgers l where l.ledger_id = p_ledger_id) as found offset 0) ledger
    left join lateral (
      select a.name, a.normal_balance, a.currency, a.no_overdraft, a.metadata, a.type, a.position, a.recorded_at,
             exists (select 1 from account_closures c where c.ledger_id = p_ledger_id and c.account_id = p_account_id and c.position <= point_position) as closed,
             (select s.scale from assets s where s.ledger_id = p_ledger_id and s.code = a.currency) as scale
        from accounts a
       where a.ledger_id = p_ledger_id and a.account_id = p_account_id and a.position <= point_position and (point_position = 0 or point_recorded_at is not null)) a on ledger.found
    left join lateral (
      select coalesce(base.debits, 0) + coalesce(rest.debits, 0) as posted_debits, coalesce(base.credits, 0) + coalesce(rest.credits, 0) as posted_credits,
             pending.debits as pending_debits, pending.credits as pending_credits, scheduled.debits as scheduled_debits, scheduled.credits as scheduled_credits
        from (select case when after_p - point_position < point_position - coalesce(before_p, 0) then after_p else coalesce(before_p, 0) end as position
                from (select (select b.position from balance_checkpoints b
                               where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position <= point_position
                               order by b.position desc limit 1) as before_p,
                             (select b.position from balance_checkpoints b
                               where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position > point_position
                               order by b.position limit 1) as after_p offset 0) probes
              offset 0) checkpoint -- `offset 0`s: each probed once, not once for each use
        cross join lateral (
          select sum(parts.debits) as debits, sum(parts.credits) as credits from (
            select side * sum(p.amount) filter (where p.direction = 'debit') as debits,
                   side * sum(p.amount) filter (where p.direction = 'credit') as credits from postings p
             where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status || '' = 'posted'
               and p.position + 0 <= checkpoint.position and checkpoint.position > 0
               and p.effective_at >= day_from and p.effective_at <= day_through
            union all
            select case when checkpoint.position <= point_position then 1 else -1 end * sum(p.amount) filter (where p.direction = 'debit'),
                   case when checkpoint.position <= point_position then 1 else -1 end * sum(p.amount) filter (where p.direction = 'credit') from postings p
             where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
               and p.position > least(checkpoint.position, point_position) and p.position <= greatest(checkpoint.position, point_position)
               and p.effective_at + interval '0' <= effective) parts) rest
        left join lateral (
          select b.debits, b.credits from balance_checkpoints b
           where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position = checkpoint.position and b.day <= last_day
           order by b.day desc limit 1) base on true
        cross join lateral (
          select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                 coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
            from postings p
           where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted' and p.effective_at > p.recorded_at
             and p.effective_at > effective and p.recorded_at <= effective and p.position <= point_position) scheduled
        cross join lateral (
          select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                 coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
            from postings p
           where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'pending' and p.position <= point_position
             and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, point_position, effective)) pending) sums
      on a.name is not null;
end $$;

-- Several balance reads at once, each as ledger_balance_read answers it at its own coordinates,
-- numbered by its place in the arrays (read_index, from 1): the read points in three statements
-- for all of them (ledger_read_point's probes, the locks of the ledgers read at their head, then
-- those probed again), then one statement for the rest. Gathered reads
-- (src/adapters/db/balance-read-batches.ts) pay the function's call, its statements' starts and
-- their executors once, not once a read.
create or replace function ledger_balance_reads(p_ledger_ids text[], p_account_ids text[], p_recorded_as_ofs timestamptz[], p_positions bigint[],
                                                p_effective_ats timestamptz[], p_tail_maxes integer[])
returns table (read_index bigint, ledger_found boolean, read_position bigint, read_recorded_at timestamptz, read_now timestamptz, read_effective_at timestamptz,
               name text, normal_balance text, currency text, no_overdraft boolean, metadata jsonb, type text,
               opened_position bigint, opened_at timestamptz, closed boolean, asset_scale integer,
               posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off as $$
declare
  point_positions bigint[];
  point_recorded_ats timestamptz[];
  at_head boolean[];
begin
  -- ledger_read_point_of for each read: a position's recorded time; a past R's last event (R
  -- is at the head when no event follows it, or when it is null).
  select array_agg(coalesce(q.position, f.position, 0) order by q.i),
         array_agg(case when q.position is not null then (select e.recorded_at from events e where e.ledger_id = q.ledger_id and e.position = q.position)
                        else f.recorded_at end order by q.i),
         array_agg(q.position is null and (q.recorded_as_of is null
                   or not exists (select 1 from events e where e.ledger_id = q.ledger_id and e.recorded_at > q.recorded_as_of)) order by q.i)
    into point_positions, point_recorded_ats, at_head
    from unnest(p_ledger_ids, p_recorded_as_ofs, p_positions) with ordinality q(ledger_id, recorded_as_of, position, i)
    left join lateral (select e.position, e.recorded_at from events e
                        where q.position is null and q.recorded_as_of is not null and e.ledger_id = q.ledger_id and e.recorded_at <= q.recorded_as_of
                        order by e.recorded_at desc, e.position desc limit 1) f on true;
  if true = any(at_head) then
    -- As ledger_read_point: the head waits for any append in flight, then is looked at again (a
    -- statement of its own, so that it sees what committed meanwhile).
    perform pg_advisory_xact_lock_shared(hashtextextended('ledger:' || h.ledger_id, 0))
       from (select distinct q.ledger_id from unnest(p_ledger_ids, at_head) q(ledger_id, at_head) where q.at_head order by q.ledger_id) h;
    select array_agg(case when q.at_head then coalesce(coalesce(now_head.position, past_head.position), 0) else q.position end order by q.i),
           array_agg(case when q.at_head then coalesce(now_head.recorded_at, past_head.recorded_at) else q.recorded_at end order by q.i)
      into point_positions, point_recorded_ats
      from unnest(p_ledger_ids, p_recorded_as_ofs, at_head, point_positions, point_recorded_ats) with ordinality q(ledger_id, recorded_as_of, at_head, position, recorded_at, i)
      left join lateral (select e.position, e.recorded_at from events e
                          where q.at_head and q.recorded_as_of is null and e.ledger_id = q.ledger_id
                          order by e.recorded_at desc, e.position desc limit 1) now_head on true
      left join lateral (select e.position, e.recorded_at from events e
                          where q.at_head and q.recorded_as_of is not null and e.ledger_id = q.ledger_id and e.recorded_at <= q.recorded_as_of
                          order by e.recorded_at desc, e.position desc limit 1) past_head on true;
  end if;
  if true = any(select t > 0 from unnest(p_tail_maxes) t) and not pg_is_in_recovery() then
    -- Reads build (the projector does not): the checkpoints the tail before P calls for.
    perform ledger_checkpoint_for(q.ledger_id, a.account_id, q.position, q.tail_max)
       from unnest(p_ledger_ids, p_account_ids, point_positions, point_recorded_ats, p_tail_maxes) q(ledger_id, account_id, position, recorded_at, tail_max)
       join accounts a on a.ledger_id = q.ledger_id and a.account_id = q.account_id and a.position <= q.position
      where q.tail_max > 0 and (q.position = 0 or q.recorded_at is not null);
  end if;
  -- ledger_balance_read's statement, each read's coordinates a row of `r` rather than parameters.
  return query
  select r.i, ledger.found, case when ledger.found then r.point_position end, case when ledger.found then r.point_recorded_at end,
         case when ledger.found then r.point_now end, case when ledger.found then r.effective end,
         a.name, a.normal_balance, a.currency, a.no_overdraft, a.metadata, a.type, a.position, a.recorded_at, a.closed, a.scale,
         sums.posted_debits, sums.posted_credits, sums.pending_debits, sums.pending_credits, sums.scheduled_debits, sums.scheduled_credits
    from (select q.i, q.ledger_id, q.account_id, q.point_position, q.point_recorded_at, q.point_now, q.effective,
                 case when d.late then q.effective + interval '1 microsecond' else d.day_start end as day_from,
                 case when d.late then to_timestamp((d.day_of_e + 1) * 86400) - interval '1 microsecond' else q.effective end as day_through,
                 case when d.late then d.day_of_e else d.day_of_e - 1 end as last_day,
                 case when d.late then -1 else 1 end as side
            from (select u.*, coalesce(u.effective_at, greatest(u.point_now, u.point_recorded_at)) as effective
                    from (select u.*, clock_timestamp() as point_now
                            from unnest(p_ledger_ids, p_account_ids, point_positions, point_recorded_ats, p_effective_ats) with ordinality
                                   u(ledger_id, account_id, point_position, point_recorded_at, effective_at, i) offset 0) u offset 0) q
            cross join lateral (select e.day_of_e, e.day_start, q.effective >= e.day_start + interval '12 hours' as late
                                  from (select x.day_of_e, to_timestamp(x.day_of_e * 86400) as day_start
                                          from (select ledger_effective_day(q.effective) as day_of_e) x) e) d
          offset 0) r
    cross join lateral (select exists (select 1 from ledgers l where l.ledger_id = r.ledger_id) as found offset 0) ledger
    left join lateral (
      select a.name, a.normal_balance, a.currency, a.no_overdraft, a.metadata, a.type, a.position, a.recorded_at,
             exists (select 1 from account_closures c where c.ledger_id = r.ledger_id and c.account_id = r.account_id and c.position <= r.point_position) as closed,
             (select s.scale from assets s where s.ledger_id = r.ledger_id and s.code = a.currency) as scale
        from accounts a
       where a.ledger_id = r.ledger_id and a.account_id = r.account_id and a.position <= r.point_position
         and (r.point_position = 0 or r.point_recorded_at is not null)) a on ledger.found
    left join lateral (
      select coalesce(base.debits, 0) + coalesce(rest.debits, 0) as posted_debits, coalesce(base.credits, 0) + coalesce(rest.credits, 0) as posted_credits,
             pending.debits as pending_debits, pending.credits as pending_credits, scheduled.debits as scheduled_debits, scheduled.credits as scheduled_credits
        from (select case when after_p - r.point_position < r.point_position - coalesce(before_p, 0) then after_p else coalesce(before_p, 0) end as position
                from (select (select b.position from balance_checkpoints b
                               where b.ledger_id = r.ledger_id and b.account_id = r.account_id and b.position <= r.point_position
                               order by b.position desc limit 1) as before_p,
                             (select b.position from balance_checkpoints b
                               where b.ledger_id = r.ledger_id and b.account_id = r.account_id and b.position > r.point_position
                               order by b.position limit 1) as after_p offset 0) probes
              offset 0) checkpoint
        cross join lateral (
          select sum(parts.debits) as debits, sum(parts.credits) as credits from (
            select r.side * sum(p.amount) filter (where p.direction = 'debit') as debits,
                   r.side * sum(p.amount) filter (where p.direction = 'credit') as credits from postings p
             where p.ledger_id = r.ledger_id and p.account_id = r.account_id and p.status || '' = 'posted'
               and p.position + 0 <= checkpoint.position and checkpoint.position > 0
               and p.effective_at >= r.day_from and p.effective_at <= r.day_through
            union all
            select case when checkpoint.position <= r.point_position then 1 else -1 end * sum(p.amount) filter (where p.direction = 'debit'),
                   case when checkpoint.position <= r.point_position then 1 else -1 end * sum(p.amount) filter (where p.direction = 'credit') from postings p
             where p.ledger_id = r.ledger_id and p.account_id = r.account_id and p.status = 'posted'
               and p.position > least(checkpoint.position, r.point_position) and p.position <= greatest(checkpoint.position, r.point_position)
               and p.effective_at + interval '0' <= r.effective) parts) rest
        left join lateral (
          select b.debits, b.credits from balance_checkpoints b
           where b.ledger_id = r.ledger_id and b.account_id = r.account_id and b.position = checkpoint.position and b.day <= r.last_day
           order by b.day desc limit 1) base on true
        cross join lateral (
          select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                 coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
            from postings p
           where p.ledger_id = r.ledger_id and p.account_id = r.account_id and p.status = 'posted' and p.effective_at > p.recorded_at
             and p.effective_at > r.effective and p.recorded_at <= r.effective and p.position <= r.point_position) scheduled
        cross join lateral (
          select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                 coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
            from postings p
           where p.ledger_id = r.ledger_id and p.account_id = r.account_id and p.status = 'pending' and p.position <= r.point_position
             and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, r.point_position, r.effective)) pending) sums
      on a.name is not null
   order by r.i;
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
