-- Serializes appends to one ledger and returns its head and the recorded time of the new commit:
-- later than the head's by at least a microsecond, so recorded time strictly increases between
-- commits and, as the lock is held to commit, follows commit order. The head is read after the
-- lock is granted, by a statement with a fresh snapshot.
create or replace function ledger_lock_head(p_ledger_id text)
returns table (head_position bigint, head_hash text, commit_recorded_at timestamptz)
language plpgsql volatile as $$
declare
  last_position bigint;
  last_hash text;
  last_recorded_at timestamptz;
begin
  perform pg_advisory_xact_lock(hashtextextended('ledger:' || p_ledger_id, 0));
  select e.position, e.hash, e.recorded_at into last_position, last_hash, last_recorded_at
    from events e where e.ledger_id = p_ledger_id order by e.position desc limit 1;
  return query select coalesce(last_position, 0::bigint), coalesce(last_hash, repeat('0', 64)),
    greatest(clock_timestamp(), last_recorded_at + interval '1 microsecond');
end $$;
