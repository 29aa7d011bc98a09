// What the reporting schema (sql/019, docs/reporting.md) costs the balance projector and the
// rebuild: on a fresh PostgreSQL database beside DATABASE_URL's, a ledger of about
// BENCH_REPORTING_EVENTS events (default 100000: transfers among 500 accounts, a tenth of them
// holds, some reversed, captured or voided) is written with no projector running, then projected
// from position 1 in steps of 10,000 (ledger_project, as the projector does) and rebuilt
// (`npm run rebuild`'s function), each with the schema's fold and with the fold replaced by a
// no-op, alternately, BENCH_REPORTING_ROUNDS times (default 2). Prints events/s; progress on stderr.
//   DATABASE_URL=postgres://... node scripts/bench-reporting.ts
import type { Database } from '../src/adapters/db/database.ts';
import { createLedgerStore } from '../src/adapters/db/ledger-store.ts';
import { rebuildProjections } from '../src/adapters/db/rebuild.ts';
import { createApp } from '../src/adapters/http/app.ts';
import { DEFAULT_LIMITS } from '../src/adapters/http/limits.ts';
import { createApiKey } from '../src/app/api-keys.ts';
import { GroupCommitter } from '../src/app/group-commit.ts';
import { openDatabase } from '../src/entry/open-database.ts';
import { emptyPostgresDatabase } from '../test/support/private-database.ts';

const EVENTS = Number(process.env.BENCH_REPORTING_EVENTS ?? 100_000);
const ROUNDS = Number(process.env.BENCH_REPORTING_ROUNDS ?? 2);
const ACCOUNTS = 500;
const LEDGER = 'bench-reporting';
const STEP = 10_000;

const NO_FOLD = `create or replace function reporting_fold(p_ledger_id text, p_upto bigint) returns bigint language sql as 'select null::bigint'`;

async function fill(database: Database): Promise<number> {
  const store = createLedgerStore(database.db, { checkpointsBuiltBy: 'projector' });
  const app = createApp({ store, committer: new GroupCommitter(store, { overlapCommits: true }), limits: { ...DEFAULT_LIMITS, ratePerSecond: 0 } });
  const key = (await createApiKey(store, { name: 'bench', role: 'admin', ledgerIds: null })).key;
  const call = async (path: string, body: unknown) => {
    const response = await app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status >= 500 || response.status === 400) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  await call('/v1/ledgers', { id: LEDGER, name: 'bench', timezone: 'Europe/Paris' });
  const path = `/v1/ledgers/${LEDGER}`;
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `${['assets', 'liabilities', 'income', 'expenses'][i % 4]}:group${i % 17}:account${i}`);
  for (const [i, id] of accounts.entries()) await call(`${path}/accounts`, { id, normalBalance: i % 4 === 0 || i % 4 === 3 ? 'debit' : 'credit', currency: 'EUR' });
  let seed = 11;
  const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pick = () => accounts[Math.floor(random() * ACCOUNTS)]!;
  for (let n = 0; n < EVENTS; n += 1000) {
    const transactions = Array.from({ length: 1000 }, (_, i) => {
      const [debit, credit] = [pick(), pick()];
      const amount = `${1 + Math.floor(random() * 9999)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
      return {
        id: `t${n + i}`, status: random() < 0.1 ? 'pending' : 'posted',
        effectiveAt: new Date(Date.UTC(2026, 0, 1) + Math.floor(random() * 330) * 86_400_000).toISOString(),
        postings: [{ accountId: debit, direction: 'debit', amount }, { accountId: debit === credit ? pick() : credit, direction: 'credit', amount }],
      };
    }).filter((t) => t.postings[0]!.accountId !== t.postings[1]!.accountId);
    await call(`${path}/transactions/batch`, { transactions });
    for (const t of transactions.slice(0, 20)) await call(`${path}/transactions/${t.id}/${t.status === 'pending' ? (random() < 0.5 ? 'post' : 'void') : 'reverse'}`, t.status === 'pending' ? {} : { reason: 'bench' });
    process.stderr.write(`\rwriting: ${n + 1000}/${EVENTS}`);
  }
  process.stderr.write('\n');
  const [head] = await database.asOwner((run) => run('select max(position)::int as head from events where ledger_id = $1', [LEDGER]));
  return Number(head!.head);
}

/** Empties the derived state of the projector's step, then projects the ledger from position 1 as the projector does: seconds. */
async function project(database: Database, head: number): Promise<number> {
  await database.asOwner((run) => run(`
    alter table balance_checkpoints disable trigger user; truncate balance_checkpoints; alter table balance_checkpoints enable trigger user;
    alter table projector_progress disable trigger user; truncate projector_progress; alter table projector_progress enable trigger user;
    truncate balance_tails;
    truncate reporting.postings, reporting.accounts, reporting.dates, reporting.ledgers, reporting_progress`));
  const started = performance.now();
  for (let reached = 0; reached < head;) {
    const [row] = await database.asOwner((run) => run('select ledger_project($1, $2, 1000)::int as reached', [LEDGER, STEP]));
    reached = Number(row!.reached);
  }
  return (performance.now() - started) / 1000;
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

const empty = await emptyPostgresDatabase();
const database = await openDatabase({ databaseUrl: empty.url });
try {
  const head = await fill(database);
  const [{ fold }] = await database.asOwner((run) => run(`select pg_get_functiondef('reporting_fold(text, bigint)'::regprocedure) as fold`)) as [{ fold: string }];
  const figures: Record<string, number[]> = { 'projector, no fold': [], 'projector, with fold': [], 'rebuild, no fold': [], 'rebuild, with fold': [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const withFold of [false, true]) {
      await database.asOwner((run) => run(withFold ? fold : NO_FOLD));
      const label = withFold ? 'with fold' : 'no fold';
      figures[`projector, ${label}`]!.push(head / await project(database, head));
      figures[`rebuild, ${label}`]!.push(head / await timed(() => rebuildProjections(database)));
      process.stderr.write(`round ${round + 1}, ${label} done\n`);
    }
  }
  const [facts] = await database.asOwner((run) => run('select count(*)::int as n from reporting.postings'));
  console.log(`${head} events, ${facts!.n} facts; events/s per run:`);
  for (const [what, rates] of Object.entries(figures)) console.log(`${what.padEnd(22)} ${rates.map((r) => Math.round(r).toLocaleString('en-US')).join('  ')}`);
} finally {
  await database.close();
  await empty.drop();
}
