-- A transaction read back names the correction that replaced it (`correctedBy`): found through
-- this index, not by reading every transaction of the ledger up to the read point, once per
-- transaction shown (a restatements report of 1,000 entries read 5,000,000 rows at 5,000
-- transactions).
create index transactions_by_corrects on transactions (ledger_id, corrects) where corrects is not null;
