-- The ledgers whose events the log holds, for rebuilding the read models from the log alone
-- (the ledgers table is one of them). A loose index scan: one probe per ledger.
create or replace function ledgers_in_log() returns table (ledger_id text)
language sql stable as $$
  with recursive found(ledger_id) as (
    (select e.ledger_id from events e order by e.ledger_id limit 1)
    union all
    select (select e.ledger_id from events e where e.ledger_id > found.ledger_id order by e.ledger_id limit 1)
      from found where found.ledger_id is not null
  )
  select found.ledger_id from found where found.ledger_id is not null
$$;
