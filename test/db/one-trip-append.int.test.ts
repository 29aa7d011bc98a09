import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { Decimal } from '../../src/domain/money.ts';
import { formatInstant, parseDbTimestamp, parseTimestamp } from '../../src/domain/time.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type Json, type TestApi } from '../support/http.ts';

// Appends in one round trip (src/adapters/db/one-trip-append.ts): the process decides a plain
// write against what it knows of the ledger, before the lock, and the database confirms that
// knowledge is current. Two test APIs on one database stand for two API processes, each with its
// own knowledge: every write of one makes the other's stale. Nothing may be lost, doubled,
// reordered or decided on stale knowledge, and a recorded time must never land at or before a
// time a reader has already asked about.

const ACCOUNTS = ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'];

const move = (id: string, from: string, to: string, amount: string): Json => ({
  id, postings: [{ accountId: to, direction: 'debit', amount }, { accountId: from, direction: 'credit', amount }],
});

/** The database's clock, as the wire writes timestamps. */
async function databaseNow(database: Database): Promise<string> {
  const { rows } = await sql<{ now: string }>`select clock_timestamp()::text as now`.execute(database.db);
  return formatInstant(parseDbTimestamp(rows[0]!.now));
}

describe.each(DATABASES)('appends in one round trip on $name', ({ open }) => {
  let database: Database;
  let one: TestApi;
  let other: TestApi;
  let ledgerId: string;
  beforeAll(async () => {
    database = await open();
    one = await testApi(database);
    other = await testApi(database);
    ledgerId = await one.seedLedger({ accounts: ACCOUNTS.map((id) => ({ id, normalBalance: 'debit', currency: 'USD' })) });
  });
  afterAll(() => database.close());

  it('records every write of two processes once, gapless, in commit order, with a chain that verifies', { timeout: 120_000 }, async () => {
    const before = await one.head(ledgerId);
    const writes = Array.from({ length: 120 }, (_, i) => {
      const api = i % 3 === 0 ? other : one;
      return api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
        body: move(`w${i}`, ACCOUNTS[i % ACCOUNTS.length]!, ACCOUNTS[(i + 1) % ACCOUNTS.length]!, `${i + 1}.00`),
      });
    });
    const answers = await Promise.all(writes);
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    const positions = answers.map((a) => a.body.position as number).sort((a, b) => a - b);
    expect(positions).toEqual(Array.from({ length: 120 }, (_, i) => before + i + 1));

    const feed = await one.call('GET', `/v1/ledgers/${ledgerId}/events?after=${before}&limit=1000`);
    const events = feed.body.events as Json[];
    expect(events.map((e) => e.position)).toEqual(positions);
    for (let i = 1; i < events.length; i++) {
      // Recorded time never goes back, and two events share it only inside one commit.
      expect(parseTimestamp(events[i]!.recordedAt)! >= parseTimestamp(events[i - 1]!.recordedAt)!).toBe(true);
    }
    const verified = await other.call('GET', `/v1/ledgers/${ledgerId}/verify`);
    expect(verified.body, verified.text).toMatchObject({ ok: true, firstBadPosition: null });

    // Each account was debited and credited by known amounts: the sum of all balances is zero and each is exact.
    const expected = new Map(ACCOUNTS.map((a) => [a, 0]));
    for (let i = 0; i < 120; i++) {
      const from = ACCOUNTS[i % ACCOUNTS.length]!;
      const to = ACCOUNTS[(i + 1) % ACCOUNTS.length]!;
      expected.set(to, expected.get(to)! + (i + 1));
      expected.set(from, expected.get(from)! - (i + 1));
    }
    for (const accountId of ACCOUNTS) {
      const balance = await one.call('GET', `/v1/ledgers/${ledgerId}/accounts/${accountId}/balance`);
      expect(balance.body.ledgerBalance, accountId).toBe(expected.get(accountId)!.toFixed(2));
    }
  });

  it('never records at or before a time a reader asked about, so a past answer never changes', { timeout: 120_000 }, async () => {
    const seen: { recordedAsOf: string; position: number }[] = [];
    let writing = true;
    const reader = (async () => {
      while (writing) {
        const at = await databaseNow(database);
        const answer = await one.call('GET', `/v1/ledgers/${ledgerId}/accounts/a0/balance?recordedAsOf=${encodeURIComponent(at)}`);
        expect(answer.status, answer.text).toBe(200);
        seen.push({ recordedAsOf: at, position: answer.body.asOf.position as number });
      }
    })();
    const writes = Array.from({ length: 80 }, (_, i) => (i % 2 ? other : one).call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
      body: move(`r${i}`, 'a0', 'a1', '1.00'),
    }));
    const answers = await Promise.all(writes);
    writing = false;
    await reader;
    expect(answers.every((a) => a.status === 201)).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    for (const { recordedAsOf, position } of seen) {
      const again = await other.call('GET', `/v1/ledgers/${ledgerId}/accounts/a0/balance?recordedAsOf=${encodeURIComponent(recordedAsOf)}`);
      expect(again.body.asOf.position, `as of ${recordedAsOf}`).toBe(position);
    }
  });

  it('counts a write dated now in a read as of now made after its answer, though its recorded time may lead the clock', async () => {
    for (let i = 0; i < 30; i++) {
      const api = i % 2 ? other : one;
      const before = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/a3/balance`);
      const written = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move(`now${i}`, 'a2', 'a3', '1.00') });
      expect(written.status, written.text).toBe(201);
      const after = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/a3/balance`);
      expect(after.body.asOf.position).toBeGreaterThanOrEqual(written.body.position as number);
      expect(parseTimestamp(after.body.asOf.effectiveAt as string)! >= parseTimestamp(written.body.recordedAt as string)!).toBe(true);
      expect(new Decimal(after.body.ledgerBalance as string).minus(before.body.ledgerBalance as string).toFixed(2)).toBe('1.00');
    }
  });

  it('takes the lock first for a large batch, and its rows (COPY on PostgreSQL) read back exactly', { timeout: 120_000 }, async () => {
    const appendsBy = (way: string) => one.store.appendOutcomes!()[way] ?? 0;
    // What COPY's text format escapes or could misread, and the most digits a USD amount takes.
    const awkward = ['tab\there', 'line\nbreak', 'cr\rhere', 'back\\slash', '\\N', '\\.', 'quote "\'', 'snow ☃ and 🦆', ''];
    const items: Json[] = Array.from({ length: 100 }, (_, i) => ({
      ...move(`big${i}`, 'a2', 'a3', i === 0 ? '123456789012345678901234567890.12' : `${i}.01`),
      metadata: { note: awkward[i % awkward.length]!, [awkward[(i + 1) % awkward.length]!]: i },
    }));
    // A write first, so that `one` knows the ledger as it is (the other process wrote last).
    expect((await one.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('before-big', 'a2', 'a3', '1.00') })).status).toBe(201);
    const before = await one.head(ledgerId);
    const a3Before = await one.call('GET', `/v1/ledgers/${ledgerId}/accounts/a3/balance`);
    const locked = appendsBy('locked');
    const answer = await one.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } });
    expect(answer.status, answer.text).toBe(200);
    expect(answer.body.results.map((r: Json) => r.status)).toEqual(items.map(() => 201));
    expect(appendsBy('locked')).toBe(locked + 1);

    // Read back by the other process: every item as sent, the chain whole, the sums exact.
    for (const [i, item] of items.entries()) {
      const read = await other.call('GET', `/v1/ledgers/${ledgerId}/transactions/big${i}`);
      expect(read.status, read.text).toBe(200);
      expect(read.body.metadata).toEqual(item.metadata);
      expect(read.body.position).toBe(before + 1 + i);
      expect(read.body.postings.map((p: Json) => p.amount)).toEqual((item.postings as Json[]).map((p) => p.amount));
    }
    const feed = await other.call('GET', `/v1/ledgers/${ledgerId}/events?after=${before}&limit=1000`);
    expect((feed.body.events as Json[]).map((e) => (e.data as Json).metadata)).toEqual(items.map((item) => item.metadata));
    const verified = await other.call('GET', `/v1/ledgers/${ledgerId}/verify`);
    expect(verified.body, verified.text).toMatchObject({ ok: true, firstBadPosition: null });
    const total = items.reduce((sum, item) => sum.plus((item.postings as Json[])[0]!.amount as string), new Decimal(0));
    const a3After = await other.call('GET', `/v1/ledgers/${ledgerId}/accounts/a3/balance`);
    expect(a3After.body.asOf.position).toBeGreaterThanOrEqual(before + 100);
    expect(new Decimal(a3After.body.ledgerBalance as string).minus(a3Before.body.ledgerBalance as string).toFixed(2)).toBe(total.toFixed(2));

    // Sent again to the other process, which knows none of it: every item replayed, nothing recorded.
    const again = await other.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } });
    expect(again.body.results.map((r: Json) => r.status)).toEqual(items.map(() => 200));
    expect(await one.head(ledgerId)).toBe(before + 100);
  });

  it('asks for the next large batch\'s lock while the one before copies; when that one fails, the next goes the slow way and nothing is lost or doubled', { timeout: 120_000 }, async () => {
    const appendsBy = (way: string) => one.store.appendOutcomes!()[way] ?? 0;
    const batch = (name: string, size: number) => Array.from({ length: size }, (_, i) => move(`${name}${i}`, 'a0', 'a1', `${i + 1}.00`));
    // A write first, so that `one` knows the ledger as it is.
    const known = await one.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('before-pipeline', 'a0', 'a1', '1.00') });
    expect(known.status).toBe(201);
    const before = await one.head(ledgerId);
    const a1Before = (await one.call('GET', `/v1/ledgers/${ledgerId}/accounts/a1/balance`)).body.ledgerBalance as string;
    const la001 = appendsBy('LA001');
    const first = [...batch('fails', 70), move('claimed-meanwhile', 'a0', 'a1', '5.00')];
    const second = batch('then', 80);
    // The ledger's lock held elsewhere: the first batch's check probes its claims and waits for
    // the lock. Meanwhile the holder takes one of its claims (as another process's append would),
    // and the second batch arrives. Once the lock is free, the first is decided and the second,
    // taken at once, asks for the lock while the first copies its rows, which the claim refuses.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const lockTaken = new Promise<void>((resolve) => (locked = resolve));
    const holder = database.db.transaction().execute(async (trx) => {
      await sql`select ledger_lock_head(${ledgerId})`.execute(trx);
      locked();
      await held;
      await sql`insert into idempotency_keys (ledger_id, scope, key, request, first_position, last_position)
        values (${ledgerId}, 'transaction', 'claimed-meanwhile', '{"taken": "elsewhere"}'::jsonb, ${known.body.position}, ${known.body.position})`.execute(trx);
    });
    await lockTaken;
    const failing = one.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: first, atomic: true } });
    if (database.kind === 'postgres') {
      // Its claims probed (none taken yet), the first batch's check waits for the lock.
      for (let waited = 0; ; waited += 20) {
        const { rows } = await sql<{ n: number }>`select count(*)::int as n from pg_locks where locktype = 'advisory' and not granted`.execute(database.db);
        if (rows[0]!.n > 0) break;
        if (waited > 20_000) throw new Error('the first batch never waited for the lock');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
    const following = one.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: second, atomic: true } });
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    await holder;
    const [refused, followed] = await Promise.all([failing, following]);
    expect(refused.status, refused.text).toBeLessThan(500);
    expect(followed.status, followed.text).toBe(200);
    expect(followed.body.results.map((r: Json) => r.status)).toEqual(second.map(() => 201));
    // On PostgreSQL the second was decided on what the first left and found the head behind it
    // (PGlite's one connection takes them in turn, and its first batch saw the claim taken).
    if (database.kind === 'postgres') expect(appendsBy('LA001')).toBeGreaterThan(la001);

    // Nothing of the first is recorded; the second follows the head gaplessly, chain whole.
    expect(await one.head(ledgerId)).toBe(before + 80);
    expect((await other.call('GET', `/v1/ledgers/${ledgerId}/transactions/fails0`)).status).toBe(404);
    const feed = await other.call('GET', `/v1/ledgers/${ledgerId}/events?after=${before}&limit=1000`);
    expect((feed.body.events as Json[]).map((e) => (e.data as Json).id)).toEqual(second.map((item) => item.id));
    const verified = await other.call('GET', `/v1/ledgers/${ledgerId}/verify`);
    expect(verified.body, verified.text).toMatchObject({ ok: true, firstBadPosition: null });
    const a1After = (await other.call('GET', `/v1/ledgers/${ledgerId}/accounts/a1/balance`)).body.ledgerBalance as string;
    expect(new Decimal(a1After).minus(a1Before).toFixed(2)).toBe(((80 * 81) / 2).toFixed(2));
    // And `one` goes on from what it learns again.
    expect((await one.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: batch('after', 70) } })).status).toBe(200);
    expect(await other.head(ledgerId)).toBe(before + 150);
  });

  it('replays or refuses a write that the other process recorded, as the slow way would', async () => {
    const first = await other.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('shared', 'a4', 'a5', '7.00') });
    expect(first.status, first.text).toBe(201);
    // `one` knows nothing of `shared`: its decision records it again, and the database refuses that.
    const replay = await one.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('shared', 'a4', 'a5', '7.00') });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.position).toBe(first.body.position);
    const conflict = await one.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('shared', 'a4', 'a5', '8.00') });
    expect(conflict.status, conflict.text).toBe(409);
    expect(conflict.body.code).toBe('IDEMPOTENCY_CONFLICT');
  });

  it('decides on what the other process changed: a closed account refuses', async () => {
    const closed = await other.call('POST', `/v1/ledgers/${ledgerId}/accounts/a5/close`, { body: {} });
    expect([200, 201]).toContain(closed.status);
    const refused = await one.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move('after-close', 'a4', 'a5', '1.00') });
    expect(refused.status, refused.text).toBe(409);
    expect(refused.body.code).toBe('ACCOUNT_CLOSED');
  });
});
