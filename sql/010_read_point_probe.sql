-- ledger_read_point (sql/001) again, the same answers: its "p_recorded_as_of is null or
-- recorded_at <= p_recorded_as_of" kept events_by_recorded_at from seeking to R, so a read as of
-- a recorded time walked back from the head through every later event (tens of milliseconds at
-- 100,000 events). Each case is now its own query, a single probe of the index.
create or replace function ledger_read_point(p_ledger_id text, p_recorded_as_of timestamptz)
returns table (read_position bigint, read_recorded_at timestamptz, read_now timestamptz)
language plpgsql volatile as $$
declare
  head_recorded_at timestamptz;
  found_position bigint;
  found_recorded_at timestamptz;
begin
  select e.recorded_at into head_recorded_at
    from events e where e.ledger_id = p_ledger_id order by e.recorded_at desc, e.position desc limit 1;
  if p_recorded_as_of is null or p_recorded_as_of >= head_recorded_at then
    perform pg_advisory_xact_lock_shared(hashtextextended('ledger:' || p_ledger_id, 0));
  end if;
  if p_recorded_as_of is null then
    select e.position, e.recorded_at into found_position, found_recorded_at
      from events e where e.ledger_id = p_ledger_id
     order by e.recorded_at desc, e.position desc limit 1;
  else
    select e.position, e.recorded_at into found_position, found_recorded_at
      from events e where e.ledger_id = p_ledger_id and e.recorded_at <= p_recorded_as_of
     order by e.recorded_at desc, e.position desc limit 1;
  end if;
  return query select coalesce(found_position, 0::bigint), found_recorded_at, clock_timestamp();
end $$;
