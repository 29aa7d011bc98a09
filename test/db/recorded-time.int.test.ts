import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatInstant, parseTimestamp } from '../../src/domain/time.ts';
import { testApi, transfer, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// Issue 3, acceptance 4: reads stay exact when recordedAsOf lands between two events recorded in
// the same millisecond. Commits here take a few milliseconds, so the test gives the database a
// coarse clock (whole seconds, like a clock that stepped back or ticks coarsely): the append
// lock then spaces commits by exactly one microsecond, and reads must tell them apart.
// The coarse clock shadows clock_timestamp() through search_path, on a database of its own.
// Appends go the slow way, where the database's clock gives the recorded time (in one round
// trip the process's clock does: test/db/one-trip-append.int.test.ts).

const COARSE_CLOCK = `
  create schema coarse_clock;
  grant usage on schema coarse_clock to ledger_app;
  create function coarse_clock.clock_timestamp() returns timestamptz language sql volatile
    as $$ select date_trunc('second', pg_catalog.clock_timestamp()) $$;`;
const SEARCH_PATH = 'coarse_clock, pg_catalog, public';

describe.each(PRIVATE_DATABASES)('recordedAsOf between commits of one millisecond on $name', (setup) => {
  let dispose: () => Promise<void>;
  let api: TestApi;
  beforeAll(async () => {
    const opened = await setup.open({ prepare: (run) => run(COARSE_CLOCK), databaseSettings: { search_path: SEARCH_PATH } });
    dispose = opened.dispose;
    api = await testApi(opened.database, { oneTripAppends: false });
  });
  afterAll(() => dispose());

  it('resolves to exactly the commits recorded at or before it', async () => {
    const ledgerId = await api.seedLedger();
    const writes: { position: number; recordedAt: bigint }[] = [];
    for (let i = 0; i < 4; i++) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer(`t${i}`, '2026-03-01T00:00:00Z', 'bank', 'alice', '1.00') });
      expect(answer.status, answer.text).toBe(201);
      writes.push({ position: answer.body.position, recordedAt: parseTimestamp(answer.body.recordedAt)! });
    }
    // Find two consecutive commits in one millisecond (the coarse clock makes them a microsecond apart).
    const i = writes.findIndex((w, k) => k > 0 && w.recordedAt - writes[k - 1]!.recordedAt < 1000n);
    expect(i, JSON.stringify(writes.map((w) => formatInstant(w.recordedAt)))).toBeGreaterThan(0);
    const [first, second] = [writes[i - 1]!, writes[i]!];
    expect(second.recordedAt - first.recordedAt).toBeGreaterThanOrEqual(1n);

    const asOf = async (recordedAsOf: bigint) => {
      const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-02&recordedAsOf=${encodeURIComponent(formatInstant(recordedAsOf))}`);
      expect(answer.status, answer.text).toBe(200);
      return [answer.body.asOf.position, answer.body.ledgerBalance];
    };
    expect(await asOf(first.recordedAt)).toEqual([first.position, `${i}.00`]);
    expect(await asOf(second.recordedAt - 1n)).toEqual([first.position, `${i}.00`]);
    expect(await asOf(second.recordedAt)).toEqual([second.position, `${i + 1}.00`]);
    expect(await asOf(first.recordedAt - 1n)).toEqual([first.position - 1, `${i - 1}.00`]);
  });
});
