import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { uniqueLedgerId } from '../support/databases.ts';
import { call, startServer, stopAllServers, type Server } from '../support/server.ts';

// Issue 4, acceptance 2, with real processes: two API servers (`npm start`'s command) on one
// PostgreSQL take 100 concurrent debits of 10 against a noOverdraft account holding 250.
// Exactly 25 succeed, no balance is ever negative, and nothing answers 5xx.

const url = process.env.DATABASE_URL;

afterAll(() => stopAllServers());

describe.skipIf(!url)('noOverdraft across two API processes on PostgreSQL', () => {
  it('takes exactly 25 of 100 debits of 10 against 250', { timeout: 120_000 }, async () => {
    const key = `lk_${randomBytes(24).toString('base64url')}`;
    const servers: Server[] = await Promise.all([1, 2].map(() => startServer({ DATABASE_URL: url!, LEDGER_BOOTSTRAP_ADMIN_KEY: key })));
    try {
      const [a, b] = servers as [Server, Server];
      const ledgerId = uniqueLedgerId('od');
      const path = `/v1/ledgers/${ledgerId}`;
      expect((await call(a, key, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Overdraft' })).status).toBe(201);
      for (const account of [
        { id: 'bank', normalBalance: 'debit', currency: 'USD' },
        { id: 'alice', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
        { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
      ]) expect((await call(a, key, 'POST', `${path}/accounts`, account)).status).toBe(201);
      const move = (id: string, from: string, to: string, amount: string) => ({
        id, postings: [{ accountId: to, direction: 'debit', amount }, { accountId: from, direction: 'credit', amount }],
      });
      // bank pays alice 250 (alice is credit-normal: a credit to her raises her balance).
      expect((await call(b, key, 'POST', `${path}/transactions`, { id: 'fund', postings: [
        { accountId: 'bank', direction: 'debit', amount: '250.00' }, { accountId: 'alice', direction: 'credit', amount: '250.00' },
      ] })).status).toBe(201);

      const answers = await Promise.all(Array.from({ length: 100 }, (_, i) =>
        call(i % 2 ? b : a, key, 'POST', `${path}/transactions`, move(`debit-${i}`, 'merchant', 'alice', '10.00'))));
      const statuses = answers.map((x) => x.status);
      expect(statuses.filter((s) => s === 201)).toHaveLength(25);
      expect(statuses.filter((s) => s === 422)).toHaveLength(75);
      expect(answers.filter((x) => x.status === 422).every((x) => x.body.code === 'INSUFFICIENT_FUNDS')).toBe(true);
      // Each process took 50 of the requests. Which one wins each debit is a race, so neither is
      // required to record any of the 25 (CI once saw one process win them all).

      const head = (await call(a, key, 'GET', path)).body.head as number;
      for (let position = 4; position <= head; position++) {
        const balance = await call(b, key, 'GET', `${path}/accounts/alice/balance?recordedAsOfPosition=${position}`);
        expect(balance.body.availableBalance.startsWith('-'), `position ${position}`).toBe(false);
      }
      const final = await call(a, key, 'GET', `${path}/accounts/alice/balance`);
      expect([final.body.ledgerBalance, final.body.availableBalance]).toEqual(['0.00', '0.00']);
    } finally {
      await Promise.all(servers.map((s) => s.stop()));
    }
  });
});
