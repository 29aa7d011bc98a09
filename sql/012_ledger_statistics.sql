-- Estimates for ledgers the statistics have not seen. With the default statistics target, the
-- most-common-values list of `ledger_id` can cover every row ANALYZE saw, and a ledger made or
-- grown since is then estimated at one row: PostgreSQL read a batch's transactions by
-- `transactions_by_position` (every row of the ledger) where a primary-key probe was meant, 220 ms
-- at 29,000 transactions. With a target of 1 it keeps at most one common value and estimates
-- any other ledger at its share of the rest, so an equality on a primary key's two columns always
-- wins over one on the ledger alone, and a position range still uses the position index.
do $$
declare
  t text;
begin
  foreach t in array array['ledgers', 'events', 'assets', 'accounts', 'account_closures', 'transactions', 'postings',
                           'idempotency_keys', 'period_closes', 'hold_resolutions', 'rejections', 'balance_checkpoints'] loop
    execute format('alter table %I alter column ledger_id set statistics 1', t);
    execute format('analyze %I', t);
  end loop;
end $$;
