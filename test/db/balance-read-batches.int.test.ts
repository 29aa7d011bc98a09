import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALONE_FOR_MS, BalanceReadBatches, balanceReadQuery, SLOW_STATEMENT_MS, type BalanceReadParameters } from '../../src/adapters/db/balance-read-batches.ts';
import type { Database } from '../../src/adapters/db/database.ts';
import { balanceReadBatchesOf } from '../../src/adapters/db/point-reads.ts';
import { directStatementOf } from '../../src/adapters/db/postgres-js-dialect.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, transfer, type TestApi } from '../support/http.ts';

// Balance reads made at once on PostgreSQL go several to a statement
// (src/adapters/db/balance-read-batches.ts). Each must answer exactly what it answers alone, at
// its own coordinates: the same reads made one at a time (the single statement, which the
// property tests hold to a fold of the log) and all at once must agree, answer for answer.

const ACCOUNTS = ['bank', 'alice', 'merchant', 'nobody'];
const DAYS = ['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02', '2026-03-03', '2026-03-04'];

/** A pool's statement that answers after `msPerRead` for each read it carries, and counts what it was sent. */
function fakeStatement(msPerRead: number) {
  const sent: number[] = [];
  let out = 0;
  let mostOut = 0;
  const direct = async (query: { parameters: readonly unknown[] }) => {
    const reads = Array.isArray(query.parameters[0]) ? query.parameters[0].length : 1;
    sent.push(reads);
    mostOut = Math.max(mostOut, ++out);
    await new Promise((resolve) => setTimeout(resolve, msPerRead * reads));
    out--;
    return Array.from({ length: reads }, (_, i) => ({ read_index: String(i + 1) }));
  };
  return { direct, sent, mostOut: () => mostOut };
}

describe('balance reads gathered by how long they take', () => {
  const read: BalanceReadParameters = { ledgerId: 'l', accountId: 'a', recordedAsOf: null, position: null, effectiveAt: null, tailMax: 0 };

  it('gathers cheap reads, at most STATEMENTS_IN_FLIGHT statements out', async () => {
    const fake = fakeStatement(0.1);
    const batches = new BalanceReadBatches(fake.direct);
    await batches.read(read); // within the bound
    await new Promise(setImmediate);
    await Promise.all(Array.from({ length: 12 }, () => batches.read(read)));
    expect(fake.sent).toEqual([1, 12]);
    expect(fake.mostOut()).toBe(1);
  });

  it('sends reads alone and all at once after a slow statement, then probes again', async () => {
    // Past the bound with a margin: a timer may fire a little before performance.now() says its
    // time has passed (libuv's clock is the loop's, taken before the statement's start).
    const fake = fakeStatement(SLOW_STATEMENT_MS + 20);
    const batches = new BalanceReadBatches(fake.direct);
    await batches.read(read); // slow
    await new Promise(setImmediate);
    await Promise.all(Array.from({ length: 6 }, () => batches.read(read)));
    expect(fake.sent).toEqual([1, 1, 1, 1, 1, 1, 1]);
    expect(fake.mostOut()).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, ALONE_FOR_MS + 50));
    await Promise.all(Array.from({ length: 6 }, () => batches.read(read)));
    // Probed again: statements of two (two out), slow, so the rest alone.
    expect(fake.sent.slice(7)).toEqual([2, 2, 1, 1]);
  });
});

describe.each(DATABASES)('balance reads at once on $name', ({ name, open }) => {
  let database: Database;
  let api: TestApi;
  let ledgerId: string;
  const recordedAt: string[] = [];
  beforeAll(async () => {
    database = await open();
    api = await testApi(database);
    ledgerId = await api.seedLedger();
    // Entries effective on different days, some backdated, recorded one after the other.
    const entries = [['2026-03-01T10:00:00Z', 'bank', 'alice', '100.00'], ['2026-03-03T09:00:00Z', 'alice', 'merchant', '30.50'],
      ['2026-02-28T23:59:59.999999Z', 'bank', 'merchant', '7.25'], ['2026-03-02T12:00:00Z', 'merchant', 'alice', '1.01'],
      ['2026-03-01T00:00:00Z', 'bank', 'alice', '0.99']] as const;
    for (const [i, [effectiveAt, debit, credit, amount]] of entries.entries()) {
      const written = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer(`t${i}`, effectiveAt, debit, credit, amount) });
      expect(written.status, written.text).toBe(201);
      recordedAt.push((await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/t${i}`)).body.recordedAt as string);
    }
  });
  afterAll(() => database.close());

  /** Reads at many coordinates: by position (some past the head), by recorded time, by timestamp and by date, a missing account and a missing ledger. */
  function paths(head: number): string[] {
    const found: string[] = [];
    for (let i = 0; i < 60; i++) {
      const account = ACCOUNTS[i % ACCOUNTS.length]!;
      const day = DAYS[i % DAYS.length]!;
      const effective = i % 3 === 0 ? `effectiveAsOf=${day}` : `effectiveAsOf=${encodeURIComponent(`${day}T${String(i % 24).padStart(2, '0')}:00:00.000001Z`)}`;
      const recorded = i % 2 === 0 ? `recordedAsOfPosition=${1 + (i % (head + 2))}` : `recordedAsOf=${encodeURIComponent(recordedAt[i % recordedAt.length]!)}`;
      found.push(`/v1/ledgers/${i % 17 === 16 ? 'no-such-ledger' : ledgerId}/accounts/${account}/balance?${recorded}&${effective}`);
    }
    return found;
  }

  it('answers each read made at once as it answers it alone', async () => {
    const reads = paths(await api.head(ledgerId));
    const alone = [];
    for (const path of reads) alone.push(await api.call('GET', path));
    const sentBefore = { ...balanceReadBatchesOf(database.db)?.sent };
    const together = await Promise.all(reads.map((path) => api.call('GET', path)));
    expect(together.map((a) => [a.status, a.body])).toEqual(alone.map((a) => [a.status, a.body]));
    // The reads asked for: found, past the head, a missing account and a missing ledger.
    expect(new Set(alone.map((a) => a.status))).toEqual(new Set([200, 400, 404]));
    expect(alone.filter((a) => a.status === 200 && a.body.ledgerBalance !== '0.00').length).toBeGreaterThan(10);
    const batches = balanceReadBatchesOf(database.db);
    if (name === 'postgres') {
      // They went several to a statement (all but a missing ledger's read by date, answered from its timezone).
      const statements = batches!.sent.statements - sentBefore.statements!;
      const sent = batches!.sent.reads - sentBefore.reads!;
      expect(sent).toBeGreaterThan(reads.length * 0.9);
      expect(statements).toBeLessThan(sent / 2);
    } else {
      expect(batches).toBeUndefined();
    }
  });

  it.runIf(name === 'postgres')('answers the others when one read of a statement fails, and that one with its error', async () => {
    const direct = directStatementOf(database.db)!;
    const statements: number[] = [];
    const batches = new BalanceReadBatches(async (query) => {
      statements.push(Array.isArray(query.parameters[0]) ? query.parameters[0].length : 1);
      return direct(query);
    });
    const read = (accountId: string, position: string): BalanceReadParameters => ({
      ledgerId, accountId, recordedAsOf: null, position, effectiveAt: '2026-03-04T00:00:00Z', tailMax: 0,
    });
    const asked = [read('alice', '7'), read('bank', '8'), read('alice', 'not a position'), read('merchant', '9'), read('alice', '10'), read('bank', '6')];
    const answers = await Promise.allSettled(asked.map((parameters) => batches.read(parameters)));
    const alone = await Promise.allSettled(asked.map((parameters) => direct(balanceReadQuery(parameters)).then((rows) => rows[0])));
    expect(answers.map((a) => a.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    expect(String((answers[2] as PromiseRejectedResult).reason)).toMatch(/invalid input syntax for type bigint/);
    for (const i of [0, 1, 3, 4, 5]) {
      // The same row but for the database's clock when it was read (a read by position reads it).
      const { read_index: _, read_now: __, ...row } = (answers[i] as PromiseFulfilledResult<Record<string, unknown>>).value;
      const { read_now: ___, ...rowAlone } = (alone[i] as PromiseFulfilledResult<Record<string, unknown>>).value;
      expect(row).toEqual(rowAlone);
    }
    // Asked in one turn: two statements of two (the first measure how long reads take), the
    // second's failure then each of its reads alone, and the last two together.
    expect(statements.toSorted()).toEqual([1, 1, 2, 2, 2]);
    expect(batches.sent).toEqual({ statements: 5, reads: 8 });
  });
});
