// Writes a ledger's books at any (R, E) to standard output, straight from the database (no server
// needed), as the GET .../exports routes write them (src/app/exports), with a progress bar on stderr:
//   npm run --silent export:csv -- <ledgerId> [general-ledger|trial-balance|balance-sheet] [coordinates] > books.csv
//   npm run --silent export:xlsx -- <ledgerId> [general-ledger|trial-balance|balance-sheet] [coordinates] > books.xlsx
//   npm run --silent export:beancount -- <ledgerId> [coordinates] > books.beancount
// Coordinates: --recorded-as-of T | --recorded-as-of-position N, --effective-as-of T|YYYY-MM-DD.
// Uses DATABASE_URL, else PGlite under DATA_DIR. Exits 0 with the file, 1 when the ledger or the
// database cannot be read, 2 on bad arguments.
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { createLedgerStore } from '../src/adapters/db/ledger-store.ts';
import { asOfInput } from '../src/adapters/http/handler-kit.ts';
import { resolveAsOf } from '../src/app/as-of.ts';
import { beancountChunks } from '../src/app/exports/beancount.ts';
import { csvChunks } from '../src/app/exports/csv.ts';
import { generalLedgerCsv, generalLedgerTable } from '../src/app/exports/general-ledger.ts';
import { balanceSheetTable, trialBalanceTable } from '../src/app/exports/statement-tables.ts';
import { xlsxChunks } from '../src/app/exports/xlsx.ts';
import { isRejection } from '../src/domain/rejection.ts';
import { parsePlainDate, parseTimestamp } from '../src/domain/time.ts';
import { configFrom } from '../src/entry/config.ts';
import { openDatabase } from '../src/entry/open-database.ts';
import { progressBar } from './progress-bar.ts';

const TABLES = { 'general-ledger': generalLedgerTable, 'trial-balance': trialBalanceTable, 'balance-sheet': balanceSheetTable } as const;
const SHEETS = { 'general-ledger': 'General ledger', 'trial-balance': 'Trial balance', 'balance-sheet': 'Balance sheet' } as const;
const FORMATS = ['csv', 'xlsx', 'beancount'] as const;
type Format = (typeof FORMATS)[number];

const USAGE = `usage: npm run --silent export:<csv|xlsx|beancount> -- <ledgerId> [general-ledger|trial-balance|balance-sheet]
  [--recorded-as-of T | --recorded-as-of-position N] [--effective-as-of T|YYYY-MM-DD] > file`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function argumentsOf(argv: string[]) {
  const parsed = (() => {
    try {
      return parseArgs({ args: argv, allowPositionals: true, options: {
        'recorded-as-of': { type: 'string' }, 'recorded-as-of-position': { type: 'string' }, 'effective-as-of': { type: 'string' },
      } });
    } catch (error) {
      return usage((error as Error).message);
    }
  })();
  const [format, ledgerId, what = 'general-ledger', ...rest] = parsed.positionals;
  if (!FORMATS.includes(format as Format)) usage(`unknown format ${format}`);
  if (!ledgerId || rest.length > 0) usage('expected a ledger id and at most the name of a table');
  if (format === 'beancount' ? parsed.positionals.length > 2 : !(what in TABLES)) usage(`unknown table ${what}`);
  const { 'recorded-as-of': recordedAsOf, 'recorded-as-of-position': position, 'effective-as-of': effectiveAsOf } = parsed.values;
  if (recordedAsOf !== undefined && parseTimestamp(recordedAsOf) === undefined) usage('--recorded-as-of takes an RFC 3339 timestamp');
  if (position !== undefined && !/^(0|[1-9][0-9]{0,15})$/.test(position)) usage('--recorded-as-of-position takes a position');
  if (effectiveAsOf !== undefined && parseTimestamp(effectiveAsOf) === undefined && parsePlainDate(effectiveAsOf) === undefined) usage('--effective-as-of takes a timestamp or a date');
  return { format: format as Format, ledgerId, what: what as keyof typeof TABLES, coordinates: { recordedAsOf, recordedAsOfPosition: position, effectiveAsOf } };
}

async function write(chunks: AsyncIterable<string | Uint8Array>): Promise<void> {
  for await (const chunk of chunks) if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
}

const { format, ledgerId, what, coordinates } = argumentsOf(process.argv.slice(2));
const database = await openDatabase(configFrom(process.env));
try {
  const store = createLedgerStore(database.db, { copyExports: database.kind === 'postgres' });
  const ledger = await store.ledger(ledgerId);
  if (!ledger) throw new Error(`ledger ${ledgerId} does not exist`);
  const asOf = await resolveAsOf(store, ledgerId, ledger.timezone, asOfInput(coordinates));
  if (isRejection(asOf)) throw new Error(asOf.detail);
  const started = performance.now();
  if (format === 'beancount') {
    const bar = progressBar('beancount', await store.generalLedgerSize(ledgerId, asOf.position, asOf.effectiveAt));
    await write(beancountChunks(store, ledger, asOf, { onRows: (n) => bar.advance(n) }));
    bar.finish();
  } else if (format === 'csv' && what === 'general-ledger') {
    const bar = progressBar('general-ledger.csv', await store.generalLedgerSize(ledgerId, asOf.position, asOf.effectiveAt));
    await write(generalLedgerCsv(store, ledgerId, asOf, (n) => bar.advance(n)));
    bar.finish();
  } else {
    const table = await TABLES[what](store, ledgerId, asOf);
    const bar = progressBar(`${what}.${format}`, table.size ?? 0);
    await write(format === 'csv' ? csvChunks(table, (n) => bar.advance(n)) : xlsxChunks(table, SHEETS[what], (n) => bar.advance(n)));
    bar.finish();
  }
  console.error(`exported ${ledgerId} as of position ${asOf.position} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
} catch (error) {
  console.error(`export:${format}: ${(error as Error).message}`);
  process.exitCode = 1;
} finally {
  await database.close();
}
