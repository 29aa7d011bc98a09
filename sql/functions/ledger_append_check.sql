-- The check of a one-round-trip append (src/adapters/db/write-cache.ts): the process decided a
-- batch against the ledger's state as it last knew it, and the append statement runs this first.
-- It takes the ledger's append lock (ledger_lock_head), then confirms, with a snapshot taken
-- after the lock (but for the claims):
--   - the head is the one the process expected (position and hash): nobody else appended since;
--   - the recorded time the process chose is still ahead of the database's clock and of the
--     head's, so it follows commit order, and no reader can yet have asked as of a time at or
--     after it (ledger_read_point);
--   - none of the batch's idempotency claims is taken (the process does not know every key),
--     probed before the lock (the primary key catches a claim taken since, at the insert).
-- Otherwise it raises, the statement records nothing, and the process appends the slow way
-- (ledger_lock_and_load). SQLSTATE LA001: the head is behind the expected one (an append of the
-- same process ahead of this one has not committed yet); LA002: someone else appended; LA003:
-- the recorded time is past, the detail is the database's clock; LA004: a claim is taken.
-- Answers the database's clock once the lock was granted (what the process learns its lead from).
-- With p_recorded_at null (a large batch, decided after the lock: one-trip-append.ts), the time
-- is not checked and the answer is the commit's recorded time, as ledger_lock_head gives it.
-- Sequential and bitmap scans off: plpgsql keeps a statement's plan for the session, and one made
-- while the ledger's keys looked few (a new database) read every key of the ledger through the
-- index on ledger_id alone and compared each with every claim: 415 ms a call for a batch of
-- 1,000 claims once the ledger had 13,000 keys.
create or replace function ledger_append_check(
  p_ledger_id text, p_expected_position bigint, p_expected_hash text, p_recorded_at timestamptz, p_claims jsonb
) returns timestamptz
language plpgsql volatile set enable_seqscan = off set enable_bitmapscan = off as $$
declare
  head record;
  locked_at timestamptz;
  claim_scope text;
  claim_key text;
begin
  -- The claims first, before the lock, so that a batch's thousand probes do not hold it (they run
  -- while the append before it commits). A claim taken between its probe and the lock is caught
  -- by the primary key when the rows are inserted (23505): nothing is recorded, and the process
  -- goes the slow way, which replays it. One probe of the primary key a claim, in a loop, so that
  -- no plan can make it a scan: the claims as arrays (= any) took 2 to 3 ms for a group's few
  -- claims on an index-only scan, and a plan kept from a new database read every key of the ledger.
  for claim_scope, claim_key in select c ->> 'scope', c ->> 'key' from jsonb_array_elements(p_claims) c loop
    if exists (select 1 from idempotency_keys k where k.ledger_id = p_ledger_id and k.scope = claim_scope and k.key = claim_key) then
      raise exception 'an idempotency key of the batch is taken' using errcode = 'LA004';
    end if;
  end loop;
  select * into head from ledger_lock_head(p_ledger_id);
  locked_at := clock_timestamp();
  if head.head_position < p_expected_position then
    raise exception 'ledger % is at position %, before the expected %', p_ledger_id, head.head_position, p_expected_position
      using errcode = 'LA001';
  end if;
  if head.head_position > p_expected_position or head.head_hash <> p_expected_hash then
    raise exception 'ledger % moved past the expected head %', p_ledger_id, p_expected_position using errcode = 'LA002';
  end if;
  -- The earliest recorded time the lock allows now: after the clock and the head's.
  if p_recorded_at is not null and p_recorded_at <= head.commit_recorded_at then
    raise exception 'the recorded time % is past', p_recorded_at using errcode = 'LA003', detail = locked_at::text;
  end if;
  return case when p_recorded_at is null then head.commit_recorded_at else locked_at end;
end $$;
