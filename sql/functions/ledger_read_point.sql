-- Resolves "as of recorded time R" to a position that can never change: when R is not older than
-- the visible head (no event is recorded after R), waits for any append in flight (shared lock)
-- so that every commit with a recorded time <= R is visible, and looks again. Also returns the
-- database clock as the default "now". A past R is one probe of events_by_recorded_at (the last
-- event at or before R, and whether one follows it), now a lock and one probe: each case its own
-- query, as an "is null or <= R" condition kept the index from seeking to R (a read walked back
-- through every later event).
create or replace function ledger_read_point(p_ledger_id text, p_recorded_as_of timestamptz)
returns table (read_position bigint, read_recorded_at timestamptz, read_now timestamptz)
language plpgsql volatile as $$
declare
  found_position bigint;
  found_recorded_at timestamptz;
  at_head boolean := true;
begin
  if p_recorded_as_of is not null then
    select f.position, f.recorded_at, not exists (select 1 from events e where e.ledger_id = p_ledger_id and e.recorded_at > p_recorded_as_of)
      into found_position, found_recorded_at, at_head
      from (select 1) one
      left join lateral (select e.position, e.recorded_at from events e where e.ledger_id = p_ledger_id and e.recorded_at <= p_recorded_as_of
                          order by e.recorded_at desc, e.position desc limit 1) f on true;
  end if;
  if at_head then
    perform pg_advisory_xact_lock_shared(hashtextextended('ledger:' || p_ledger_id, 0));
    if p_recorded_as_of is null then
      select e.position, e.recorded_at into found_position, found_recorded_at
        from events e where e.ledger_id = p_ledger_id
       order by e.recorded_at desc, e.position desc limit 1;
    else
      select e.position, e.recorded_at into found_position, found_recorded_at
        from events e where e.ledger_id = p_ledger_id and e.recorded_at <= p_recorded_as_of
       order by e.recorded_at desc, e.position desc limit 1;
    end if;
  end if;
  return query select coalesce(found_position, 0::bigint), found_recorded_at, clock_timestamp();
end $$;

-- A read's point from either of its recorded coordinates: a position (its recorded time, null
-- when there is no event there: past the head, or 0) or a recorded time (ledger_read_point).
create or replace function ledger_read_point_of(p_ledger_id text, p_recorded_as_of timestamptz, p_position bigint)
returns table (read_position bigint, read_recorded_at timestamptz, read_now timestamptz)
language plpgsql volatile as $$
begin
  if p_position is null then
    return query select * from ledger_read_point(p_ledger_id, p_recorded_as_of);
  else
    return query select p_position, (select e.recorded_at from events e where e.ledger_id = p_ledger_id and e.position = p_position), clock_timestamp();
  end if;
end $$;
