import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { KEY_CACHE_MS } from '../../src/app/api-keys.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { call, startServer, stopAllServers } from '../support/server.ts';

// API keys are cached in each process (src/app/api-keys.ts): a key revoked through one process is
// refused by it at once, and by every other process within KEY_CACHE_MS, however busy the key
// keeps it in their caches.

const url = process.env.DATABASE_URL;

afterAll(() => stopAllServers());

describe.skipIf(!url)('revoking a cached key, across two processes on PostgreSQL', () => {
  it(`is refused by the revoking process at once and by the other within ${KEY_CACHE_MS} ms`, { timeout: 60_000 }, async () => {
    const admin = `lk_${randomBytes(24).toString('base64url')}`;
    const [a, b] = await Promise.all([1, 2].map(() => startServer({ DATABASE_URL: url!, LEDGER_BOOTSTRAP_ADMIN_KEY: admin })));
    const ledgerId = uniqueLedgerId('keys');
    expect((await call(a!, admin, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Keys' })).status).toBe(201);
    const made = await call(a!, admin, 'POST', '/v1/keys', { name: 'reader', role: 'reader', ledgerIds: [ledgerId] });
    expect(made.status).toBe(201);
    const reader = made.body.key as string;
    const path = `/v1/ledgers/${ledgerId}`;
    // Both processes know the key now; b keeps it busy, so its cache always holds it.
    expect((await call(a!, reader, 'GET', path)).status).toBe(200);
    let busy = true;
    const keepBusy = (async () => {
      while (busy) {
        await call(b!, reader, 'GET', path);
        await sleep(5);
      }
    })();
    await sleep(100);

    expect((await call(a!, admin, 'POST', `/v1/keys/${made.body.id}/revoke`)).status).toBe(200);
    const revokedAt = performance.now();
    expect((await call(a!, reader, 'GET', path)).status, 'the revoking process refuses at once').toBe(401);
    let refusedAfterMs: number | undefined;
    while (refusedAfterMs === undefined) {
      const elapsedMs = performance.now() - revokedAt;
      expect(elapsedMs, 'the other process still takes the revoked key').toBeLessThan(KEY_CACHE_MS + 500);
      if ((await call(b!, reader, 'GET', path)).status === 401) refusedAfterMs = elapsedMs;
    }
    busy = false;
    await keepBusy;
    console.log(`the other process refused the revoked key ${Math.round(refusedAfterMs)} ms after the revocation`);
    // And it stays refused.
    expect((await call(b!, reader, 'GET', path)).status).toBe(401);
  });
});
