-- What the noOverdraft check needs of each of the given accounts that is noOverdraft, as of the
-- head (p_position): its six balance sums at p_from (ledger_balance_sums: a checkpoint, one day
-- and a bounded tail, never the whole history), and the postings whose effect on its available
-- balance may change after p_from: posted ones effective after it, and holds that may still be
-- active after it, each with its resolution. Amounts as text: JSON numbers would round. The cost
-- grows with what happens after p_from, never with the account's history before it.
create or replace function ledger_overdraft_windows(p_ledger_id text, p_account_ids text[], p_position bigint, p_from timestamptz, p_tail_max integer)
returns jsonb language plpgsql volatile as $$
declare
  guarded text[] := array(select a.account_id from accounts a
                           where a.ledger_id = p_ledger_id and a.account_id = any (p_account_ids) and a.no_overdraft);
begin
  if cardinality(guarded) = 0 then
    return '[]';
  end if;
  return (
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
