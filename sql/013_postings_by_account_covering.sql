-- A balance at (P, E) adds up the postings of E's effective day (sql/009: a checkpoint's rows end
-- with the day before), through postings_by_account. With their status, direction and amount in
-- the index, PostgreSQL reads them from the index alone (an index-only scan, on the pages vacuum
-- has marked all-visible) instead of fetching each posting's row: a balance at random (R, E) on a
-- wallet of a million postings a year (2,700 a day) took 8.9 to 9.9 ms at p50 instead of 12.5 to
-- 15.4, measured back to back. The index is rebuilt with the same name and key; on a large
-- `postings` this migration takes a while (5 s for a million postings here) and blocks writes
-- meanwhile.
create index postings_by_account_covering on postings (ledger_id, account_id, effective_at, position)
  include (status, direction, amount);
drop index postings_by_account;
alter index postings_by_account_covering rename to postings_by_account;
