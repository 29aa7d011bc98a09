import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { keepStatistics } from '../../src/adapters/db/table-statistics.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

// PGlite has no autovacuum: the embedded database takes its tables' statistics itself
// (src/adapters/db/table-statistics.ts), or its planner keeps taking them for empty ones.

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the embedded database statistics', () => {
  it('analyzes a table once it has grown, and leaves it until it grows again', { timeout: 60_000 }, async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-statistics-'));
    dirs.push(dir);
    const database = await openDatabase({ dataDir: join(dir, 'data') });
    const statistics = keepStatistics(database.asOwner, 100);
    try {
      const analyzed = async () => (await database.asOwner((run) => run(`select relpages from pg_class where oid = 'public.ledgers'::regclass`)))[0]!;
      expect(Number((await analyzed()).relpages)).toBe(0);
      await database.asOwner((run) => run(
        `insert into ledgers (ledger_id, name, timezone, recorded_at) select 'l-' || g, 'L', 'UTC', now() from generate_series(1, 3000) g`));
      // Within a few looks (every 100 ms here), not at the 10 s of the one the database runs itself.
      await vi.waitFor(async () => expect(Number((await analyzed()).relpages)).toBeGreaterThan(8), { timeout: 5_000, interval: 100 });
      const pages = Number((await analyzed()).relpages);
      await new Promise((resolve) => setTimeout(resolve, 500));
      expect(Number((await analyzed()).relpages)).toBe(pages);
    } finally {
      await statistics.stop();
      await database.close();
    }
  });
});
