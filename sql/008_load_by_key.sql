-- The write path's load, each row found through its primary key. The earlier version matched ids
-- with `in (select ...)` and a join: with statistics that still took a ledger for empty (a ledger
-- filled since the last analyze), PostgreSQL scanned every transaction and idempotency key of the
-- ledger under its append lock. A lateral lookup per id cannot be planned as a scan. Same
-- arguments, same answer.
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
    from (select distinct id from jsonb_array_elements_text(p_transaction_ids) as ids(id)) ids
    cross join lateral (select * from transactions t where t.ledger_id = p_ledger_id and t.transaction_id = ids.id) t;

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
                   from unnest(account_ids) as ids(id)
                   cross join lateral (select * from accounts a where a.ledger_id = p_ledger_id and a.account_id = ids.id) a),
    'transactions', transactions,
    'facts', ledger_overdraft_facts(p_ledger_id, account_ids),
    'records', (select coalesce(jsonb_agg(jsonb_build_object(
                  'scope', k.scope, 'key', k.key, 'request', k.request,
                  'firstPosition', k.first_position, 'lastPosition', k.last_position)), '[]')
                  from (select distinct scope, key from jsonb_to_recordset(p_claims) as c(scope text, key text)) c
                  cross join lateral (select * from idempotency_keys k
                                       where k.ledger_id = p_ledger_id and k.scope = c.scope and k.key = c.key) k)
  );
end $$;
