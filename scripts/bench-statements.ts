// `node scripts/bench-statements.ts`: how long the financial statements of spec section 11 take
// over a chart of many accounts. It opens DATABASE_URL (or an in-memory PGlite), records a
// ledger of BENCH_ACCOUNTS typed and untyped accounts (default 10000) with two postings on each
// through the in-process app, then times the balance sheet, the same side by side at two
// knowledge times, and a month's income statement, BENCH_READS times each (default 10), and
// prints the median and the slowest. Progress goes to stderr.
import { openDatabase } from '../src/entry/open-database.ts';
import { testApi, type Json, type TestApi } from '../test/support/http.ts';
import { uniqueLedgerId } from '../test/support/databases.ts';

const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const READS = Number(process.env.BENCH_READS ?? 10);
const TYPES = ['asset', 'liability', 'equity', 'income', 'expense', undefined] as const;
const NORMAL = { asset: 'debit', expense: 'debit', liability: 'credit', equity: 'credit', income: 'credit' } as const;

async function ok(api: TestApi, method: string, path: string, body?: unknown): Promise<Json> {
  const answer = await api.call(method, path, body === undefined ? {} : { body });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  return answer.body;
}

/** Every account, and a transaction from each account to the next: two postings on each. */
async function seed(api: TestApi, path: string): Promise<{ firstKnown: number }> {
  const ids: string[] = [];
  for (let i = 0; i < ACCOUNTS; i += 1) {
    const type = TYPES[i % TYPES.length];
    const id = `${type ?? 'other'}:${String(i).padStart(6, '0')}`;
    await ok(api, 'POST', `${path}/accounts`, { id, currency: 'USD', normalBalance: type ? NORMAL[type] : 'debit', ...(type ? { type } : {}) });
    ids.push(id);
    if (i % 1000 === 999) process.stderr.write(`accounts: ${i + 1}\n`);
  }
  let firstKnown = 0;
  for (let start = 0; start < ids.length; start += 1000) {
    const transactions = ids.slice(start, start + 1000).map((id, j) => ({
      effectiveAt: `2026-03-${String(1 + ((start + j) % 28)).padStart(2, '0')}T12:00:00Z`,
      postings: [{ accountId: id, direction: 'debit', amount: `${1 + j}.25` }, { accountId: ids[(start + j + 1) % ids.length], direction: 'credit', amount: `${1 + j}.25` }],
    }));
    await ok(api, 'POST', `${path}/transactions/batch`, { transactions, atomic: true });
    if (start === 0) firstKnown = (await ok(api, 'GET', path)).head;
    process.stderr.write(`transactions: ${Math.min(start + 1000, ids.length)}\n`);
  }
  return { firstKnown };
}

async function time(label: string, run: () => Promise<unknown>): Promise<void> {
  const ms: number[] = [];
  for (let i = 0; i < READS; i += 1) {
    const started = performance.now();
    await run();
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  console.log(`${label}: median ${ms[Math.floor(ms.length / 2)]!.toFixed(0)} ms, slowest ${ms.at(-1)!.toFixed(0)} ms (${READS} reads)`);
}

const database = await openDatabase(process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : { dataDir: 'memory://' });
try {
  const api = await testApi(database);
  const ledgerId = uniqueLedgerId('bench-statements');
  await ok(api, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Statements bench' });
  const path = `/v1/ledgers/${ledgerId}`;
  const { firstKnown } = await seed(api, path);
  console.log(`${database.kind}, ${ACCOUNTS} accounts, ${ACCOUNTS} transactions`);
  const sheet = await ok(api, 'GET', `${path}/reports/balance-sheet?effectiveAsOf=2026-03-31`);
  if (sheet.sections.reduce((n: number, s: Json) => n + s.lines.length, 0) !== ACCOUNTS) throw new Error('the balance sheet misses accounts');
  await time('balance sheet', () => ok(api, 'GET', `${path}/reports/balance-sheet?effectiveAsOf=2026-03-31`));
  await time('balance sheet side by side', () => ok(api, 'GET', `${path}/reports/balance-sheet?effectiveAsOf=2026-03-31&compareRecordedAsOfPosition=${firstKnown}`));
  await time('income statement', () => ok(api, 'GET', `${path}/reports/income-statement?effectiveFrom=2026-03-01&effectiveTo=2026-03-31`));
  await time('trial balance (GET .../balances)', () => ok(api, 'GET', `${path}/balances?effectiveAsOf=2026-03-31`));
} finally {
  await database.close();
}
