import { expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { lowestAvailableByFold, postingFacts } from '../../src/domain/balance.ts';
import { formatInstant, parseTimestamp } from '../../src/domain/time.ts';
import { describeOnEachDatabase, type Json } from '../support/http.ts';

// A noOverdraft wallet with a long history refuses exactly the overdrafts that a plain fold of
// its whole history refuses, at random backdated times. The service checks from a window (the
// balance at the earliest time the write touches, from balance checkpoints, and the postings
// after it: sql/functions/ledger_overdraft_windows.sql); the reference folds every posting at
// every instant (lowestAvailableByFold). Checkpoints every 50 postings, so that most windows
// start from one; holds, expiries, captures and voids, and future-dated credits, so that every
// part of the available balance is in play.

const HOUR_MS = 3_600_000;
const HISTORY = 600;
const CHECKS = 100;

/** A small pseudo-random sequence, so that a failure can be run again as it was. */
function random(seed: number) {
  let state = seed;
  return (n: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % n;
  };
}

const money = (cents: number) => `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`;

describeOnEachDatabase('a noOverdraft wallet with a long history', (api) => {
  it('refuses exactly what a plain fold refuses, at random backdated times', { timeout: 240_000 }, async () => {
    const ledgerId = await api.seedLedger({ accounts: [
      { id: 'funding', normalBalance: 'debit', currency: 'USD' },
      { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
      { id: 'shop', normalBalance: 'credit', currency: 'USD' },
    ] });
    const path = `/v1/ledgers/${ledgerId}`;
    const next = random(20261206);
    const nowMs = Date.now();
    const daysAgo = (maxDays: number) => new Date(nowMs - 1 - next(maxDays * 24) * HOUR_MS - next(HOUR_MS)).toISOString();
    const move = (id: string, from: string, to: string, cents: number, extra: Json = {}) => ({
      id, ...extra, postings: [{ accountId: from, direction: 'debit', amount: money(cents) }, { accountId: to, direction: 'credit', amount: money(cents) }],
    });

    // The history: funding and spending over 60 days, holds (some with an expiry), future-dated credits.
    const holds: string[] = [];
    for (let b = 0; b < HISTORY / 100; b++) {
      const items = Array.from({ length: 100 }, (_, i) => {
        const id = `h${b}-${i}`;
        const kind = next(10);
        if (kind < 4) return move(id, 'funding', 'wallet', 500 + next(5000), { effectiveAt: daysAgo(60) });
        if (kind < 8) return move(id, 'wallet', 'shop', 100 + next(3000), { effectiveAt: daysAgo(60) });
        if (kind < 9) {
          const effectiveAt = daysAgo(60);
          const expiry = next(2) === 0 ? {} : { expiresAt: new Date(Date.parse(effectiveAt) + (1 + next(90 * 24)) * HOUR_MS).toISOString() };
          return move(id, 'wallet', 'shop', 100 + next(2000), { status: 'pending', effectiveAt, ...expiry });
        }
        return move(id, 'funding', 'wallet', 100 + next(1000), { effectiveAt: new Date(nowMs + (1 + next(30 * 24)) * HOUR_MS).toISOString() });
      });
      const answer = await api.call('POST', `${path}/transactions/batch`, { body: { transactions: items } });
      expect(answer.status, answer.text).toBe(200);
      (answer.body.results as Json[]).forEach((r, i) => {
        if (r.status === 201 && (items[i] as Json).status === 'pending') holds.push(items[i]!.id);
      });
    }
    expect(holds.length).toBeGreaterThan(10);
    for (const hold of holds.slice(0, holds.length / 2)) {
      const resolve = next(2) === 0 ? 'void' : 'post';
      const answer = await api.call('POST', `${path}/transactions/${hold}/${resolve}`, { body: {} });
      expect([200, 201, 409, 422], answer.text).toContain(answer.status); // an expired hold cannot be resolved, an overdraft not captured
    }

    const store = createLedgerStore(api.database.db);
    let refused = 0;
    for (let c = 0; c < CHECKS; c++) {
      const effectiveAt = daysAgo(c % 3 === 0 ? 2 : 60);
      const cents = 100 + next(c % 5 === 0 ? 40_000 : 4000);
      const tx = move(`check-${c}`, 'wallet', 'shop', cents, { effectiveAt });
      // The plain fold's verdict: the whole history with this spend, from its effective time on.
      const head = await api.head(ledgerId);
      const facts = postingFacts([
        ...(await store.eventsBetween(ledgerId, 1, head)),
        { position: head + 1, recordedAt: BigInt(Date.now()) * 1000n, event: { type: 'TransactionRecorded', data: {
          id: tx.id, status: 'posted', effectiveAt: formatInstant(parseTimestamp(effectiveAt)!), expiresAt: null, description: '', metadata: {},
          reverses: null, corrects: null, reason: null, postings: tx.postings.map((p) => ({ ...p, currency: 'USD' })),
        } } } as never,
      ]);
      const lowest = lowestAvailableByFold(facts, 'wallet', 'credit', parseTimestamp(effectiveAt)!);
      const answer = await api.call('POST', `${path}/transactions`, { body: tx });
      if (lowest.availableBalance.isNegative()) {
        expect([answer.status, answer.body.code], `check ${c}: the fold refuses ${money(cents)} at ${effectiveAt}`).toEqual([422, 'INSUFFICIENT_FUNDS']);
        refused++;
      } else {
        expect(answer.status, `check ${c}: the fold takes ${money(cents)} at ${effectiveAt}: ${answer.text}`).toBe(201);
      }
    }
    // Both verdicts came up often enough to mean something.
    expect(refused).toBeGreaterThan(CHECKS / 10);
    expect(refused).toBeLessThan(CHECKS - CHECKS / 10);
  });
}, { checkpointEvery: 50 });
