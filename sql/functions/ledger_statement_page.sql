-- A page of an account's statement (GET .../entries): its posted postings at positions <= P,
-- effective by p_effective_to (and from p_effective_from), in (effective_at, position, seq)
-- order after the cursor's key, each with the running ledger balance (signed on the account's
-- normal side) through it.
--
-- The running balance at the page's start is read from the balance checkpoints
-- (ledger_posted_sums at the instant before the page's first effective time, plus the postings
-- at the cursor's own instant up to its key); the window then runs over the page's rows only. So
-- a page costs its rows, one day of postings and the tail after the checkpoint, never the
-- account's history before it. The rows come in order from postings_by_account.
create or replace function ledger_statement_page(
  p_ledger_id text, p_account_id text, p_position bigint, p_normal_balance text,
  p_effective_from timestamptz, p_effective_to timestamptz,
  p_after_effective_at timestamptz, p_after_position bigint, p_after_seq integer,
  p_limit integer, p_tail_max integer)
returns table ("position" bigint, seq integer, transaction_id text, recorded_at timestamptz, effective_at timestamptz, direction text,
               amount numeric, running numeric, reverses text, corrects text, reversed_by text)
language plpgsql volatile
-- Planned with each call's values: a generic plan, blind to how many rows the range holds, sorts
-- them all rather than reading the first ones in order.
set plan_cache_mode = force_custom_plan as $$
#variable_conflict use_column
declare
  -- A cursor before effectiveFrom (only a hand-made one) starts the page at effectiveFrom.
  from_cursor boolean := p_after_effective_at is not null and (p_effective_from is null or p_after_effective_at >= p_effective_from);
  start_at timestamptz := case when from_cursor then p_after_effective_at else p_effective_from end;
  checkpoint bigint;
  sums record;
  opening numeric := 0;
begin
  if start_at is not null then
    -- Everything effective before the page's first instant, through the checkpoints.
    checkpoint := ledger_checkpoint_for(p_ledger_id, p_account_id, p_position, p_tail_max);
    select * into sums from ledger_posted_sums(p_ledger_id, p_account_id, p_position, checkpoint, start_at - interval '1 microsecond');
    opening := case when p_normal_balance = 'debit' then sums.debits - sums.credits else sums.credits - sums.debits end;
  end if;
  if from_cursor then
    -- The postings at the cursor's instant up to its key: the page before ended with them.
    select opening + coalesce(sum(case when q.direction = p_normal_balance then q.amount else -q.amount end), 0) into opening
      from postings q
     where q.ledger_id = p_ledger_id and q.account_id = p_account_id and q.status = 'posted' and q.position <= p_position
       and q.effective_at = p_after_effective_at and (q.position, q.seq) <= (p_after_position, p_after_seq);
  end if;
  return query
  select p.position, p.seq, p.transaction_id, p.recorded_at, p.effective_at, p.direction, p.amount,
         opening + sum(case when p.direction = p_normal_balance then p.amount else -p.amount end)
                     over (order by p.effective_at, p.position, p.seq rows unbounded preceding),
         t.reverses, t.corrects,
         (select r.transaction_id from transactions r
           where r.ledger_id = p.ledger_id and r.reverses = p.transaction_id and r.position <= p_position)
    from (select q.ledger_id, q.position, q.seq, q.transaction_id, q.recorded_at, q.effective_at, q.direction, q.amount
            from postings q
           where q.ledger_id = p_ledger_id and q.account_id = p_account_id and q.status = 'posted' and q.position <= p_position
             and q.effective_at >= coalesce(start_at, '-infinity') and q.effective_at <= p_effective_to
             and (not from_cursor or (q.effective_at, q.position, q.seq) > (p_after_effective_at, p_after_position, p_after_seq))
           order by q.effective_at, q.position, q.seq
           limit p_limit) p
    join transactions t on t.ledger_id = p.ledger_id and t.transaction_id = p.transaction_id
   order by p.effective_at, p.position, p.seq;
end $$;
