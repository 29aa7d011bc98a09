-- The write path's first round trip: take the ledger's append lock, then read what a batch of
-- decisions needs, each statement with a snapshot taken after the lock was granted. Answers one
-- JSON document: the head, the commit's recorded time, and the state slice (the same fold the
-- read models hold, at the head), with the windows of the noOverdraft accounts the batch may take
-- money out of (a posting on their outgoing side in p_sides; all of them when p_mirrors, as
-- reversals, corrections and captures take their postings from other transactions), from the
-- earliest effective time the batch may touch: the commit's time, an effective time a command
-- gives (p_earliest), or the effective time of a transaction it names (a reversal's default).
-- An element of p_sides may carry `amount`, the sum of the batch's postings on that side: then
-- an account whose funds cover it gets a floor instead of its postings (ledger_overdraft_windows).
--
-- Every transaction, account and idempotency key asked for is one probe of its primary key, in a
-- loop, so that no plan can make it a scan of the ledger's rows under the append lock, as in
-- ledger_append_check. A join with the ids (even a lateral one, which the planner flattens) was
-- planned as a scan of every transaction and idempotency key of the ledger (9 ms at 7,000
-- transactions); `= any (array)` was planned, while the statistics did not know the ledger yet (a
-- ledger loaded in seconds, before autovacuum's next analyze), as the primary key's scan of every
-- row of the ledger with the ids as a filter: 50 ms a noOverdraft write at 100,000 transactions.
-- Sequential and bitmap scans stay off for the rest (ledger_overdraft_windows).
create or replace function ledger_lock_and_load(
  p_ledger_id text, p_account_ids jsonb, p_transaction_ids jsonb, p_claims jsonb, p_earliest timestamptz,
  p_sides jsonb, p_mirrors boolean, p_tail_max integer
) returns jsonb
language plpgsql volatile set enable_seqscan = off set enable_bitmapscan = off as $$
declare
  head record;
  transactions jsonb;
  account_ids text[];
  window_from timestamptz;
  guarded text[];
  bounds numeric[];
  account_rows jsonb[] := '{}';
  record_rows jsonb[] := '{}';
  one jsonb;
  wanted text;
  claim_scope text;
  claim_key text;
  listed jsonb[] := '{}';
begin
  select * into head from ledger_lock_head(p_ledger_id);

  for wanted in select distinct jsonb_array_elements_text(p_transaction_ids) loop
    select jsonb_build_object(
             'data', t.data, 'position', t.position,
             'reversedBy', (select r.transaction_id from transactions r
                             where r.ledger_id = t.ledger_id and r.reverses = t.transaction_id),
             'resolution', (select jsonb_build_object('type', h.type, 'position', h.position,
                                                      'effectiveAt', h.data ->> 'effectiveAt',
                                                      'postings', coalesce(h.data -> 'postings', '[]'))
                              from hold_resolutions h where h.ledger_id = t.ledger_id and h.hold_id = t.transaction_id))
      into one
      from transactions t
     where t.ledger_id = p_ledger_id and t.transaction_id = wanted;
    if one is not null then listed := listed || one; end if;
  end loop;
  transactions := to_jsonb(listed);

  -- A reversal's decision needs the accounts of its original's postings too.
  select array(select jsonb_array_elements_text(p_account_ids)
               union
               select p ->> 'accountId' from jsonb_array_elements(transactions) t, jsonb_array_elements(t -> 'data' -> 'postings') p)
    into account_ids;

  select least(head.commit_recorded_at, p_earliest, min((t -> 'data' ->> 'effectiveAt')::timestamptz))
    into window_from from jsonb_array_elements(transactions) t;

  foreach wanted in array account_ids loop
    select jsonb_build_object(
             'accountId', a.account_id, 'name', a.name, 'normalBalance', a.normal_balance, 'currency', a.currency,
             'noOverdraft', a.no_overdraft, 'metadata', a.metadata,
             'closed', exists (select 1 from account_closures c where c.ledger_id = a.ledger_id and c.account_id = a.account_id))
      into one
      from accounts a
     where a.ledger_id = p_ledger_id and a.account_id = wanted;
    if one is not null then account_rows := account_rows || one; end if;
  end loop;

  -- With each, the most the batch may take out of it (the sum of its outgoing side), when known:
  -- not with mirrors, whose postings come from other transactions, nor for a side whose sum is null.
  select coalesce(array_agg(g.account_id order by g.account_id), '{}'), coalesce(array_agg(g.bound order by g.account_id), '{}')
    into guarded, bounds
    from (select a ->> 'accountId' as account_id,
                 case when not p_mirrors
                      then (select case when bool_and(s ->> 'amount' is not null) then sum((s ->> 'amount')::numeric) end
                              from jsonb_array_elements(p_sides) s
                             where s ->> 'accountId' = a ->> 'accountId' and s ->> 'direction' <> a ->> 'normalBalance') end as bound
            from unnest(account_rows) a
           where (a ->> 'noOverdraft')::boolean
             and (p_mirrors or exists (select 1 from jsonb_array_elements(p_sides) s
                                        where s ->> 'accountId' = a ->> 'accountId' and s ->> 'direction' <> a ->> 'normalBalance'))) g;

  for claim_scope, claim_key in select distinct c ->> 'scope', c ->> 'key' from jsonb_array_elements(p_claims) c loop
    select jsonb_build_object('scope', k.scope, 'key', k.key, 'request', k.request,
                              'firstPosition', k.first_position, 'lastPosition', k.last_position)
      into one
      from idempotency_keys k
     where k.ledger_id = p_ledger_id and k.scope = claim_scope and k.key = claim_key;
    if one is not null then record_rows := record_rows || one; end if;
  end loop;

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
    'accounts', to_jsonb(account_rows),
    'transactions', transactions,
    'overdraft', ledger_overdraft_windows(p_ledger_id, guarded, bounds, head.head_position, window_from, p_tail_max),
    'records', to_jsonb(record_rows)
  );
end $$;
