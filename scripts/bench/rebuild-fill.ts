// A log to time `npm run rebuild` and the balance projector on: writes, with no projector
// running, into the (migrated) database at DATABASE_URL
//   - `fill-wallet`: FILL_WALLET transactions (default 100000) from `funding` to one `wallet`,
//     effective over the past year: two accounts with a long history (checkpoints every 1,000);
//   - `fill-transfers`: FILL_TRANSFERS transactions (default 150000) among 1,000 accounts, a
//     tenth of them holds, and per batch 20 reversals, captures or voids.
// Prints the events written. Then `npm run rebuild`, or project from position 1.
//   DATABASE_URL=postgres://... node scripts/bench/rebuild-fill.ts
import type { Database } from '../../src/adapters/db/database.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { DEFAULT_LIMITS } from '../../src/adapters/http/limits.ts';
import { createApiKey } from '../../src/app/api-keys.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { configFrom } from '../../src/entry/config.ts';
import { openDatabase } from '../../src/entry/open-database.ts';

const WALLET = Number(process.env.FILL_WALLET ?? 100_000);
const TRANSFERS = Number(process.env.FILL_TRANSFERS ?? 150_000);
const ACCOUNTS = 1000;
const BATCH = 1000;
const DAY_MS = 86_400_000;

type Call = (path: string, body: unknown) => Promise<unknown>;

let seed = 7;
const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const amount = () => `${1 + Math.floor(random() * 9999)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
const effectiveAt = () => new Date(Date.now() - 365 * DAY_MS + Math.floor(random() * 364 * DAY_MS)).toISOString();

function caller(database: Database, key: string): Call {
  const store = createLedgerStore(database.db, { checkpointsBuiltBy: 'projector' });
  const app = createApp({ store, committer: new GroupCommitter(store, { overlapCommits: true }), limits: { ...DEFAULT_LIMITS, ratePerSecond: 0 } });
  return async (path, body) => {
    const response = await app.request(path, { method: 'POST', headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
    if (response.status >= 300) throw new Error(`${path}: ${response.status} ${await response.text()}`);
    return response.json();
  };
}

async function wallet(call: Call): Promise<void> {
  await call('/v1/ledgers', { id: 'fill-wallet', name: 'wallet', timezone: 'UTC' });
  await call('/v1/ledgers/fill-wallet/accounts', { id: 'funding', normalBalance: 'debit', currency: 'USD' });
  await call('/v1/ledgers/fill-wallet/accounts', { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true });
  for (let n = 0; n < WALLET; n += BATCH) {
    const transactions = Array.from({ length: Math.min(BATCH, WALLET - n) }, (_, i) => {
      const a = amount();
      return { id: `w${n + i}`, effectiveAt: effectiveAt(), postings: [{ accountId: 'funding', direction: 'debit', amount: a }, { accountId: 'wallet', direction: 'credit', amount: a }] };
    });
    await call('/v1/ledgers/fill-wallet/transactions/batch', { transactions });
    process.stderr.write(`\rwallet: ${n + transactions.length}/${WALLET}`);
  }
  process.stderr.write('\n');
}

async function transfers(call: Call): Promise<void> {
  const path = '/v1/ledgers/fill-transfers';
  await call('/v1/ledgers', { id: 'fill-transfers', name: 'transfers', timezone: 'Europe/Paris' });
  const accounts = Array.from({ length: ACCOUNTS }, (_, i) => `${['assets', 'liabilities', 'income', 'expenses'][i % 4]}:group${i % 17}:account${i}`);
  for (const [i, id] of accounts.entries()) await call(`${path}/accounts`, { id, normalBalance: i % 4 === 0 || i % 4 === 3 ? 'debit' : 'credit', currency: 'EUR' });
  const pick = () => accounts[Math.floor(random() * ACCOUNTS)]!;
  for (let n = 0; n < TRANSFERS; n += BATCH) {
    const transactions = Array.from({ length: Math.min(BATCH, TRANSFERS - n) }, (_, i) => {
      const debit = pick();
      let credit = pick();
      while (credit === debit) credit = pick();
      const a = amount();
      return {
        id: `t${n + i}`, status: random() < 0.1 ? 'pending' : 'posted', effectiveAt: effectiveAt(),
        postings: [{ accountId: debit, direction: 'debit', amount: a }, { accountId: credit, direction: 'credit', amount: a }],
      };
    });
    await call(`${path}/transactions/batch`, { transactions });
    for (const t of transactions.slice(0, 20)) {
      const action = t.status === 'pending' ? (random() < 0.5 ? 'post' : 'void') : 'reverse';
      await call(`${path}/transactions/${t.id}/${action}`, action === 'reverse' ? { reason: 'fill' } : {});
    }
    process.stderr.write(`\rtransfers: ${n + transactions.length}/${TRANSFERS}`);
  }
  process.stderr.write('\n');
}

const database = await openDatabase(configFrom(process.env));
try {
  const key = (await createApiKey(createLedgerStore(database.db), { name: 'fill', role: 'admin', ledgerIds: null })).key;
  const call = caller(database, key);
  if (WALLET > 0) await wallet(call);
  if (TRANSFERS > 0) await transfers(call);
  const [row] = await database.asOwner((run) => run('select count(*)::int as n from events'));
  console.log(`${row!.n} events in the log`);
} finally {
  await database.close();
}
