-- A balance read sums part of one effective day of the account's postings through
-- postings_by_account (sql/functions/ledger_point_reads.sql): a quarter of the day on average,
-- about 700 postings on a 1,000,000-posting account dated over a year. Each was a fetch of its
-- heap row, all on different pages (postings are stored in position order, a day's are spread
-- over the whole table): 685 buffers a read, most of them not in shared_buffers, 4.7 of the
-- read's 6.4 ms. The index now carries what that sum reads, so the day is read from a few index
-- pages (an index-only scan) wherever the visibility map says the rows are visible to all; the
-- index is about a fifth larger, and a posting still adds one entry to it.
drop index postings_by_account;
create index postings_by_account on postings (ledger_id, account_id, effective_at, position) include (status, direction, amount);

-- Index-only scans fetch the heap row of any page not yet marked all-visible, and only VACUUM
-- marks them: PostgreSQL's default vacuums a table for inserts after a fifth of it is new (a
-- 2,000,000-row table: after 400,000 more). The service's statistics keeper vacuums sooner
-- (src/adapters/db/table-statistics.ts); this is for autovacuum, which also does.
alter table postings set (autovacuum_vacuum_insert_scale_factor = 0.01, autovacuum_vacuum_insert_threshold = 1000);
