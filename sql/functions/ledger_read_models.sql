-- The read models of the events at positions in (p_after, p_upto] of a ledger, straight from the
-- log: what src/adapters/db/projection.ts makes of each event, which an append writes beside its
-- events, as one insert per table. `npm run rebuild` (src/adapters/db/rebuild.ts) folds the log
-- with it, the events never leaving the database; test/db/rebuild.int.test.ts holds the two to the
-- same rows, table by table.
create or replace function ledger_read_models(p_ledger_id text, p_after bigint, p_upto bigint)
returns void language sql volatile as $$
  insert into ledgers (ledger_id, name, timezone, recorded_at)
  select e.ledger_id, e.data ->> 'name', e.data ->> 'timezone', e.recorded_at
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'LedgerCreated';

  insert into assets (ledger_id, code, scale, position)
  select e.ledger_id, e.data ->> 'code', (e.data ->> 'scale')::integer, e.position
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'AssetDeclared';

  insert into accounts (ledger_id, account_id, name, normal_balance, currency, no_overdraft, metadata, type, position, recorded_at)
  select e.ledger_id, e.data ->> 'accountId', e.data ->> 'name', e.data ->> 'normalBalance', e.data ->> 'currency',
         (e.data ->> 'noOverdraft')::boolean, e.data -> 'metadata', e.data ->> 'type', e.position, e.recorded_at
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'AccountOpened';

  insert into account_closures (ledger_id, account_id, position, recorded_at)
  select e.ledger_id, e.data ->> 'accountId', e.position, e.recorded_at
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'AccountClosed';

  insert into transactions (ledger_id, transaction_id, position, status, effective_at, recorded_at, reverses, corrects, data)
  select e.ledger_id, e.data ->> 'id', e.position, e.data ->> 'status', (e.data ->> 'effectiveAt')::timestamptz, e.recorded_at,
         e.data ->> 'reverses', e.data ->> 'corrects', e.data
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'TransactionRecorded';

  -- A transaction's postings, and a captured hold's (posted, never expiring, under the hold's id).
  insert into postings (ledger_id, position, seq, transaction_id, account_id, direction, amount, currency, status, effective_at, recorded_at, expires_at)
  select e.ledger_id, e.position, (p.seq - 1)::integer,
         case when e.type = 'HoldPosted' then e.data ->> 'holdId' else e.data ->> 'id' end,
         p.posting ->> 'accountId', p.posting ->> 'direction', (p.posting ->> 'amount')::numeric, p.posting ->> 'currency',
         case when e.type = 'HoldPosted' then 'posted' else e.data ->> 'status' end,
         (e.data ->> 'effectiveAt')::timestamptz, e.recorded_at,
         case when e.type = 'HoldPosted' then null else (e.data ->> 'expiresAt')::timestamptz end
    from events e
    cross join lateral jsonb_array_elements(e.data -> 'postings') with ordinality as p(posting, seq)
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type in ('TransactionRecorded', 'HoldPosted');

  insert into hold_resolutions (ledger_id, hold_id, position, type, effective_at, recorded_at, data)
  select e.ledger_id, e.data ->> 'holdId', e.position, case when e.type = 'HoldPosted' then 'posted' else 'voided' end,
         (e.data ->> 'effectiveAt')::timestamptz, e.recorded_at, e.data
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type in ('HoldPosted', 'HoldVoided');

  insert into period_closes (ledger_id, position, through, recorded_at)
  select e.ledger_id, e.position, (e.data ->> 'through')::date, e.recorded_at
    from events e
   where e.ledger_id = p_ledger_id and e.position > p_after and e.position <= p_upto and e.type = 'PeriodClosed';
$$;
