import { sql } from 'kysely';
import { alignedSubtrees, completeHash, eventLeafHash, fromHex, subtreeKey, type Subtree } from '../../app/merkle-tree.ts';
import { MissingLeaf, type TreeReader } from '../../app/proofs.ts';
import type { Db } from './database.ts';

/** The lowest level of `ledger_tree_nodes` (sql/014): a block of 16 leaves. */
export const STORED_LEVEL = 4;

/** Blocks of 16 events a read builds when it finds the stored tree behind what it needs, at most. */
const BUILD_ON_READ_BLOCKS = 1024;

export interface TreeStoreOptions {
  /** BUILD_ON_READ_BLOCKS unless given; 0 makes reads hash what is not stored from the events. */
  readonly buildOnReadBlocks?: number;
}

export interface TreeStore extends TreeReader {
  /** Extends the stored tree by at most `maxBlocks` blocks of 16 events; answers how many leaves it covers. */
  build(ledgerId: string, maxBlocks: number): Promise<number>;
}

const leavesOf = (s: Subtree) => ({ start: s.index * 2 ** s.level, end: (s.index + 1) * 2 ** s.level });
const BLOCK = 2 ** STORED_LEVEL;
const blockOf = (s: Subtree) => Math.floor(leavesOf(s).start / BLOCK);

/**
 * Each position of the ranges. (A join on `between` would be estimated at a ninth of the events
 * table, and such a cost has PostgreSQL compile the query with JIT: half a second.) Subtrees and
 * events are looked up row by row (lateral): a ledger newer than the table's statistics is
 * estimated at one row, and a hash join would then read the whole table.
 */
const positionsOf = (ranges: readonly { first: number; last: number }[]) =>
  ranges.flatMap(({ first, last }) => Array.from({ length: last - first + 1 }, (_, i) => first + i));

/** What to read: stored subtrees, the leaf hashes of stored blocks, and events by position (first to last). */
interface Wanted {
  readonly nodes: readonly Subtree[];
  readonly blocks: readonly number[];
  readonly events: readonly { first: number; last: number }[];
  /** Only the events past the last block built (whose leaves the block gives). */
  readonly pastBuiltOnly: boolean;
}

/**
 * The Merkle tree's store (sql/014, sql/015, sql/functions/ledger_tree.sql). A subtree of level 4
 * or more is read from `ledger_tree_nodes`, a lower one hashed from the leaf hashes its block
 * keeps (the events only past the last block built): one round trip, and a proof of the built
 * tree depends on the tree alone, not on the events as they are now. A subtree
 * past the built part (the tree keeper builds behind the log) is built first, a bounded amount;
 * what is still missing is made from the stored subtrees below the built size and the events
 * after it, so a proof never waits for a whole build.
 */
export function createTreeStore(db: Db, options: TreeStoreOptions = {}): TreeStore {
  const buildOnReadBlocks = options.buildOnReadBlocks ?? BUILD_ON_READ_BLOCKS;

  async function read(ledgerId: string, wanted: Wanted): Promise<Map<string, Uint8Array>> {
    const { rows } = await sql<{ kind: 'node' | 'block' | 'event'; level: number; index: string; hash: string }>`
      select 'node' as kind, r.level, r.index::text as index, encode(n.hash, 'hex') as hash
        from jsonb_to_recordset(${JSON.stringify(wanted.nodes)}::text::jsonb) as r(level smallint, index bigint)
        cross join lateral (select t.hash from ledger_tree_nodes t where t.ledger_id = ${ledgerId} and t.level = r.level and t.index = r.index) n
      union all
      select 'block', 4, b.index, encode(n.leaves, 'hex')
        from jsonb_array_elements_text(${JSON.stringify(wanted.blocks)}::text::jsonb) as b(index)
        cross join lateral (select t.leaves from ledger_tree_nodes t
                             where t.ledger_id = ${ledgerId} and t.level = 4 and t.index = b.index::bigint and t.leaves is not null) n
      union all
      select 'event', 0, p.position, e.hash
        from jsonb_array_elements_text(${JSON.stringify(positionsOf(wanted.events))}::text::jsonb) as p(position)
        cross join lateral (select v.hash from events v where v.ledger_id = ${ledgerId} and v.position = p.position::bigint) e
       where not ${wanted.pastBuiltOnly}::boolean or p.position::bigint > 16 * coalesce((
               select b.index + 1 from ledger_tree_nodes b where b.ledger_id = ${ledgerId} and b.level = 4 and b.leaves is not null
                order by b.index desc limit 1), 0)`.execute(db);
    const known = new Map<string, Uint8Array>();
    const put = (level: number, index: number, hash: Uint8Array) => known.set(subtreeKey({ level, index }), hash);
    // An event at position p is leaf p - 1; a block's leaves are its 16 leaf hashes in order, and
    // where a block is kept its leaves are the tree's, whatever the events say now.
    for (const row of rows) if (row.kind === 'event') put(0, Number(row.index) - 1, eventLeafHash(row.hash));
    for (const row of rows) {
      const index = Number(row.index);
      if (row.kind === 'node') put(row.level, index, fromHex(row.hash));
      else if (row.kind === 'block') for (let i = 0; i < BLOCK; i++) put(0, index * BLOCK + i, fromHex(row.hash.slice(i * 64, (i + 1) * 64)));
    }
    return known;
  }

  const store: TreeStore = {
    async build(ledgerId, maxBlocks) {
      const { rows } = await sql<{ built: string }>`select ledger_tree_build(${ledgerId}, ${maxBlocks}::integer)::text as built`.execute(db);
      return Number(rows[0]!.built);
    },

    async subtreeHashes(ledgerId, subtrees) {
      const low = subtrees.filter((s) => s.level < STORED_LEVEL);
      // The lower levels from their blocks, or from the events past the last block built (the tail).
      const known = await read(ledgerId, {
        nodes: subtrees.filter((s) => s.level >= STORED_LEVEL), blocks: [...new Set(low.map(blockOf))],
        events: low.map(leavesOf).map((r) => ({ first: r.start + 1, last: r.end })), pastBuiltOnly: true,
      });
      const missing = subtrees.filter((s) => completeHash(s, known) === undefined);
      if (missing.length > 0) {
        // Below `built` every aligned subtree of a block or more is stored; past it, the events.
        const built = await store.build(ledgerId, buildOnReadBlocks);
        const below = missing.filter((s) => leavesOf(s).start < built);
        const more = await read(ledgerId, {
          nodes: below.filter((s) => s.level >= STORED_LEVEL).flatMap((s) => alignedSubtrees({ start: leavesOf(s).start, end: Math.min(built, leavesOf(s).end) })),
          blocks: below.filter((s) => s.level < STORED_LEVEL).map(blockOf),
          events: missing.map(leavesOf).map((r) => (r.end > built || r.start >= built ? { first: Math.max(r.start, built) + 1, last: r.end } : null))
            .filter((r) => r !== null),
          pastBuiltOnly: false,
        });
        for (const [key, hash] of more) known.set(key, hash);
        // A block kept without its leaves (built before sql/015): its events.
        const still = missing.filter((s) => completeHash(s, known) === undefined).map(leavesOf);
        if (still.length > 0) for (const [key, hash] of await read(ledgerId, { nodes: [], blocks: [], events: still.map((r) => ({ first: r.start + 1, last: r.end })), pastBuiltOnly: false })) known.set(key, hash);
      }
      return new Map(subtrees.map((s) => [subtreeKey(s), completeHash(s, known) ?? missingLeaf(s, known)]));
    },
  };
  return store;
}

/** Throws for the first leaf of the subtree that neither a stored subtree nor an event gives. */
function missingLeaf(subtree: Subtree, known: ReadonlyMap<string, Uint8Array>): never {
  const { start, end } = leavesOf(subtree);
  for (let leaf = start; leaf < end; leaf++) {
    const covered = [...Array(subtree.level + 1).keys()].some((level) => known.has(subtreeKey({ level, index: Math.floor(leaf / 2 ** level) })));
    if (!covered) throw new MissingLeaf(leaf + 1);
  }
  throw new MissingLeaf(start + 1);
}
