-- Balance checkpoints: memos of the fold of an account's posted postings, so that a balance as
-- of any (position P, effective time E) reads a bounded number of rows, never the account's
-- whole history.
--
-- A checkpoint of an account at position C holds, for each effective day (UTC) on which the
-- account has posted postings at positions <= C, the sums of those effective before the end of
-- that day. Then the posted sums at (P, E), for the latest checkpoint C <= P, are:
--   the checkpoint's row for the last day before E's day
--   + the postings at positions <= C effective on E's day, up to E    (one day of postings)
--   + the postings at positions in (C, P] effective by E              (the tail: at most p_tail_max)
-- Checkpoints are built every p_tail_max postings, each from the one before: by the service's
-- checkpoint keeper in the background as accounts grow, and by any read (or noOverdraft check)
-- that still finds a longer tail. Derived state, append-only like the rest, emptied by
-- `npm run rebuild`. A read replica (in recovery) reads them but builds none.

-- Through an interval: extract() from a timestamptz is only stable, and an immutable function whose
-- body is not is never inlined; called, it cost a read more than any of its probes.
create or replace function ledger_effective_day(t timestamptz) returns bigint
language sql immutable as $$ select floor(extract(epoch from t - to_timestamp(0)) / 86400)::bigint $$;

-- The checkpoint at p_to, from the one at p_from (0: none) and the postings in (p_from, p_to].
create or replace function ledger_build_checkpoint(p_ledger_id text, p_account_id text, p_from bigint, p_to bigint)
returns void language sql volatile as $$
  insert into balance_checkpoints (ledger_id, account_id, position, day, debits, credits)
  select p_ledger_id, p_account_id, p_to, per_day.day,
         sum(per_day.debits) over (order by per_day.day), sum(per_day.credits) over (order by per_day.day)
    from (select amounts.day, sum(amounts.debits) as debits, sum(amounts.credits) as credits
            from (select b.day,
                         b.debits - coalesce(lag(b.debits) over by_day, 0) as debits,
                         b.credits - coalesce(lag(b.credits) over by_day, 0) as credits
                    from balance_checkpoints b
                   where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position = p_from
                  window by_day as (order by b.day)
                  union all
                  select ledger_effective_day(p.effective_at),
                         case when p.direction = 'debit' then p.amount else 0 end,
                         case when p.direction = 'credit' then p.amount else 0 end
                    from postings p
                   where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
                     and p.position > p_from and p.position <= p_to) amounts
           group by amounts.day) per_day
  on conflict do nothing
$$;

-- The latest checkpoint of the account at or before p_position, after building the ones its
-- tail calls for: one every p_tail_max posted postings (0 builds none). At most 100 per call, so
-- that the first read of a long history stays well inside a statement timeout (each build is a
-- few milliseconds, and what one read builds stays built); the reads after it build the rest.
create or replace function ledger_checkpoint_for(p_ledger_id text, p_account_id text, p_position bigint, p_tail_max integer)
returns bigint language plpgsql volatile as $$
declare
  checkpoint bigint;
  next_position bigint;
  builds_left integer := 100;
begin
  -- A backward probe of the primary key (max() would read every day row of every checkpoint).
  select b.position into checkpoint from balance_checkpoints b
   where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position <= p_position
   order by b.position desc limit 1;
  checkpoint := coalesce(checkpoint, 0);
  if p_tail_max <= 0 or pg_is_in_recovery() then
    return checkpoint;
  end if;
  while builds_left > 0 loop
    builds_left := builds_left - 1;
    -- The position of the (p_tail_max + 1)th posted posting after the checkpoint, if the tail is that long.
    select p.position into next_position from postings p
     where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
       and p.position > checkpoint and p.position <= p_position
     order by p.position offset p_tail_max limit 1;
    exit when next_position is null;
    -- Every posting of that position goes into the checkpoint: a transaction may post twice to one account.
    perform ledger_build_checkpoint(p_ledger_id, p_account_id, checkpoint, next_position);
    checkpoint := next_position;
  end loop;
  return checkpoint;
end $$;

-- Posted debits and credits of the account at positions <= p_position effective by
-- p_effective_at, through `checkpoint`: ledger_checkpoint_for's answer for p_position, or a
-- checkpoint after it (ledger_nearest_checkpoint), whose sums then lose the postings in
-- (p_position, checkpoint] instead of gaining a tail. Of E's day, the shorter side is read:
-- before noon (UTC), the checkpoint's row for the day before plus the postings from midnight to
-- E; from noon on, its row for E's day less the postings after E to midnight. An end of day
-- (balance-history, statements) reads no posting of its day at all.
-- Its plans are made once per session (a custom plan at every call took as long as a 1,000-posting
-- tail), on the indexes whatever the statistics were when they were made. ledger_balance_read
-- and ledger_balance_reads (ledger_point_reads.sql) have this query, and ledger_account_sums',
-- written into their own: a change to one is a change to all.
create or replace function ledger_posted_sums(p_ledger_id text, p_account_id text, p_position bigint, checkpoint bigint, p_effective_at timestamptz)
returns table (debits numeric, credits numeric) language plpgsql stable
set plan_cache_mode = force_generic_plan set enable_seqscan = off set enable_bitmapscan = off as $$
declare
  day_of_e bigint := ledger_effective_day(p_effective_at);
  day_start timestamptz := to_timestamp(day_of_e * 86400);
  late boolean := p_effective_at >= day_start + interval '12 hours';
  -- The side of E's day read, as one range (timestamps are whole microseconds): from midnight
  -- through E, or from just after E through the last microsecond of the day.
  day_from timestamptz := case when late then p_effective_at + interval '1 microsecond' else day_start end;
  day_through timestamptz := case when late then to_timestamp((day_of_e + 1) * 86400) - interval '1 microsecond' else p_effective_at end;
  -- The checkpoint's cumulative row: through the day before E's day, or through E's day.
  last_day bigint := case when late then day_of_e else day_of_e - 1 end;
  side numeric := case when late then -1 else 1 end;
  -- The positions between the checkpoint and P: added after a checkpoint before P, taken off before one after it.
  tail_after bigint := least(checkpoint, p_position);
  tail_through bigint := greatest(checkpoint, p_position);
  tail_side numeric := case when checkpoint <= p_position then 1 else -1 end;
begin
  -- `|| ''`, `+ 0` and `+ interval '0'` keep the planner (also its generic plan, made while the tables
  -- may have looked empty) off the index on the unselective condition: part of one day of postings
  -- through postings_by_account (none without a checkpoint), the tail through
  -- postings_by_account_status. Each part is summed as it is read and signed once (a row's own
  -- product, and a materialized union read twice for the two sides, took more than half of a long
  -- tail's time); the checkpoint's row is joined to the sums, not read twice.
  return query
  select coalesce(base.debits, 0) + coalesce(rest.debits, 0), coalesce(base.credits, 0) + coalesce(rest.credits, 0)
    from (select sum(parts.debits) as debits, sum(parts.credits) as credits from (
            select side * sum(p.amount) filter (where p.direction = 'debit') as debits,
                   side * sum(p.amount) filter (where p.direction = 'credit') as credits from postings p
             where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status || '' = 'posted'
               and p.position + 0 <= checkpoint and checkpoint > 0
               and p.effective_at >= day_from and p.effective_at <= day_through
            union all
            select tail_side * sum(p.amount) filter (where p.direction = 'debit'), tail_side * sum(p.amount) filter (where p.direction = 'credit') from postings p
             where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
               and p.position > tail_after and p.position <= tail_through and p.effective_at + interval '0' <= p_effective_at) parts) rest
    left join lateral (
      select b.debits, b.credits from balance_checkpoints b
       where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position = checkpoint and b.day <= last_day
       order by b.day desc limit 1) base on true;
end $$;

-- The checkpoint of the account nearest to p_position (a read's tail is the postings between
-- them): the latest at or before it, or the first after it when that is nearer; null when there
-- is none, or when reading from the log's start is shorter than from either (positions stand in
-- for the account's postings between).
create or replace function ledger_nearest_checkpoint(p_ledger_id text, p_account_id text, p_position bigint)
returns bigint language plpgsql stable set plan_cache_mode = force_generic_plan as $$
declare
  before_p bigint;
  after_p bigint;
begin
  -- Probes of the primary key either way, in one statement (plpgsql keeps its plan; a SQL function planned it at every call).
  select (select b.position from balance_checkpoints b
           where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position <= p_position
           order by b.position desc limit 1),
         (select b.position from balance_checkpoints b
           where b.ledger_id = p_ledger_id and b.account_id = p_account_id and b.position > p_position
           order by b.position limit 1)
    into before_p, after_p;
  return case when after_p - p_position < p_position - coalesce(before_p, 0) then after_p else before_p end;
end $$;

-- Whether a pending posting's hold counts at (p_position, p_effective_at): known and in force by E,
-- not expired at E, and not posted or voided (as of P) by E.
-- (The posting's columns one by one: the functions exist before the tables do.)
create or replace function ledger_hold_active(p_ledger_id text, p_hold_id text, p_recorded_at timestamptz, p_hold_effective_at timestamptz,
                                              p_expires_at timestamptz, p_position bigint, p_effective_at timestamptz)
returns boolean language sql stable as $$
  select least(p_recorded_at, p_hold_effective_at) <= p_effective_at and (p_expires_at is null or p_expires_at > p_effective_at)
     and not exists (select 1 from hold_resolutions h
                      where h.ledger_id = p_ledger_id and h.hold_id = p_hold_id
                        and h.position <= p_position and least(h.recorded_at, h.effective_at) <= p_effective_at)
$$;

-- One account's six sums (ledger_balance_sums says which) at (p_position, p_effective_at), the
-- posted ones through `checkpoint` (ledger_posted_sums; 0: from the log's start). Its plans are
-- made once per session, on the indexes.
create or replace function ledger_account_sums(p_ledger_id text, p_account_id text, p_position bigint, checkpoint bigint, p_effective_at timestamptz)
returns table (posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql stable set plan_cache_mode = force_generic_plan set enable_seqscan = off as $$
begin
  -- One statement (on the embedded database each costs more than its probes).
  return query
  select posted.debits, posted.credits, pending.debits, pending.credits, scheduled.debits, scheduled.credits
    from ledger_posted_sums(p_ledger_id, p_account_id, p_position, checkpoint, p_effective_at) posted,
    -- Scheduled: recorded by E (so at positions <= Q), effective after it, through postings_scheduled (sql/016).
    lateral (select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                    coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
               from postings p
              where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted' and p.effective_at > p.recorded_at
                and p.effective_at > p_effective_at and p.recorded_at <= p_effective_at and p.position <= p_position) scheduled,
    lateral (select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
                    coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
               from postings p
              where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'pending' and p.position <= p_position
                and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, p_effective_at)) pending;
end $$;

-- The six sums of spec section 4 for each account at (p_position, p_effective_at):
--   posted:    effective by E, at positions <= P;
--   scheduled: known by E (recorded at or before it: positions <= Q, the last recorded by E)
--              and effective after it, at positions <= P;
--   pending:   holds active at E and not resolved as of P (over the account's pending postings).
create or replace function ledger_balance_sums(p_ledger_id text, p_account_ids text[], p_position bigint, p_effective_at timestamptz, p_tail_max integer)
returns table (account_id text, posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile as $$
declare
  known bigint;
  account text;
  plain text[];
  checkpointed text[];
  checkpoints bigint[];
begin
  if p_tail_max > 0 and not pg_is_in_recovery() then
    -- Reads build (the projector does not): the checkpoints the tails before P call for.
    foreach account in array p_account_ids loop
      perform ledger_checkpoint_for(p_ledger_id, account, p_position, p_tail_max);
    end loop;
  end if;
  -- Several accounts with no checkpoint near P (most of a ledger's, whose histories are short)
  -- are summed in one pass over their postings below, a trial balance's thousands at once; the
  -- others, and a lone account (a balance read), one by one through their nearest checkpoint or
  -- from the log's start (checkpoint 0: their posted postings in position order, as a tail).
  select coalesce(array_agg(c.account_id) filter (where c.checkpoint is null), '{}'),
         coalesce(array_agg(c.account_id) filter (where c.checkpoint is not null), '{}'),
         coalesce(array_agg(c.checkpoint) filter (where c.checkpoint is not null), '{}')
    into plain, checkpointed, checkpoints
    from (select a.account_id,
                 coalesce(ledger_nearest_checkpoint(p_ledger_id, a.account_id, p_position), case when cardinality(p_account_ids) = 1 then 0 end) as checkpoint
            from unnest(p_account_ids) as a(account_id)
          offset 0) c; -- `offset 0`: each account's checkpoint found once, not once per aggregate
  if cardinality(plain) > 0 then
    -- A probe of events_by_recorded_at (positions follow recorded times), not a max over the log.
    select e.position into known from events e where e.ledger_id = p_ledger_id and e.recorded_at <= p_effective_at
     order by e.recorded_at desc, e.position desc limit 1;
    known := least(coalesce(known, 0), p_position);
    return query
    select a.account_id,
           coalesce(sum(p.amount) filter (where p.status = 'posted' and p.effective_at <= p_effective_at and p.direction = 'debit'), 0),
           coalesce(sum(p.amount) filter (where p.status = 'posted' and p.effective_at <= p_effective_at and p.direction = 'credit'), 0),
           coalesce(sum(p.amount) filter (where p.status = 'pending' and p.direction = 'debit' and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, p_effective_at)), 0),
           coalesce(sum(p.amount) filter (where p.status = 'pending' and p.direction = 'credit' and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, p_effective_at)), 0),
           coalesce(sum(p.amount) filter (where p.status = 'posted' and p.position <= known and p.effective_at > p_effective_at and p.direction = 'debit'), 0),
           coalesce(sum(p.amount) filter (where p.status = 'posted' and p.position <= known and p.effective_at > p_effective_at and p.direction = 'credit'), 0)
      from unnest(plain) as a(account_id)
      left join postings p on p.ledger_id = p_ledger_id and p.account_id = a.account_id and p.position <= p_position
     group by a.account_id;
  end if;
  for i in 1 .. cardinality(checkpointed) loop
    return query select checkpointed[i], s.* from ledger_account_sums(p_ledger_id, checkpointed[i], p_position, checkpoints[i], p_effective_at) s;
  end loop;
end $$;

-- One account's six sums at each of several effective times (balance-history, a statement's
-- opening and closing), as of one position P: what ledger_balance_sums answers at each, with the
-- tail after the checkpoint read once for all the points (a running sum over effective time,
-- merged with them) rather than once per point. Rows in the order of p_effective_ats (n from 1).
create or replace function ledger_balance_series(p_ledger_id text, p_account_id text, p_position bigint, p_effective_ats timestamptz[], p_tail_max integer)
returns table (n bigint, posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile as $$
declare
  checkpoint bigint := ledger_checkpoint_for(p_ledger_id, p_account_id, p_position, p_tail_max);
begin
  return query
  with points as (
    select e.t, e.n from unnest(p_effective_ats) with ordinality as e(t, n)
  ), merged as (
    -- A posting effective at a point's instant counts at that point: postings sort first (kind 0).
    select p.effective_at as t, 0 as kind, null::bigint as n,
           case when p.direction = 'debit' then p.amount else 0 end as debits,
           case when p.direction = 'credit' then p.amount else 0 end as credits
      from postings p
     where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted'
       and p.position > checkpoint and p.position <= p_position
    union all
    select points.t, 1, points.n, 0, 0 from points
  ), tail as (
    select m.n, m.kind, sum(m.debits) over by_time as debits, sum(m.credits) over by_time as credits
      from merged m
    window by_time as (order by m.t, m.kind rows unbounded preceding)
  )
  select points.n, at_checkpoint.debits + tail.debits, at_checkpoint.credits + tail.credits,
         pending.debits, pending.credits, scheduled.debits, scheduled.credits
    from points
    join tail on tail.kind = 1 and tail.n = points.n
    -- The checkpoint's row and the short side of the point's day (no tail: it ends at the checkpoint).
    cross join lateral ledger_posted_sums(p_ledger_id, p_account_id, checkpoint, checkpoint, points.t) as at_checkpoint
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
             coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
        from postings p
       where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'posted' and p.effective_at > p.recorded_at
         and p.effective_at > points.t and p.recorded_at <= points.t and p.position <= p_position) as scheduled
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
             coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
        from postings p
       where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'pending' and p.position <= p_position
         and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, points.t)) as pending
   order by points.n;
end $$;
