import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { GENESIS_HASH, hashEvent } from '../../src/app/hash-chain.ts';
import type { LedgerEvent } from '../../src/domain/events.ts';
import { formatInstant, parseDbTimestamp, parseTimestamp, type Instant } from '../../src/domain/time.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type TestApi } from '../support/http.ts';

type Answer = Awaited<ReturnType<TestApi['call']>>;

const WRITERS = 16;
const WRITES_PER_WRITER = 10;
/** Each stack is its own pool, store, group committer and app: like separate API processes. PGlite is one connection. */
const STACKS = { pglite: 1, postgres: 4 } as const;
const EFFECTIVE_AT = '2026-01-01T00:00:00.000000Z';
const EFFECTIVE_AS_OF = '2026-01-02T00:00:00.000000Z';
const SEEDED_EVENTS = 4; // LedgerCreated and three AccountOpened

interface Write {
  readonly writer: number;
  readonly stack: number;
  readonly id: string;
  /** Ticks of one counter shared by all writers: when the request left and when its answer came. */
  readonly sentTick: number;
  readonly returnedTick: number;
  readonly position: number;
  readonly recordedAt: string;
  /** Alice's balance as of `recordedAt` and as of one microsecond earlier, asked right after the write returned. */
  readonly including: Answer;
  readonly justBefore: Answer;
}

interface EventRow {
  readonly position: number;
  readonly recordedAt: Instant;
  /** The id of the database transaction that inserted the row: events with the same xid are one commit. */
  readonly xid: string;
  readonly type: string;
  readonly data: unknown;
  readonly actor: string;
  readonly requestId: string;
  readonly prevHash: string;
  readonly hash: string;
}

const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

async function eventRows(database: Database, ledgerId: string): Promise<EventRow[]> {
  const rows = await database.db.selectFrom('events')
    .select(['position', 'recorded_at', 'type', 'data', 'actor', 'request_id', 'prev_hash', 'hash', sql<string>`xmin::text`.as('xid')])
    .where('ledger_id', '=', ledgerId).orderBy('position').execute();
  return rows.map((r) => ({
    position: Number(r.position), recordedAt: parseDbTimestamp(r.recorded_at), xid: r.xid, type: r.type, data: r.data,
    actor: r.actor, requestId: r.request_id, prevHash: r.prev_hash, hash: r.hash,
  }));
}

/** Consecutive runs of events inserted by one database transaction, in position order. */
function commitsOf(rows: readonly EventRow[]): EventRow[][] {
  const commits: EventRow[][] = [];
  for (const row of rows) {
    const last = commits.at(-1);
    if (last && last[0]!.xid === row.xid) last.push(row);
    else commits.push([row]);
  }
  return commits;
}

describe.each(DATABASES)('concurrent writers on $name', ({ name, open }) => {
  const databases: Database[] = [];
  let stacks: TestApi[];
  let ledgerId: string;
  let writes: Write[];
  let rows: EventRow[];

  /** Alice's balance as of a recorded time, read on another stack than the write's: the answer must not depend on the process. */
  const balanceAsOf = (stack: number, recordedAsOf: string) =>
    stacks[(stack + 1) % stacks.length]!.call('GET',
      `/v1/ledgers/${ledgerId}/accounts/alice/balance?recordedAsOf=${encodeURIComponent(recordedAsOf)}&effectiveAsOf=${EFFECTIVE_AS_OF}`);

  async function write(writer: number, i: number, tick: () => number): Promise<Write> {
    const stack = writer % stacks.length;
    const id = `w${writer}-${i}`;
    const sentTick = tick();
    const response = await stacks[stack]!.call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
      body: { id, effectiveAt: EFFECTIVE_AT, postings: [
        { accountId: 'bank', direction: 'debit', amount: '1.00' },
        { accountId: 'alice', direction: 'credit', amount: '1.00' },
      ] },
    });
    const returnedTick = tick();
    if (response.status !== 201) throw new Error(`write ${id}: ${response.status} ${response.text}`);
    const recordedAt: string = response.body.recordedAt;
    // Asked at once, while the other writers go on: the answers are checked against the log below.
    const including = await balanceAsOf(stack, recordedAt);
    const justBefore = await balanceAsOf(stack, formatInstant(parseTimestamp(recordedAt)! - 1n));
    return { writer, stack, id, sentTick, returnedTick, position: response.body.position, recordedAt, including, justBefore };
  }

  beforeAll(async () => {
    for (let i = 0; i < STACKS[name]; i++) databases.push(await open());
    stacks = await Promise.all(databases.map((database) => testApi(database)));
    ledgerId = await stacks[0]!.seedLedger();

    let ticks = 0;
    const tick = () => ticks++;
    // Every writer runs to its end or its first failure, so nothing is in flight when the databases close.
    const settled = await Promise.allSettled(range(0, WRITERS - 1).map(async (writer) => {
      const mine: Write[] = [];
      for (let i = 0; i < WRITES_PER_WRITER; i++) mine.push(await write(writer, i, tick));
      return mine;
    }));
    const failures = settled.flatMap((s) => (s.status === 'rejected' ? [String(s.reason)] : []));
    if (failures.length > 0) throw new Error(`writers failed:\n${failures.join('\n')}`);
    writes = settled.flatMap((s) => (s.status === 'fulfilled' ? s.value : []));
    rows = await eventRows(databases[0]!, ledgerId);
  });
  afterAll(() => Promise.all(databases.map((database) => database.close())));

  it('gives positions 1..N with no gap, one per event, and each write the position of its event', () => {
    const total = SEEDED_EVENTS + WRITERS * WRITES_PER_WRITER;
    expect(rows.map((r) => r.position)).toEqual(range(1, total));
    expect(writes.map((w) => w.position).sort((a, b) => a - b)).toEqual(range(SEEDED_EVENTS + 1, total));
    const byPosition = new Map(rows.map((r) => [r.position, r]));
    for (const w of writes) {
      const row = byPosition.get(w.position)!;
      expect(row.type).toBe('TransactionRecorded');
      expect(row.data).toMatchObject({ id: w.id });
      expect(formatInstant(row.recordedAt)).toBe(w.recordedAt);
    }
  });

  it('gives the events of one commit one recorded time, strictly increasing from commit to commit', () => {
    const commits = commitsOf(rows);
    // Each database transaction's events are contiguous: no xid comes back after another one.
    expect(new Set(commits.map((c) => c[0]!.xid)).size).toBe(commits.length);
    // The group committer put several writes into one commit at least once, or this would prove little.
    expect(Math.max(...commits.map((c) => c.length))).toBeGreaterThan(1);
    for (const commit of commits) expect(new Set(commit.map((r) => r.recordedAt)).size).toBe(1);
    const commitTimes = commits.map((c) => c[0]!.recordedAt);
    const increasing = commitTimes.every((t, i) => i === 0 || t > commitTimes[i - 1]!);
    expect(increasing).toBe(true);
    // So recorded time alone tells the commits apart.
    expect(new Set(rows.map((r) => r.recordedAt)).size).toBe(commits.length);
  });

  it('orders commits by position: a write sent after another returned has a later position and recorded time', () => {
    const violations: string[] = [];
    for (const a of writes) {
      for (const b of writes) {
        if (a.returnedTick >= b.sentTick) continue;
        if (!(a.position < b.position && parseTimestamp(a.recordedAt)! < parseTimestamp(b.recordedAt)!)) {
          violations.push(`${a.id} (${a.position}, ${a.recordedAt}) returned before ${b.id} (${b.position}, ${b.recordedAt}) was sent`);
        }
      }
    }
    expect(violations).toEqual([]);
  });

  it('chains every event to the one before it', () => {
    rows.forEach((row, i) => {
      expect(row.prevHash).toBe(i === 0 ? GENESIS_HASH : rows[i - 1]!.hash);
      const event = { type: row.type, data: row.data } as LedgerEvent;
      expect(hashEvent({ ledgerId, position: row.position, recordedAt: row.recordedAt, actor: row.actor, requestId: row.requestId, prevHash: row.prevHash, event })).toBe(row.hash);
    });
  });

  it.runIf(name === 'postgres')('interleaves the commits of the separate stacks', () => {
    const stackInPositionOrder = [...writes].sort((a, b) => a.position - b.position).map((w) => w.stack);
    const runs = stackInPositionOrder.filter((stack, i) => i === 0 || stack !== stackInPositionOrder[i - 1]).length;
    expect(runs).toBeGreaterThan(stacks.length);
  });

  it('answered as of the recordedAt a write returned with it, and as of one microsecond earlier without it', () => {
    const transactionsThrough = (position: number) => rows.filter((r) => r.position <= position && r.type === 'TransactionRecorded').length;
    const commitOf = new Map(commitsOf(rows).flatMap((commit) => commit.map((r): [number, EventRow[]] => [r.position, commit])));
    for (const w of writes) {
      expect(formatInstant(parseTimestamp(w.recordedAt)!)).toBe(w.recordedAt);
      const commit = commitOf.get(w.position)!;
      const commitFirst = commit[0]!.position;
      const commitLast = commit.at(-1)!.position;

      expect(w.including.status).toBe(200);
      expect(w.including.body.asOf).toEqual({ position: commitLast, recordedAt: w.recordedAt, effectiveAt: EFFECTIVE_AS_OF });
      expect(w.including.body.asOf.position).toBeGreaterThanOrEqual(w.position);
      expect(w.including.body.ledgerBalance).toBe(`${transactionsThrough(commitLast)}.00`);

      expect(w.justBefore.status).toBe(200);
      const previous = rows[commitFirst - 2]!; // the last event of the commit before: position commitFirst - 1
      expect(w.justBefore.body.asOf).toEqual({ position: commitFirst - 1, recordedAt: formatInstant(previous.recordedAt), effectiveAt: EFFECTIVE_AS_OF });
      expect(w.justBefore.body.asOf.position).toBeLessThan(w.position);
      expect(w.justBefore.body.ledgerBalance).toBe(`${transactionsThrough(commitFirst - 1)}.00`);
    }
  });

  it('answers the same for those recorded times once all writes are done', async () => {
    const sample = writes.filter((_, i) => i % 4 === 0);
    await Promise.all(sample.map(async (w) => {
      expect((await balanceAsOf(w.stack, w.recordedAt)).body).toEqual(w.including.body);
      expect((await balanceAsOf(w.stack, formatInstant(parseTimestamp(w.recordedAt)! - 1n))).body).toEqual(w.justBefore.body);
    }));
  });
});
