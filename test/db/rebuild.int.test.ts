import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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

    const rebuilt = await rebuildProjections(opened.database);
    expect(rebuilt).toBe(head);
    const after = await answersOf();
    for (const [i, query] of queries.entries()) expect(after[i], query).toBe(before[i]);
    // And the service goes on writing on the rebuilt models.
    const next = await api.call('POST', `${path}/transactions`, { body: transfer('after-rebuild', day(), 'bank', 'alice', '1.00') });
    expect([next.status, next.body.position]).toEqual([201, head + 1]);
  });
});
