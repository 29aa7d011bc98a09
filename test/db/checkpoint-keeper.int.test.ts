import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { DEFAULT_LIMITS } from '../../src/adapters/http/limits.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { CheckpointKeeper } from '../../src/app/checkpoint-keeper.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import type { RecordedEvent } from '../../src/domain/events.ts';
import { DATABASES, uniqueLedgerId } from '../support/databases.ts';
import { answerOf } from '../support/http.ts';

// The checkpoint keeper (src/app/checkpoint-keeper.ts) builds balance checkpoints in the
// background as the service commits postings, so that no read and no noOverdraft check finds a
// long tail to build while a client waits.

const EVERY = 20;

describe.each(DATABASES)('the checkpoint keeper on $name', ({ open }) => {
  it('builds an account\'s checkpoints as its postings are committed, with no read asking', { timeout: 120_000 }, async () => {
    const database = await open();
    try {
      const store = createLedgerStore(database.db, { checkpointEvery: EVERY });
      const keeper = new CheckpointKeeper(store, EVERY);
      const committer = new GroupCommitter(store, { onCommitted: (ledgerId, recorded) => keeper.committed(ledgerId, recorded) });
      const app = createApp({ store, committer, limits: { ...DEFAULT_LIMITS, ratePerSecond: 0 } });
      const key = (await createApiKey(store, { name: 'keeper test', role: 'admin', ledgerIds: null })).key;
      const call = async (method: string, path: string, body: unknown) => answerOf(await app.request(path, {
        method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
      }));
      const ledgerId = uniqueLedgerId('keeper');
      expect((await call('POST', '/v1/ledgers', { id: ledgerId, name: 'keeper' })).status).toBe(201);
      for (const id of ['bank', 'alice', 'bob']) {
        const answer = await call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id, name: id, normalBalance: id === 'bank' ? 'debit' : 'credit', currency: 'USD' });
        expect(answer.status, answer.text).toBe(201);
      }
      // 5 batches of 30: bank gets 150 postings, alice 120, bob 30 (one batch), and a hold on bob, which counts for nothing.
      for (let b = 0; b < 5; b++) {
        const transactions = Array.from({ length: 30 }, (_, i) => ({
          id: `t${b}-${i}`, postings: [
            { accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: b === 2 ? 'bob' : 'alice', direction: 'credit', amount: '1.00' }],
        }));
        expect((await call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions })).status).toBe(200);
      }
      expect((await call('POST', `/v1/ledgers/${ledgerId}/transactions`, { id: 'hold', status: 'pending', postings: [
        { accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: 'bob', direction: 'credit', amount: '1.00' }] })).status).toBe(201);
      await keeper.idle();
      const { rows } = await sql<{ account_id: string; latest: string; checkpoints: string }>`
        select account_id, max(position)::text as latest, count(distinct position)::text as checkpoints from balance_checkpoints
         where ledger_id = ${ledgerId} group by account_id order by account_id`.execute(database.db);
      const tails = await sql<{ account_id: string; tail: string }>`
        select p.account_id, count(*)::text as tail from postings p
         where p.ledger_id = ${ledgerId} and p.status = 'posted'
           and p.position > coalesce((select max(b.position) from balance_checkpoints b where b.ledger_id = p.ledger_id and b.account_id = p.account_id), 0)
         group by p.account_id order by p.account_id`.execute(database.db);
      // bank and alice were queued (20 or more postings each); bob's 30 came in one commit, so it was too.
      expect(rows.map((r) => r.account_id)).toEqual(['alice', 'bank', 'bob']);
      expect(Number(rows.find((r) => r.account_id === 'bank')!.checkpoints)).toBeGreaterThanOrEqual(150 / (EVERY + 1) - 1);
      // What is left after the latest checkpoint is at most EVERY postings: a read builds nothing.
      for (const t of tails.rows) expect(Number(t.tail), t.account_id).toBeLessThanOrEqual(EVERY);
    } finally {
      await database.close();
    }
  });
});

describe('the checkpoint keeper, on its own', () => {
  const event = (position: number, accountIds: string[], status: 'posted' | 'pending' = 'posted'): RecordedEvent => ({
    ledgerId: 'l', position, recordedAt: 0n, actor: 'a', requestId: 'r', prevHash: '', hash: '',
    event: { type: 'TransactionRecorded', data: {
      id: `t${position}`, status, effectiveAt: '2026-01-01T00:00:00Z', expiresAt: null, description: '', metadata: {},
      reverses: null, corrects: null, reason: null, postings: accountIds.map((accountId) => ({ accountId, direction: 'debit', amount: '1', currency: 'USD' })),
    } },
  } as RecordedEvent);

  it('queues an account once it has had `every` posted postings, builds until nothing more is built, and goes on after a failure', async () => {
    const calls: string[] = [];
    const built = new Map<string, number>();
    const keeper = new CheckpointKeeper({
      async buildCheckpoints(ledgerId, accountId, position) {
        calls.push(`${accountId}@${position}`);
        if (accountId === 'broken') throw new Error('the database is gone');
        // Two calls' worth of checkpoints to build, then the latest stays.
        const next = Math.min((built.get(accountId) ?? 0) + 3, position);
        built.set(accountId, next);
        return next;
      },
    }, 3, (error) => calls.push(`error: ${(error as Error).message}`));
    keeper.committed('l', [event(1, ['a', 'b']), event(2, ['a']), event(3, ['b'], 'pending')]);
    await keeper.idle();
    expect(calls).toEqual([]); // a: 2 postings, b: 1 posted (its hold counts for nothing)
    keeper.committed('l', [event(4, ['a', 'broken', 'broken', 'broken'])]);
    keeper.committed('l', [event(5, ['c', 'c', 'c'])]);
    await keeper.idle();
    expect(calls).toEqual(['a@4', 'a@4', 'a@4', 'broken@4', 'error: the database is gone', 'c@5', 'c@5', 'c@5']);
    await keeper.close();
    keeper.committed('l', [event(6, ['a', 'a', 'a'])]);
    await keeper.idle();
    expect(calls).toHaveLength(8);
  });

  it('counts at most so many accounts at once, then starts again', async () => {
    const calls: string[] = [];
    const keeper = new CheckpointKeeper({ buildCheckpoints: async (_ledgerId, accountId) => (calls.push(accountId), 0) }, 2, () => {}, 2);
    keeper.committed('l', [event(1, ['a', 'b'])]); // a: 1, b: 1
    keeper.committed('l', [event(2, ['c'])]); // a third account: the counts start again, c: 1
    keeper.committed('l', [event(3, ['a', 'c'])]); // a: 1, c: 2, queued
    await keeper.idle();
    expect(calls).toEqual(['c', 'c']); // built up to 0, then again: nothing more
  });
});
