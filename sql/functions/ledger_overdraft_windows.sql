-- What the noOverdraft check needs of each of the given accounts that is noOverdraft, as of the
-- head (p_position), in one of two forms.
--
-- The floor, when it covers the account's bound in p_bounds (the most the batch may take out of
-- it; null: unknown): a lower bound of its available balance at every effective time from p_from
-- on, as of the head, from sums that balance checkpoints answer in a bounded number of rows:
--   what came in effective before p_from's day (posted, on its normal side)
--   - everything ever taken out (posted, on the other side, at any effective time)
--   - every hold on the other side that may be active at some time from p_from on.
-- The available balance at any time t >= p_from is what came in by t, less what was taken out
-- and known by t, less the holds active at t: each term is bounded by the one above. Most writes
-- to a funded wallet, backdated or not, are decided from the floor alone, at a cost that does not
-- grow with the wallet's history nor with the postings after p_from.
--
-- Else the window: its six balance sums at p_from (ledger_balance_sums: a checkpoint, one day
-- and a bounded tail, never the whole history), and the postings whose effect on its available
-- balance may change after p_from: posted ones effective after it, and holds that may still be
-- active after it, each with its resolution. Its cost grows with what happens after p_from.
--
-- Amounts as text: JSON numbers would round.
drop function if exists ledger_overdraft_windows(text, text[], bigint, timestamptz, integer);

create or replace function ledger_overdraft_floor(p_ledger_id text, p_account_id text, p_position bigint, p_from timestamptz, p_tail_max integer)
returns numeric language plpgsql volatile as $$
declare
  -- Later than any effective time (years to 9999, offsets to 14 hours), with a day number.
  end_of_time constant timestamptz := '10001-01-01 00:00:00+00';
  normal text;
  checkpoint bigint;
  came_in record;
  total record;
  holds numeric;
begin
  select a.normal_balance into normal from accounts a where a.ledger_id = p_ledger_id and a.account_id = p_account_id;
  checkpoint := ledger_checkpoint_for(p_ledger_id, p_account_id, p_position, p_tail_max);
  -- At the start of p_from's day: the checkpoint's row for the day before, and no day of postings to add up.
  select * into came_in from ledger_posted_sums(p_ledger_id, p_account_id, p_position, checkpoint, to_timestamp(ledger_effective_day(p_from) * 86400));
  select * into total from ledger_posted_sums(p_ledger_id, p_account_id, p_position, checkpoint, end_of_time);
  select coalesce(sum(p.amount), 0) into holds
    from postings p
   where p.ledger_id = p_ledger_id and p.account_id = p_account_id and p.status = 'pending' and p.direction <> normal
     and p.position <= p_position and (p.expires_at is null or p.expires_at > p_from)
     and not exists (select 1 from hold_resolutions h
                      where h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id
                        and h.position <= p_position and least(h.recorded_at, h.effective_at) <= p_from);
  return case when normal = 'debit' then came_in.debits - total.credits else came_in.credits - total.debits end - holds;
end $$;

create or replace function ledger_overdraft_windows(p_ledger_id text, p_account_ids text[], p_bounds numeric[], p_position bigint, p_from timestamptz, p_tail_max integer)
returns jsonb language plpgsql volatile as $$
declare
  guarded text[] := '{}';
  floors jsonb := '[]';
  account_floor numeric;
  i integer;
begin
  for i in 1 .. coalesce(cardinality(p_account_ids), 0) loop
    continue when not exists (select 1 from accounts a where a.ledger_id = p_ledger_id and a.account_id = p_account_ids[i] and a.no_overdraft);
    if p_bounds[i] is not null then
      account_floor := ledger_overdraft_floor(p_ledger_id, p_account_ids[i], p_position, p_from, p_tail_max);
      if account_floor >= p_bounds[i] then
        floors := floors || jsonb_build_array(jsonb_build_object('accountId', p_account_ids[i], 'from', p_from::text, 'floor', account_floor::text));
        continue;
      end if;
    end if;
    guarded := guarded || p_account_ids[i];
  end loop;
  if cardinality(guarded) = 0 then
    return floors;
  end if;
  return floors || (
    select coalesce(jsonb_agg(jsonb_build_object(
             'accountId', s.account_id,
             'from', p_from::text,
             'sums', jsonb_build_object(
               'postedDebits', s.posted_debits::text, 'postedCredits', s.posted_credits::text,
               'pendingDebits', s.pending_debits::text, 'pendingCredits', s.pending_credits::text,
               'scheduledDebits', s.scheduled_debits::text, 'scheduledCredits', s.scheduled_credits::text),
             'facts', (select coalesce(jsonb_agg(jsonb_build_object(
                         'accountId', w.account_id, 'transactionId', w.transaction_id, 'position', w.position,
                         'direction', w.direction, 'amount', w.amount::text, 'status', w.status,
                         'effectiveAt', w.effective_at::text, 'recordedAt', w.recorded_at::text, 'expiresAt', w.expires_at::text,
                         'resolutionPosition', w.resolution_position, 'resolutionKnownFrom', w.resolution_known_from::text)
                         order by w.position, w.seq), '[]')
                         from (select p.*, null::bigint as resolution_position, null::timestamptz as resolution_known_from
                                 from postings p
                                where p.ledger_id = p_ledger_id and p.account_id = s.account_id
                                  and p.effective_at > p_from and p.status = 'posted' and p.position <= p_position
                               union all
                               select p.*, h.position, least(h.recorded_at, h.effective_at)
                                 from postings p
                                 left join hold_resolutions h
                                   on h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id and h.position <= p_position
                                where p.ledger_id = p_ledger_id and p.account_id = s.account_id and p.status = 'pending'
                                  and p.position <= p_position and (p.expires_at is null or p.expires_at > p_from)
                                  and (h.position is null or least(h.recorded_at, h.effective_at) > p_from)) w))), '[]')
      from ledger_balance_sums(p_ledger_id, guarded, p_position, p_from, p_tail_max) s);
end $$;
