-- The Merkle tree's stored subtrees (sql/014, sql/015): built block by block (16 leaves, level 4,
-- with the block's leaf hashes) in position order, each block's carries up the levels as they
-- complete, so that every row is written once and the tree grows with the log, never rescanned.

-- The leaf hash of an event's hash (64 hex digits): SHA-256(0x00 || its 32 bytes).
create or replace function ledger_tree_leaf(p_hash text) returns bytea
language sql immutable strict as $$ select sha256('\x00'::bytea || decode(p_hash, 'hex')) $$;

-- The hash of a block of leaf hashes (a power of two of them), pair by pair up to one.
create or replace function ledger_tree_fold(p_hashes bytea[]) returns bytea
language plpgsql immutable strict as $$
declare
  level bytea[] := p_hashes;
begin
  while cardinality(level) > 1 loop
    level := array(select sha256('\x01'::bytea || level[2 * i - 1] || level[2 * i])
                     from generate_series(1, cardinality(level) / 2) as i order by i);
  end loop;
  return level[1];
end $$;

-- Extends the ledger's stored tree by at most p_max_blocks blocks of 16 events, and answers the
-- number of leaves it then covers (a multiple of 16). One builder per ledger at a time: a call
-- that finds another building builds nothing. A read replica (in recovery) builds nothing. A gap
-- in the log (an event missing) stops the build there.
create or replace function ledger_tree_build(p_ledger_id text, p_max_blocks integer)
returns bigint language plpgsql volatile as $$
declare
  built bigint;
  head bigint;
  block bigint;
  block_leaves bytea[];
  node_hash bytea;
  lvl integer;
  idx bigint;
begin
  select n.index + 1 into built from ledger_tree_nodes n
   where n.ledger_id = p_ledger_id and n.level = 4 order by n.index desc limit 1;
  built := coalesce(built, 0);
  if pg_is_in_recovery() or p_max_blocks <= 0 or not pg_try_advisory_xact_lock(7400002, hashtext(p_ledger_id)) then
    return built * 16;
  end if;
  -- Again under the lock: another builder may have gone further meanwhile.
  select n.index + 1 into built from ledger_tree_nodes n
   where n.ledger_id = p_ledger_id and n.level = 4 order by n.index desc limit 1;
  built := coalesce(built, 0);
  select e.position into head from events e where e.ledger_id = p_ledger_id order by e.position desc limit 1;
  for block in built .. least(coalesce(head, 0) / 16, built + p_max_blocks) - 1 loop
    select array_agg(ledger_tree_leaf(e.hash) order by e.position) into block_leaves from events e
     where e.ledger_id = p_ledger_id and e.position between block * 16 + 1 and block * 16 + 16;
    exit when coalesce(cardinality(block_leaves), 0) <> 16;
    node_hash := ledger_tree_fold(block_leaves);
    insert into ledger_tree_nodes (ledger_id, level, index, hash, leaves)
    values (p_ledger_id, 4, block, node_hash, (select string_agg(l, ''::bytea order by i) from unnest(block_leaves) with ordinality as u(l, i)));
    -- A right child completes its parent: carry up while the node is a right child.
    lvl := 4;
    idx := block;
    while idx % 2 = 1 loop
      select sha256('\x01'::bytea || n.hash || node_hash) into node_hash from ledger_tree_nodes n
       where n.ledger_id = p_ledger_id and n.level = lvl and n.index = idx - 1;
      lvl := lvl + 1;
      idx := idx / 2;
      insert into ledger_tree_nodes (ledger_id, level, index, hash) values (p_ledger_id, lvl, idx, node_hash);
    end loop;
    built := block + 1;
  end loop;
  return built * 16;
end $$;
