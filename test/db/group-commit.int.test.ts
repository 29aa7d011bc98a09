import { setImmediate as nextTurn } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, type Json, type TestApi } from '../support/http.ts';

// The group committer (src/app/group-commit.ts) with writers that each send their next write as
// soon as the last is answered, as HTTP clients on keep-alive connections do. Taking the next
// group the moment a commit is answered split them into two groups that took turns: each group's
// writers came back while the other group's commit was on its way, and 16 writers made commits of
// 8. The committer now waits a little for the writers it has just answered (at most half a
// commit's time), so they keep coming in one group.

const WRITERS = 16;
const ROUNDS = 25;
const ACCOUNTS = ['a0', 'a1', 'a2', 'a3'];

const move = (id: string, i: number): Json => ({
  id, postings: [{ accountId: ACCOUNTS[i % 4]!, direction: 'debit', amount: '1.00' }, { accountId: ACCOUNTS[(i + 1) % 4]!, direction: 'credit', amount: '1.00' }],
});

/** Events per commit over the positions after `after`: a commit's events share one recorded time, and two commits never do. */
async function eventsPerCommit(api: TestApi, ledgerId: string, after: number): Promise<number[]> {
  const feed = await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=${after}&limit=1000`);
  const counts = new Map<string, number>();
  for (const event of feed.body.events as Json[]) counts.set(event.recordedAt as string, (counts.get(event.recordedAt as string) ?? 0) + 1);
  return [...counts.values()];
}

// PostgreSQL only: on PGlite's one connection the committer takes the next group at once (group-commit.ts).
describe.each(DATABASES.filter((d) => d.name === 'postgres'))('group commit on $name', ({ open }) => {
  let database: Database;
  let api: TestApi;
  beforeAll(async () => {
    database = await open();
    api = await testApi(database);
  });
  afterAll(() => database.close());

  it(`keeps ${WRITERS} writers that write again at once in one group, not two that take turns`, { timeout: 120_000 }, async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS.map((id) => ({ id, normalBalance: 'debit', currency: 'USD' })) });
    const before = await api.head(ledgerId);
    await Promise.all(Array.from({ length: WRITERS }, async (_, writer) => {
      for (let round = 0; round < ROUNDS; round++) {
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: move(`w${writer}-${round}`, writer + round) });
        expect(answer.status).toBe(201);
        await nextTurn(); // the client's side of a round trip
      }
    }));
    expect(await api.head(ledgerId)).toBe(before + WRITERS * ROUNDS);
    const perCommit = await eventsPerCommit(api, ledgerId, before);
    expect(perCommit.reduce((a, b) => a + b, 0)).toBe(WRITERS * ROUNDS);
    // The first commit takes whoever came first; after it, the writers stay together. Two groups
    // taking turns would average WRITERS / 2 at most.
    const after = perCommit.slice(2);
    const mean = after.reduce((a, b) => a + b, 0) / after.length;
    expect(mean, `events per commit: ${perCommit.join(' ')}`).toBeGreaterThan(WRITERS * 0.75);
  });
});
