-- The Merkle tree of spec section 12 (RFC 9162 section 2.1) over each ledger's events: leaf i is
-- SHA-256(0x00 || the 32 bytes of the hash of the event at position i + 1), a node
-- SHA-256(0x01 || left || right). A row holds the hash of a complete subtree: leaves
-- [index * 2^level, (index + 1) * 2^level). Only levels from 4 up are kept (a block of 16 leaves
-- and above, a row per 16 events in all): a proof reads its lower levels from the 16 events of
-- one block. Rows are written as blocks complete, off the write path (sql/functions/ledger_tree.sql),
-- never changed: derived from the events' hashes, and never rewritten with them.
create table ledger_tree_nodes (
  ledger_id text not null,
  level     smallint not null check (level >= 4),
  index     bigint not null check (index >= 0),
  hash      bytea not null check (length(hash) = 32),
  primary key (ledger_id, level, index)
);

create trigger ledger_tree_nodes_no_change before update or delete on ledger_tree_nodes
  for each row execute function ledger_refuse_change();
create trigger ledger_tree_nodes_no_truncate before truncate on ledger_tree_nodes
  for each statement execute function ledger_refuse_change();
grant select, insert on ledger_tree_nodes to ledger_app;
