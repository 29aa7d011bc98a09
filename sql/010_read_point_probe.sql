-- This migration defined ledger_read_point, which is now code in sql/functions/ (re-applied when it
-- changes); numbered migrations create and alter tables only.
select 1;
