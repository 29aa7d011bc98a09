-- This migration defined ledger_lock_and_load, which is now code in sql/functions/ (re-applied when it
-- changes); numbered migrations create and alter tables only.
select 1;
