-- The Merkle tree's stored subtrees (sql/014, sql/015): built block by block (16 leaves, level 4,
-- with the block's leaf hashes) in position order, each block's carries up the levels as they
-- complete, so that every row is written once and the tree grows with the log, never rescanned.

-- The leaf hash of an event's hash (64 hex digits): SHA-256(0x00 || its 32 bytes).
create or replace function ledger_tree_leaf(p_hash text) returns bytea
language sql immutable strict as $$ select sha256('\x00'::bytea || decode(p_hash, 'hex')) $$;

-- Extends the ledger's stored tree by at most p_max_blocks blocks of 16 events, and answers the
-- number of leaves it then covers (a multiple of 16). One builder per ledger at a time: a call
-- that finds another building builds nothing. A read replica (in recovery) builds nothing. A gap
-- in the log (an event missing) stops the build at its block.
-- Set-based: one statement makes every new block (its 16 leaf hashes folded pair by pair, level
-- by level, over all the blocks at once), then one statement a level carries them up (a new right
-- child and its stored left sibling make their parent), where a block at a time cost a statement
-- per level per block.
create or replace function ledger_tree_build(p_ledger_id text, p_max_blocks integer)
returns bigint language plpgsql volatile as $$
declare
  built bigint;
  head bigint;
  upto bigint;
  lo bigint;
  hi bigint;
  lvl integer := 4;
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
  upto := least(coalesce(head, 0) / 16, built + p_max_blocks);
  if upto <= built then
    return built * 16;
  end if;
  -- The blocks [built, upto), each its leaves in position order; left of a pair is the even one.
  with leaves as (
    select (e.position - 1) / 16 as block, (e.position - 1) % 16 as i, ledger_tree_leaf(e.hash) as h
      from events e where e.ledger_id = p_ledger_id and e.position > built * 16 and e.position <= upto * 16
  ), counted as (
    select block, count(*) as n from leaves group by block
  ), whole as (
    -- The first block short of 16 events (a gap) and every block after it are left for later.
    select b.block from generate_series(built, upto - 1) as b(block)
     where b.block < (select coalesce(min(g.block), upto) from generate_series(built, upto - 1) as g(block)
                       left join counted c on c.block = g.block where coalesce(c.n, 0) <> 16)
  ), level1 as (
    select l.block, l.i / 2 as i, sha256('\x01'::bytea || (array_agg(l.h order by l.i))[1] || (array_agg(l.h order by l.i))[2]) as h
      from leaves l join whole w on w.block = l.block group by l.block, l.i / 2
  ), level2 as (
    select block, i / 2 as i, sha256('\x01'::bytea || (array_agg(h order by i))[1] || (array_agg(h order by i))[2]) as h
      from level1 group by block, i / 2
  ), level3 as (
    select block, i / 2 as i, sha256('\x01'::bytea || (array_agg(h order by i))[1] || (array_agg(h order by i))[2]) as h
      from level2 group by block, i / 2
  ), level4 as (
    select block, sha256('\x01'::bytea || (array_agg(h order by i))[1] || (array_agg(h order by i))[2]) as h
      from level3 group by block
  ), joined as (
    select l.block, string_agg(l.h, ''::bytea order by l.i) as leaves from leaves l join whole w on w.block = l.block group by l.block
  ), made as (
    insert into ledger_tree_nodes (ledger_id, level, index, hash, leaves)
    select p_ledger_id, 4, n.block, n.h, j.leaves from level4 n join joined j on j.block = n.block
    returning index
  )
  select min(index), max(index) into lo, hi from made;
  -- A right child completes its parent: carry the new nodes up, a level at a time.
  while hi is not null loop
    with made as (
      insert into ledger_tree_nodes (ledger_id, level, index, hash)
      select p_ledger_id, lvl + 1, r.index / 2, sha256('\x01'::bytea || l.hash || r.hash)
        from ledger_tree_nodes r
        join ledger_tree_nodes l on l.ledger_id = r.ledger_id and l.level = r.level and l.index = r.index - 1
       where r.ledger_id = p_ledger_id and r.level = lvl and r.index between lo and hi and r.index % 2 = 1
      returning index
    )
    select min(index), max(index) into lo, hi from made;
    lvl := lvl + 1;
  end loop;
  select n.index + 1 into built from ledger_tree_nodes n
   where n.ledger_id = p_ledger_id and n.level = 4 order by n.index desc limit 1;
  return coalesce(built, 0) * 16;
end $$;

-- The block-at-a-time build's fold, which nothing calls any more.
drop function if exists ledger_tree_fold(bytea[]);
