-- Holds' resolutions: a post (capture) or a void, at most one per hold. A post's captured
-- postings are rows of `postings` (status 'posted', the hold's transaction id, the post's position).
create table hold_resolutions (
  ledger_id    text not null,
  hold_id      text not null,
  position     bigint not null,
  type         text not null check (type in ('posted', 'voided')),
  effective_at timestamptz not null,
  recorded_at  timestamptz not null,
  data         jsonb not null,
  primary key (ledger_id, hold_id)
);

create trigger hold_resolutions_no_change before update or delete on hold_resolutions
  for each row execute function ledger_refuse_change();
create trigger hold_resolutions_no_truncate before truncate on hold_resolutions
  for each statement execute function ledger_refuse_change();
grant select, insert on hold_resolutions to ledger_app;

-- Every posting on the given noOverdraft accounts as of the head, with its hold's resolution:
-- what the overdraft check folds over (amounts as text: JSON numbers would round).
create function ledger_overdraft_facts(p_ledger_id text, p_account_ids text[]) returns jsonb
language sql stable as $$
  select coalesce(jsonb_agg(jsonb_build_object(
           'accountId', p.account_id, 'transactionId', p.transaction_id, 'position', p.position,
           'direction', p.direction, 'amount', p.amount::text, 'status', p.status,
           'effectiveAt', p.effective_at::text, 'recordedAt', p.recorded_at::text, 'expiresAt', p.expires_at::text,
           'resolutionPosition', h.position, 'resolutionKnownFrom', least(h.recorded_at, h.effective_at)::text)
           order by p.position, p.seq), '[]')
    from postings p
    join accounts a on a.ledger_id = p.ledger_id and a.account_id = p.account_id and a.no_overdraft
    left join hold_resolutions h on p.status = 'pending' and h.ledger_id = p.ledger_id and h.hold_id = p.transaction_id
   where p.ledger_id = p_ledger_id and p.account_id = any (p_account_ids)
$$;

-- The write path's load, now with each hold's resolution and the noOverdraft accounts' postings.
create or replace function ledger_lock_and_load(
  p_ledger_id text, p_account_ids jsonb, p_transaction_ids jsonb, p_claims jsonb
) returns jsonb
language plpgsql volatile as $$
declare
  head record;
  transactions jsonb;
  account_ids text[];
begin
  select * into head from ledger_lock_head(p_ledger_id);

  select coalesce(jsonb_agg(jsonb_build_object(
           'data', t.data, 'position', t.position,
           'reversedBy', (select r.transaction_id from transactions r
                           where r.ledger_id = t.ledger_id and r.reverses = t.transaction_id),
           'resolution', (select jsonb_build_object('type', h.type, 'position', h.position,
                                                    'effectiveAt', h.data ->> 'effectiveAt',
                                                    'postings', coalesce(h.data -> 'postings', '[]'))
                            from hold_resolutions h where h.ledger_id = t.ledger_id and h.hold_id = t.transaction_id))), '[]')
    into transactions
    from transactions t
   where t.ledger_id = p_ledger_id and t.transaction_id in (select jsonb_array_elements_text(p_transaction_ids));

  -- A reversal's decision needs the accounts of its original's postings too.
  select array(select jsonb_array_elements_text(p_account_ids)
               union
               select p ->> 'accountId' from jsonb_array_elements(transactions) t, jsonb_array_elements(t -> 'data' -> 'postings') p)
    into account_ids;

  return jsonb_build_object(
    'headPosition', head.head_position,
    'headHash', head.head_hash,
    'recordedAt', head.commit_recorded_at::text,
    'ledger', (select jsonb_build_object('ledgerId', l.ledger_id, 'name', l.name, 'timezone', l.timezone)
                 from ledgers l where l.ledger_id = p_ledger_id),
    'closedThrough', (select c.through::text from period_closes c where c.ledger_id = p_ledger_id
                       order by c.position desc limit 1),
    'assets', (select coalesce(jsonb_agg(jsonb_build_object('code', a.code, 'scale', a.scale)), '[]')
                 from assets a where a.ledger_id = p_ledger_id),
    'accounts', (select coalesce(jsonb_agg(jsonb_build_object(
                   'accountId', a.account_id, 'name', a.name, 'normalBalance', a.normal_balance, 'currency', a.currency,
                   'noOverdraft', a.no_overdraft, 'metadata', a.metadata,
                   'closed', exists (select 1 from account_closures c where c.ledger_id = a.ledger_id and c.account_id = a.account_id))), '[]')
                   from accounts a where a.ledger_id = p_ledger_id and a.account_id = any (account_ids)),
    'transactions', transactions,
    'facts', ledger_overdraft_facts(p_ledger_id, account_ids),
    'records', (select coalesce(jsonb_agg(jsonb_build_object(
                  'scope', k.scope, 'key', k.key, 'request', k.request,
                  'firstPosition', k.first_position, 'lastPosition', k.last_position)), '[]')
                  from idempotency_keys k
                  join jsonb_to_recordset(p_claims) as c(scope text, key text) on c.scope = k.scope and c.key = k.key
                 where k.ledger_id = p_ledger_id)
  );
end $$;
