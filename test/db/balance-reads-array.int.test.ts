import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BalanceReadParameters as Read } from '../../src/adapters/db/balance-read-batches.ts';
import type { Database } from '../../src/adapters/db/database.ts';
import { formatInstant } from '../../src/domain/time.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type Json, type TestApi } from '../support/http.ts';

// `ledger_balance_reads` (sql/functions/ledger_point_reads.sql) answers gathered balance reads in
// one pass. Each of its rows must be what `ledger_balance_read` answers for that read alone (the
// single form, which the property tests hold to a fold of the log): reads of several ledgers and
// accounts in one call, by position (inside a commit of several, past the head) and by recorded
// time (at a commit, just before it, now), at effective times around backdated and scheduled
// postings, holds, their resolutions and their expiries.

const DAY_MS = 86_400_000;
const ACCOUNTS = ['bank', 'alice', 'merchant', 'nobody'];

type Row = Record<string, unknown>;

const cents = (n: number) => `${Math.floor(n / 100)}.${String(n % 100).padStart(2, '0')}`;
const instant = (ms: number, us = 0) => formatInstant(BigInt(ms) * 1000n + BigInt(us));

describe.each(DATABASES)('balance reads in one call on $name', ({ open }) => {
  let database: Database;
  let api: TestApi;
  const ledgers: string[] = [];
  /** Each ledger's commits: their recorded time and their last position. */
  const commits: { ledgerId: string; recordedAt: string; position: number }[] = [];
  /** Effective times worth reading at: the postings', the holds' expiries, each a microsecond either side. */
  const moments: string[] = [];
  const now = Date.now();

  async function record(ledgerId: string, path: string, body: Json): Promise<void> {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}${path}`, { body });
    expect(answer.status, answer.text).toBeLessThan(300);
    const head = await api.head(ledgerId);
    const event = (await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=${head - 1}&limit=1`)).body.events[0] as Json;
    commits.push({ ledgerId, recordedAt: event.recordedAt as string, position: head });
  }

  beforeAll(async () => {
    database = await open();
    api = await testApi(database, { checkpointEvery: 4 });
    ledgers.push(await api.seedLedger(), await api.seedLedger({ timezone: 'Pacific/Kiritimati' }));
    const random = fc.sample(fc.tuple(fc.integer({ min: -40, max: 10 }), fc.integer({ min: 1, max: 99_999 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: DAY_MS - 1 })), { numRuns: 96, seed: 14 });
    for (let batch = 0; batch < 8; batch++) {
      const ledgerId = ledgers[batch % 2]!;
      // Several transactions in one commit (one recorded time), backdated and scheduled.
      const transactions = random.slice(batch * 12, batch * 12 + 12).map(([days, amount, pair, ms], i) => {
        const effectiveMs = now + days * DAY_MS + ms;
        moments.push(instant(effectiveMs), instant(effectiveMs, -1));
        const [debit, credit] = [['bank', 'alice'], ['alice', 'merchant'], ['bank', 'merchant'], ['merchant', 'alice'], ['alice', 'bank'], ['merchant', 'bank']][pair]!;
        return { id: `t${batch}-${i}`, effectiveAt: instant(effectiveMs), postings: [
          { accountId: debit, direction: 'debit', amount: cents(amount) }, { accountId: credit, direction: 'credit', amount: cents(amount) }] };
      });
      await record(ledgerId, '/transactions/batch', { transactions });
      // A hold that expires, then posted, voided or left to expire.
      const expiresMs = now + (batch - 3) * DAY_MS + batch * 3_600_000;
      moments.push(instant(expiresMs), instant(expiresMs, -1));
      await record(ledgerId, '/transactions', { id: `h${batch}`, status: 'pending', effectiveAt: instant(now - (batch + 5) * DAY_MS), expiresAt: instant(expiresMs),
        postings: [{ accountId: 'alice', direction: 'debit', amount: `${batch + 1}.00` }, { accountId: 'bank', direction: 'credit', amount: `${batch + 1}.00` }] });
      // Those that expired already (the first four) can be neither.
      if (batch >= 4 && batch % 3 === 1) await record(ledgerId, `/transactions/h${batch}/post`, {});
      if (batch >= 4 && batch % 3 === 2) await record(ledgerId, `/transactions/h${batch}/void`, {});
    }
    moments.push(instant(now - 100 * DAY_MS), instant(now + 100 * DAY_MS));
  }, 120_000);
  afterAll(() => database.close());

  /** `count` reads at coordinates drawn with `seed`, of the ledgers, a missing one, and their accounts, a missing one. */
  function reads(count: number, seed: number): Read[] {
    return fc.sample(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), fc.nat()), { numRuns: count, seed }).map(([l, a, r, e, t]) => {
      const ledgerId = l % 9 === 8 ? 'no-such-ledger' : ledgers[l % 2]!;
      const own = commits.filter((c) => c.ledgerId === ledgerId);
      const commit = own[r % Math.max(1, own.length)];
      const head = own.at(-1)?.position ?? 0;
      // By position (0, inside or at the end of a commit, past the head), by recorded time (at a commit, a microsecond before), or now.
      const recorded: Pick<Read, 'recordedAsOf' | 'position'> = [
        { recordedAsOf: null, position: String(r % (head + 3)) },
        { recordedAsOf: null, position: commit ? String(commit.position) : '1' },
        { recordedAsOf: commit?.recordedAt ?? null, position: null },
        { recordedAsOf: commit ? formatInstant(BigInt(Date.parse(commit.recordedAt)) * 1000n - 1n) : null, position: null },
        { recordedAsOf: null, position: null },
      ][r % 5]!;
      return { ledgerId, accountId: ACCOUNTS[a % ACCOUNTS.length]!, ...recorded, effectiveAt: e % 7 === 6 ? null : moments[e % moments.length]!, tailMax: t % 4 === 3 ? 4 : 0 };
    });
  }

  const alone = async (read: Read): Promise<Row> => (await sql<Row>`select * from ledger_balance_read(${read.ledgerId}, ${read.accountId},
    ${read.recordedAsOf}::timestamptz, ${read.position}::bigint, ${read.effectiveAt}::timestamptz, ${read.tailMax}::integer)`.execute(database.db)).rows[0]!;

  const together = async (many: readonly Read[]): Promise<Row[]> => (await sql<Row>`select * from ledger_balance_reads(
    ${many.map((r) => r.ledgerId)}::text[], ${many.map((r) => r.accountId)}::text[], ${many.map((r) => r.recordedAsOf)}::timestamptz[],
    ${many.map((r) => r.position)}::bigint[], ${many.map((r) => r.effectiveAt)}::timestamptz[], ${many.map((r) => r.tailMax)}::integer[])`.execute(database.db)).rows;

  /** A row as compared: not the database's clock when read, nor the effective time it defaults, for a read as of now. */
  const comparable = (row: Row, read: Read) => {
    const { read_index: _, read_now: __, read_effective_at: effective, ...rest } = row;
    return read.effectiveAt === null ? rest : { ...rest, read_effective_at: effective };
  };

  it('answers each read as ledger_balance_read answers it alone, 16 at a time and 300 at once', { timeout: 120_000 }, async () => {
    const asked = reads(300, 7);
    const single = [];
    for (const read of asked) single.push(await alone(read));
    const inSixteens = [];
    for (let i = 0; i < asked.length; i += 16) inSixteens.push(...await together(asked.slice(i, i + 16)));
    const atOnce = await together(asked);
    expect(inSixteens.map((row) => Number(row.read_index))).toEqual(asked.map((_, i) => 1 + (i % 16)));
    expect(atOnce.map((row) => Number(row.read_index))).toEqual(asked.map((_, i) => 1 + i));
    for (const rows of [inSixteens, atOnce]) {
      expect(rows.map((row, i) => comparable(row, asked[i]!))).toEqual(single.map((row, i) => comparable(row, asked[i]!)));
    }
    // The reads asked for: missing ledgers and accounts, past the head, and balances with every kind of sum.
    expect(single.some((row) => row.ledger_found === false)).toBe(true);
    expect(single.some((row) => row.ledger_found === true && row.read_recorded_at === null && row.read_position !== '0')).toBe(true);
    for (const sum of ['posted_debits', 'posted_credits', 'pending_debits', 'pending_credits', 'scheduled_debits', 'scheduled_credits']) {
      expect(single.filter((row) => row[sum] !== null && Number(row[sum]) !== 0).length, sum).toBeGreaterThan(5);
    }
  });

  it('answers no rows for no reads, and a read of a ledger as of now sees the commits before the call', async () => {
    expect(await together([])).toEqual([]);
    const ledgerId = ledgers[0]!;
    await record(ledgerId, '/transactions', { id: 'late', postings: [{ accountId: 'bank', direction: 'debit', amount: '0.01' }, { accountId: 'alice', direction: 'credit', amount: '0.01' }] });
    const [row] = await together([{ ledgerId, accountId: 'alice', recordedAsOf: null, position: null, effectiveAt: null, tailMax: 0 }]);
    expect(Number(row!.read_position)).toBe(await api.head(ledgerId));
  });
});
