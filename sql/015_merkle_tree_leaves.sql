-- Each block of the Merkle tree (sql/014, level 4) keeps its 16 leaf hashes, 32 bytes each in
-- order: a proof's lower levels then come from the tree alone, never from the events, so that an
-- event changed or removed later cannot change or withhold the proofs of the events beside it.
-- Rows of other levels have none; a block built before this column (none outside tests) is read
-- from its events.
alter table ledger_tree_nodes add column leaves bytea check (leaves is null or (level = 4 and length(leaves) = 512));
