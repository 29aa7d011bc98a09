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

/** What to read: stored subtrees, and events by position (first to last). */
interface Wanted {
  readonly nodes: readonly Subtree[];
  readonly events: readonly { first: number; last: number }[];
}

/**
 * The Merkle tree's store (sql/014, sql/functions/ledger_tree.sql). A subtree of level 4 or more
 * is read from `ledger_tree_nodes`, a lower one is hashed from its (at most 16) events: one round
 * trip. A stored subtree not built yet (the tree keeper builds behind the log) is built first,
 * a bounded amount; what is still missing is made from the stored subtrees below the built size
 * and the events after it, so a proof never waits for a whole build.
 */
export function createTreeStore(db: Db, options: TreeStoreOptions = {}): TreeStore {
  const buildOnReadBlocks = options.buildOnReadBlocks ?? BUILD_ON_READ_BLOCKS;
  async function read(ledgerId: string, wanted: Wanted): Promise<Map<string, Uint8Array>> {
    const { rows } = await sql<{ level: number; index: string; hash: string }>`
      select n.level, n.index::text as index, encode(n.hash, 'hex') as hash
        from jsonb_to_recordset(${JSON.stringify(wanted.nodes)}::text::jsonb) as r(level smallint, index bigint)
        join ledger_tree_nodes n on n.ledger_id = ${ledgerId} and n.level = r.level and n.index = r.index
      union all
      select -1, e.position::text, e.hash
        from jsonb_to_recordset(${JSON.stringify(wanted.events)}::text::jsonb) as r(first bigint, last bigint)
        join events e on e.ledger_id = ${ledgerId} and e.position between r.first and r.last`.execute(db);
    const known = new Map<string, Uint8Array>();
    for (const row of rows) {
      // An event at position p is leaf p - 1, at level 0.
      if (row.level === -1) known.set(subtreeKey({ level: 0, index: Number(row.index) - 1 }), eventLeafHash(row.hash));
      else known.set(subtreeKey({ level: row.level, index: Number(row.index) }), fromHex(row.hash));
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
      const known = await read(ledgerId, {
        nodes: subtrees.filter((s) => s.level >= STORED_LEVEL),
        events: low.map(leavesOf).map((r) => ({ first: r.start + 1, last: r.end })),
      });
      const missing = subtrees.filter((s) => s.level >= STORED_LEVEL && !known.has(subtreeKey(s)));
      if (missing.length > 0) {
        // Below `built` every aligned block is stored; past it, the events.
        const built = await store.build(ledgerId, buildOnReadBlocks);
        const ranges = missing.map(leavesOf);
        const more = await read(ledgerId, {
          nodes: ranges.flatMap((r) => (r.start < built ? alignedSubtrees({ start: r.start, end: Math.min(built, r.end) }) : [])),
          events: ranges.filter((r) => r.end > built).map((r) => ({ first: Math.max(r.start, built) + 1, last: r.end })),
        });
        for (const [key, hash] of more) known.set(key, hash);
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
