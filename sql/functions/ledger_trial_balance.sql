-- The six sums of spec section 4 for many accounts at once (a page of the trial balance, of a
-- balance sheet or an income statement) at (p_position, p_effective_at): what
-- ledger_balance_sums answers for each account, in one set-based statement. With p_tail_max > 0
-- (checkpoints built by reads, not by the projector) the accounts' checkpoints are built first, as
-- ledger_balance_sums builds them; with 0 (the service's way) nothing is built.
--
-- An account with no balance checkpoint at or before P (most of a ledger's: their histories are
-- shorter than the projector's step) is summed in one pass over its entries of postings_by_account
-- (an index-only scan: its posted and scheduled sums, and a count of its pending postings), and its
-- holds through postings_by_account_status only when it has pending postings. The others go
-- through their latest checkpoint C <= P with ledger_posted_sums, as a single account's read does
-- (C's row for the days before, the short side of E's day, and the tail in (C, P]); their
-- scheduled sums through postings_scheduled and their holds through postings_by_account_status.
-- Each account is a few index probes.
create or replace function ledger_trial_balance(p_ledger_id text, p_account_ids text[], p_position bigint, p_effective_at timestamptz, p_tail_max integer)
returns table (account_id text, posted_debits numeric, posted_credits numeric, pending_debits numeric, pending_credits numeric,
               scheduled_debits numeric, scheduled_credits numeric)
language plpgsql volatile
-- Planned with each call's values (P, E and the last position known by E are constants there).
-- No JIT: the estimates for the branch through checkpoints call for it, and compiling costs more
-- than the few index probes per account it would speed up. No bitmap scans: for the few postings
-- of each short history a plain index scan costs a third less (10,000 accounts: 124-152 ms of
-- the database's CPU against 194-228 ms, measured side by side).
-- Each account's postings are read by an index on (ledger_id, account_id) whatever the statistics
-- say. Right after a ledger's load they knew nothing of it (a new ledger grows a big table by less
-- than the tenth the statistics keeper waits for, and autovacuum takes up to a minute): the plan
-- read the ledger's postings by position (the primary key, a few rows by the estimates) and
-- filtered them by account, all of them again for each account, past the 10 s statement timeout
-- (10,000 accounts after a 1,000,000-posting ledger; test/db/trial-balance-stale-statistics).
-- So the ledger id comes from `accounts` (estimated as any ledger's share, not a new ledger's
-- none), `p.position + 0` is no bound on the primary key where no status narrows
-- postings_by_account_status, and no sequential scan (estimated cheaper while an account looks
-- like half of the table).
set plan_cache_mode = force_custom_plan set jit = off set enable_bitmapscan = off set enable_seqscan = off as $$
#variable_conflict use_column
declare
  known bigint;
begin
  if p_tail_max > 0 and not pg_is_in_recovery() then
    perform ledger_checkpoint_for(p_ledger_id, a.account_id, p_position, p_tail_max) from unnest(p_account_ids) as a(account_id);
  end if;
  -- The last position recorded by E (positions follow recorded times): what is scheduled at E is known by then.
  select e.position into known from events e where e.ledger_id = p_ledger_id and e.recorded_at <= p_effective_at
   order by e.recorded_at desc, e.position desc limit 1;
  known := least(coalesce(known, 0), p_position);
  return query
  with accounts as (
    select a.account_id, p_ledger_id as ledger_id,
           coalesce((select b.position from balance_checkpoints b
                      where b.ledger_id = p_ledger_id and b.account_id = a.account_id and b.position <= p_position
                      order by b.position desc limit 1), 0) as checkpoint
      from unnest(p_account_ids) as a(account_id)
  )
  select a.account_id, s.posted_debits, s.posted_credits, pending.debits, pending.credits, s.scheduled_debits, s.scheduled_credits
    from accounts a
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.status = 'posted' and p.effective_at <= p_effective_at and p.direction = 'debit'), 0) as posted_debits,
             coalesce(sum(p.amount) filter (where p.status = 'posted' and p.effective_at <= p_effective_at and p.direction = 'credit'), 0) as posted_credits,
             coalesce(sum(p.amount) filter (where p.status = 'posted' and p.position <= known and p.effective_at > p_effective_at and p.direction = 'debit'), 0) as scheduled_debits,
             coalesce(sum(p.amount) filter (where p.status = 'posted' and p.position <= known and p.effective_at > p_effective_at and p.direction = 'credit'), 0) as scheduled_credits,
             count(*) filter (where p.status = 'pending') as pendings
        from postings p
       where p.ledger_id = a.ledger_id and p.account_id = a.account_id and p.position + 0 <= p_position) s
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
             coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
        from postings p
       where p.ledger_id = a.ledger_id and p.account_id = a.account_id and p.status = 'pending' and p.position <= p_position
         and s.pendings > 0 and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, p_effective_at)) pending
   where a.checkpoint = 0
  union all
  select a.account_id, posted.debits, posted.credits, pending.debits, pending.credits, scheduled.debits, scheduled.credits
    from accounts a
    cross join lateral ledger_posted_sums(p_ledger_id, a.account_id, p_position, a.checkpoint, p_effective_at) posted
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
             coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
        from postings p
       where p.ledger_id = a.ledger_id and p.account_id = a.account_id and p.status = 'posted' and p.effective_at > p.recorded_at
         and p.effective_at > p_effective_at and p.recorded_at <= p_effective_at and p.position <= p_position) scheduled
    cross join lateral (
      select coalesce(sum(p.amount) filter (where p.direction = 'debit'), 0) as debits,
             coalesce(sum(p.amount) filter (where p.direction = 'credit'), 0) as credits
        from postings p
       where p.ledger_id = a.ledger_id and p.account_id = a.account_id and p.status = 'pending' and p.position <= p_position
         and ledger_hold_active(p.ledger_id, p.transaction_id, p.recorded_at, p.effective_at, p.expires_at, p_position, p_effective_at)) pending
   where a.checkpoint > 0;
end $$;
