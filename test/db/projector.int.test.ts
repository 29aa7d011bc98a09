import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { rebuildProjections } from '../../src/adapters/db/rebuild.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { DEFAULT_LIMITS } from '../../src/adapters/http/limits.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import type { ProjectorLag } from '../../src/app/ports.ts';
import { Projector } from '../../src/app/projector.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { answerOf } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// The balance projector (src/app/projector.ts, sql/functions/ledger_project.sql) follows each
// ledger's log and builds the balance checkpoints off the request path; with the store in
// `projector` mode, reads and noOverdraft checks build nothing and stay exact however far behind
// the projector is.

const EVERY = 20;

async function service(database: Database) {
  const store = createLedgerStore(database.db, { checkpointEvery: EVERY, checkpointsBuiltBy: 'projector' });
  const projector = new Projector(store, { stepEvents: 50, pollMs: 50 });
  const committer = new GroupCommitter(store, { onCommitted: (ledgerId) => projector.committed(ledgerId) });
  const app = createApp({ store, committer, limits: { ...DEFAULT_LIMITS, ratePerSecond: 0 } });
  const key = (await createApiKey(store, { name: 'projector test', role: 'admin', ledgerIds: null })).key;
  const call = async (method: string, path: string, body?: unknown) => answerOf(await app.request(path, {
    method, headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  }));
  return { store, projector, call };
}

type Call = Awaited<ReturnType<typeof service>>['call'];

async function seed(call: Call, ledgerId: string) {
  expect((await call('POST', '/v1/ledgers', { id: ledgerId, name: 'projector' })).status).toBe(201);
  for (const id of ['bank', 'alice', 'bob']) {
    const answer = await call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id, name: id, normalBalance: id === 'bank' ? 'debit' : 'credit', currency: 'USD' });
    expect(answer.status, answer.text).toBe(201);
  }
}

/** `count` transactions of 1.00 from bank to `to`, in batches of 30. */
async function deposits(call: Call, ledgerId: string, prefix: string, count: number, to: (i: number) => string) {
  for (let first = 0; first < count; first += 30) {
    const transactions = Array.from({ length: Math.min(30, count - first) }, (_, k) => ({
      id: `${prefix}-${first + k}`, postings: [
        { accountId: 'bank', direction: 'debit', amount: '1.00' }, { accountId: to(first + k), direction: 'credit', amount: '1.00' }],
    }));
    const answer = await call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions });
    expect(answer.status, answer.text).toBe(200);
  }
}

async function checkpointFigures(database: Database, ledgerId: string) {
  const built = await sql<{ n: string }>`select count(distinct (account_id, position))::text as n from balance_checkpoints where ledger_id = ${ledgerId}`.execute(database.db);
  const tails = await sql<{ account_id: string; tail: string }>`
    select p.account_id, count(*)::text as tail from postings p
     where p.ledger_id = ${ledgerId} and p.status = 'posted'
       and p.position > coalesce((select max(b.position) from balance_checkpoints b where b.ledger_id = p.ledger_id and b.account_id = p.account_id), 0)
     group by p.account_id order by p.account_id`.execute(database.db);
  const progress = await sql<{ position: string }>`select p.position::text as position from projector_progress p where p.ledger_id = ${ledgerId} order by p.position`.execute(database.db);
  return {
    checkpoints: Number(built.rows[0]!.n),
    longestTail: Math.max(0, ...tails.rows.map((t) => Number(t.tail))),
    progress: progress.rows.map((r) => Number(r.position)),
  };
}

// Each on a database of its own: a projector looks over every ledger of its database, and on the
// shared one other suites keep theirs behind while it waits to be idle.
describe.each(PRIVATE_DATABASES)('the balance projector on $name', ({ open }) => {
  it('builds checkpoints as the log grows, reads build none and stay exact while it is stopped far behind, and a new one resumes', { timeout: 120_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const { store, projector, call } = await service(database);
      const ledgerId = uniqueLedgerId('projector');
      await seed(call, ledgerId);
      projector.start();
      await deposits(call, ledgerId, 'a', 150, (i) => (i < 60 ? 'bob' : 'alice'));
      await projector.idle();
      const head = Number((await call('GET', `/v1/ledgers/${ledgerId}`)).body.head);
      const caughtUp = await checkpointFigures(database, ledgerId);
      expect(caughtUp.progress.at(-1)).toBe(head);
      expect(caughtUp.checkpoints).toBeGreaterThanOrEqual(Math.floor(150 / (EVERY + 1)));
      expect(caughtUp.longestTail).toBeLessThanOrEqual(EVERY);
      expect(projector.status()).toMatchObject({ running: true, lagEvents: 0, ledgersBehind: 0 });

      // Stopped, far behind: 300 more postings on bank and alice, none projected.
      await projector.close();
      await deposits(call, ledgerId, 'b', 300, () => 'alice');
      const behind = await checkpointFigures(database, ledgerId);
      expect(behind.longestTail).toBeGreaterThanOrEqual(300); // bank: what it had left, and 300 more
      const balances = await Promise.all(['bank', 'alice', 'bob'].map((a) => call('GET', `/v1/ledgers/${ledgerId}/accounts/${a}/balance`)));
      expect(balances.map((b) => b.body.ledgerBalance)).toEqual(['450.00', '390.00', '60.00']);
      // A past read point, inside the unprojected tail, is exact too.
      const past = await call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?recordedAsOf=${encodeURIComponent(String((await call('GET', `/v1/ledgers/${ledgerId}/transactions/b-119`)).body.recordedAt))}`);
      expect(past.status, past.text).toBe(200);
      expect(past.body.ledgerBalance).toBe('210.00'); // a's 90 and b's first four batches
      expect((await checkpointFigures(database, ledgerId)).checkpoints).toBe(behind.checkpoints); // the reads built nothing

      // A new projector (a restart) resumes from the progress in the database.
      const lag = (await store.projectorLag()).find((l) => l.ledgerId === ledgerId)!;
      expect(lag.projected).toBe(head);
      expect(lag.head).toBeGreaterThan(head);
      const restarted = new Projector(store, { stepEvents: 50, pollMs: 50 }).start();
      await restarted.idle();
      await restarted.close();
      const after = await checkpointFigures(database, ledgerId);
      expect(after.progress.slice(0, caughtUp.progress.length)).toEqual(caughtUp.progress);
      expect(after.progress.at(-1)).toBe(lag.head);
      expect(after.progress.length).toBeGreaterThan(caughtUp.progress.length);
      expect(after.longestTail).toBeLessThanOrEqual(EVERY);
      const again = await Promise.all(['bank', 'alice', 'bob'].map((a) => call('GET', `/v1/ledgers/${ledgerId}/accounts/${a}/balance`)));
      expect(again.map((b) => b.body.ledgerBalance)).toEqual(['450.00', '390.00', '60.00']);

      // `npm run rebuild` empties the checkpoints and the progress, and builds them again.
      await rebuildProjections(database, () => {}, EVERY);
      const rebuilt = await checkpointFigures(database, ledgerId);
      expect(rebuilt.progress.at(-1)).toBe(lag.head);
      expect(rebuilt.longestTail).toBeLessThanOrEqual(EVERY);
    } finally {
      await dispose();
    }
  });
});

describe.each(PRIVATE_DATABASES.filter((d) => d.name === 'postgres'))('the balance projector across sessions on $name', ({ open }) => {
  it('lets one session at a time project a ledger: another is told to come back later', { timeout: 60_000 }, async () => {
    const { database, dispose } = await open();
    try {
      const { store, call } = await service(database);
      const ledgerId = uniqueLedgerId('projector-lock');
      await seed(call, ledgerId);
      await deposits(call, ledgerId, 'a', 40, () => 'alice');
      await database.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ reached: string }>`select ledger_project(${ledgerId}, 10, ${EVERY}) as reached`.execute(trx);
        expect(Number(rows[0]!.reached)).toBeGreaterThan(0);
        expect(await store.project(ledgerId, 1000)).toBeNull(); // another session, while the first holds the ledger
      });
      const reached = await store.project(ledgerId, 1000);
      expect(reached).toBe(Number((await call('GET', `/v1/ledgers/${ledgerId}`)).body.head));
    } finally {
      await dispose();
    }
  });
});

describe('the balance projector, on its own', () => {
  it('reports its lag, goes on after a failed step, and a ledger another session holds is tried again later', async () => {
    const heads = new Map([['l1', 120], ['l2', 30], ['l3', 10]]);
    const projected = new Map([['l1', 0], ['l2', 30], ['l3', 0]]);
    const errors: string[] = [];
    let failures = 1;
    let busy = 2;
    const store = {
      async projectorLag(): Promise<ProjectorLag[]> {
        return [...heads].map(([ledgerId, head]) => ({ ledgerId, head, projected: projected.get(ledgerId)! }));
      },
      async project(ledgerId: string, maxEvents: number) {
        if (ledgerId === 'l1' && failures-- > 0) throw new Error('the database is gone');
        if (ledgerId === 'l3' && busy-- > 0) return null;
        projected.set(ledgerId, Math.min(heads.get(ledgerId)!, projected.get(ledgerId)! + maxEvents));
        return projected.get(ledgerId)!;
      },
    };
    const projector = new Projector(store, { stepEvents: 50, pollMs: 10, onError: (error) => errors.push((error as Error).message) });
    expect(projector.status()).toMatchObject({ running: false, lagEvents: 0, caughtUpAt: null });
    projector.start();
    await projector.idle();
    expect(errors).toEqual(['the database is gone']);
    expect([...projected]).toEqual([['l1', 120], ['l2', 30], ['l3', 10]]);
    expect(projector.status()).toMatchObject({ running: true, lagEvents: 0, ledgersBehind: 0 });
    expect(projector.status().caughtUpAt).not.toBeNull();
    heads.set('l2', 75);
    projector.committed();
    await projector.idle();
    expect(projected.get('l2')).toBe(75);
    await projector.close();
    expect(projector.status().running).toBe(false);
  });

  it('projects the ledger a commit names at once, without a look over every ledger until the poll is due', async () => {
    const heads = new Map([['a', 10], ['b', 10]]);
    const projected = new Map([['a', 10], ['b', 10]]);
    let looks = 0;
    const store = {
      async projectorLag(): Promise<ProjectorLag[]> {
        looks += 1;
        return [...heads].map(([ledgerId, head]) => ({ ledgerId, head, projected: projected.get(ledgerId)! }));
      },
      async project(ledgerId: string, maxEvents: number) {
        projected.set(ledgerId, Math.min(heads.get(ledgerId)!, projected.get(ledgerId)! + maxEvents));
        return projected.get(ledgerId)!;
      },
    };
    const projector = new Projector(store, { stepEvents: 50, pollMs: 60_000 }).start();
    await projector.idle();
    const looksBefore = looks;
    heads.set('a', 130);
    heads.set('b', 40); // another process's commit: found at the next poll, a minute away
    projector.committed('a');
    for (const started = Date.now(); projected.get('a')! < 130 && Date.now() - started < 5_000;) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(projected.get('a')).toBe(130);
    expect(projected.get('b')).toBe(10);
    expect(looks).toBe(looksBefore);
    await projector.idle(); // asks for a look over every ledger
    expect(projected.get('b')).toBe(40);
    await projector.close();
  });
});
