import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { PROJECTION_TABLES } from '../../src/adapters/db/projection.ts';
import { rebuildProjections } from '../../src/adapters/db/rebuild.ts';
import { formatInstant } from '../../src/domain/time.ts';
import { testApi, transfer, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES, type PrivateDatabase } from '../support/private-database.ts';

// Spec section 7: derived state is disposable. Rebuilding every read model from position 1
// gives byte-identical answers at random (R, E) pairs. REBUILD_EVENTS sets the size of the log
// (the acceptance run uses 100000; the suite's default keeps it quick).

const EVENTS = Number(process.env.REBUILD_EVENTS ?? 3000);
const PAIRS = 50;
const ACCOUNTS = ['bank', 'alice', 'merchant'];

describe.each(PRIVATE_DATABASES)('rebuilding the read models on $name', (setup) => {
  let opened: PrivateDatabase;
  let api: TestApi;
  beforeAll(async () => {
    opened = await setup.open();
    api = await testApi(opened.database);
  });
  afterAll(() => opened.dispose());

  it(`answers byte for byte the same at ${PAIRS} random (R, E) pairs after a rebuild of about ${EVENTS} events`, { timeout: 900_000 }, async () => {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    let seed = 7;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const day = () => formatInstant(BigInt(Date.UTC(2026, 0, 1) + Math.floor(random() * 300) * 86_400_000) * 1000n);
    // Batches of posted entries and holds, then reversals, captures and voids of some of them.
    for (let n = 0; n < EVENTS; n += 1000) {
      const items = Array.from({ length: Math.min(1000, EVENTS - n) }, (_, i) => {
        const [debit, credit] = random() < 0.5 ? ['bank', 'alice'] : ['alice', 'merchant'];
        const entry = transfer(`e${n + i}`, day(), debit!, credit!, `${1 + Math.floor(random() * 500)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`);
        return random() < 0.1 ? { ...entry, status: 'pending' } : entry;
      });
      const answer = await api.call('POST', `${path}/transactions/batch`, { body: { atomic: true, transactions: items } });
      expect(answer.status, answer.text.slice(0, 300)).toBe(200);
      // Resolve about half the holds (a post or a void each) and reverse one entry in twenty.
      for (const [i, item] of items.entries()) {
        if (item.status === 'pending' ? random() < 0.5 : i % 20 !== 0) continue;
        const action = item.status === 'pending' ? (random() < 0.5 ? 'post' : 'void') : 'reverse';
        await api.call('POST', `${path}/transactions/${item.id}/${action}`, { body: action === 'reverse' ? { reason: 'test' } : {} });
      }
    }
    await everyOtherKindOfEvent(api, path, day);
    const head = await api.head(ledgerId);
    const queries = Array.from({ length: PAIRS }, () => {
      const coordinates = `recordedAsOfPosition=${1 + Math.floor(random() * head)}&effectiveAsOf=${encodeURIComponent(day())}`;
      const account = ACCOUNTS[Math.floor(random() * ACCOUNTS.length)];
      return [
        `${path}/balances?${coordinates}`,
        `${path}/accounts/${account}/balance?${coordinates}`,
        `${path}/accounts/${account}/entries?${coordinates}&limit=20`,
        `${path}/transactions?${coordinates}&accountId=${account}&limit=20`,
      ];
    }).flat();
    const answersOf = () => Promise.all(queries.map(async (q) => (await api.call('GET', q)).text));
    const before = await answersOf();
    expect(before.filter((text) => text.includes('"code"'))).toEqual([]);
    // The appends wrote the read models through projection.ts; the rebuild writes them in SQL
    // (ledger_read_models): the same rows, table by table.
    const rowsBefore = await readModelRows(opened.database, ledgerId);

    const rebuilt = await rebuildProjections(opened.database);
    expect(rebuilt).toBe(head);
    const rowsAfter = await readModelRows(opened.database, ledgerId);
    for (const table of PROJECTION_TABLES) expect(rowsAfter[table], table).toEqual(rowsBefore[table]);
    const after = await answersOf();
    for (const [i, query] of queries.entries()) expect(after[i], query).toBe(before[i]);
    // And the service goes on writing on the rebuilt models.
    const next = await api.call('POST', `${path}/transactions`, { body: transfer('after-rebuild', day(), 'bank', 'alice', '1.00') });
    expect([next.status, next.body.position]).toEqual([201, head + 1]);
  });
});

/** The events a batch of transfers has none of: an asset, an account opened with metadata and a type then closed, a correction, an expiring hold and its capture, a period close. */
async function everyOtherKindOfEvent(api: TestApi, path: string, day: () => string) {
  const expect201 = async (route: string, body: unknown) => {
    const answer = await api.call('POST', `${path}${route}`, { body });
    expect(answer.status, `${route}: ${answer.text.slice(0, 300)}`).toBeLessThan(300);
  };
  await expect201('/assets', { code: 'POINTS', scale: 0 });
  await expect201('/accounts', { id: 'points:alice', normalBalance: 'credit', currency: 'POINTS', type: 'liability', metadata: { tier: 'gold' }, noOverdraft: true });
  await expect201('/accounts', { id: 'points:pool', normalBalance: 'debit', currency: 'POINTS' });
  await expect201('/transactions', { id: 'points-1', effectiveAt: day(), postings: [{ accountId: 'points:pool', direction: 'debit', amount: '7' }, { accountId: 'points:alice', direction: 'credit', amount: '7' }] });
  await expect201('/transactions/points-1/correct', { reason: 'test', replacement: { id: 'points-2', postings: [{ accountId: 'points:pool', direction: 'debit', amount: '5' }, { accountId: 'points:alice', direction: 'credit', amount: '5' }] } });
  await expect201('/transactions', { id: 'points-hold', status: 'pending', expiresAt: '2099-01-01T00:00:00.000001Z', postings: [{ accountId: 'points:alice', direction: 'debit', amount: '2' }, { accountId: 'points:pool', direction: 'credit', amount: '2' }] });
  await expect201('/transactions/points-hold/post', { postings: [{ accountId: 'points:alice', direction: 'debit', amount: '1' }, { accountId: 'points:pool', direction: 'credit', amount: '1' }] });
  await expect201('/accounts', { id: 'points:closed', normalBalance: 'debit', currency: 'POINTS' });
  await expect201('/accounts/points:closed/close', {});
  await expect201('/periods/close', { through: '2025-12-31' });
}

/** Every read-model row of the ledger, table by table, in key order, as text. */
async function readModelRows(database: Database, ledgerId: string): Promise<Record<string, string[]>> {
  return database.asOwner(async (run) => {
    const rows: Record<string, string[]> = {};
    for (const table of PROJECTION_TABLES) {
      const found = await run(`select t::text as row from ${table} t where t.ledger_id = $1 order by t::text`, [ledgerId]);
      rows[table] = found.map((r) => String(r.row));
    }
    return rows;
  });
}
