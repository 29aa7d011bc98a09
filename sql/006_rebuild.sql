-- This migration defined ledgers_in_log, which is now code in sql/functions/ (re-applied when it
-- changes); numbered migrations create and alter tables only.
select 1;
