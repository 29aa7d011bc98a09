-- Statistics that follow a growing ledger. The planner estimates a ledger it has no statistics
-- for (one made or grown since the last ANALYZE) at about one row, and then may read a ledger's
-- rows by the wrong index, scanning all of them where a primary-key probe was meant (a batch's
-- lookups took 220 ms at 29,000 transactions, in a new ledger). PostgreSQL's default analyzes a
-- table after a tenth of it changed; these tables are analyzed after 1,000 changes and 1% of it.
do $$
declare
  t text;
begin
  foreach t in array array['events', 'transactions', 'postings', 'idempotency_keys', 'accounts', 'hold_resolutions', 'rejections'] loop
    execute format('alter table %I set (autovacuum_analyze_scale_factor = 0.01, autovacuum_analyze_threshold = 1000)', t);
  end loop;
end $$;
