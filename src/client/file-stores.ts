import { mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { ChainCursor } from '../app/hash-chain.ts';
import type { CheckpointStore } from './feed-follower.ts';
import type { OutboxEntry, OutboxOutcome, OutboxStore } from './outbox.ts';

// The client's stores on Node's file system, each change on disk (fsync) before it resolves.

type OutboxLine = { readonly added: OutboxEntry } | { readonly settled: OutboxOutcome };

/**
 * An outbox kept as an append-only JSON-lines file: a line per entry added and per outcome. A
 * line cut short by a crash while it was written is the last one, and is ignored.
 */
export function fileOutboxStore(path: string): OutboxStore & { outcomes(): Promise<OutboxOutcome[]> } {
  const lines = async (): Promise<OutboxLine[]> => {
    const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? '' : Promise.reject(error)));
    const complete = text.endsWith('\n') ? text : text.slice(0, text.lastIndexOf('\n') + 1);
    return complete.split('\n').filter((line) => line !== '').map((line) => JSON.parse(line) as OutboxLine);
  };
  const append = async (line: OutboxLine) => {
    await mkdir(dirname(path), { recursive: true });
    const file = await open(path, 'a');
    try {
      await file.appendFile(`${JSON.stringify(line)}\n`, 'utf8');
      await file.sync();
    } finally {
      await file.close();
    }
  };
  return {
    async pending() {
      const all = await lines();
      const settled = new Set(all.flatMap((l) => ('settled' in l ? [l.settled.key] : [])));
      return all.flatMap((l) => ('added' in l && !settled.has(l.added.key) ? [l.added] : []));
    },
    add: (entry) => append({ added: entry }),
    settle: (outcome) => append({ settled: outcome }),
    async outcomes() {
      return (await lines()).flatMap((l) => ('settled' in l ? [l.settled] : []));
    },
  };
}

/** A follower's checkpoint in a JSON file, replaced atomically (write, fsync, rename). */
export function fileCheckpointStore(path: string): CheckpointStore {
  return {
    async load() {
      const text = await readFile(path, 'utf8').catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? undefined : Promise.reject(error)));
      return text === undefined ? undefined : (JSON.parse(text) as ChainCursor);
    },
    async save(cursor) {
      await mkdir(dirname(path), { recursive: true });
      const next = `${path}.next`;
      await writeFile(next, JSON.stringify(cursor));
      const file = await open(next, 'r+');
      await file.sync().finally(() => file.close());
      await rename(next, path);
    },
  };
}
