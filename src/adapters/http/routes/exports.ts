import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AsOf } from '../../../app/as-of.ts';
import { beancountChunks } from '../../../app/exports/beancount.ts';
import { csvChunks } from '../../../app/exports/csv.ts';
import { generalLedgerCsv, generalLedgerTable } from '../../../app/exports/general-ledger.ts';
import type { ExportTable } from '../../../app/exports/table.ts';
import { balanceSheetTable, incomeStatementTable, trialBalanceTable } from '../../../app/exports/statement-tables.ts';
import { xlsxChunks } from '../../../app/exports/xlsx.ts';
import type { LedgerInfo } from '../../../app/ports.ts';
import { route } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { asOfInput, asOfOr400, ledgerOr404 } from '../handler-kit.ts';
import { ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { parseInstantOrStartOfDay } from '../../../domain/time.ts';
import { ProblemError } from '../problem.ts';
import { AsOfQuery, LedgerId, TimestampOrDate } from '../schemas.ts';

// Spec section 11's exports, at any (R, E), streamed: the body is written as the store is read
// a page at a time (src/app/exports), so no export holds the ledger. The coordinates are resolved
// before the first byte: a bad one is a problem+json 4xx, and the file says where it stands.

export const XLSX_TYPE = 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet';

const CONTENT_TYPES = { csv: 'text/csv; charset=utf-8', xlsx: XLSX_TYPE, beancount: 'text/plain; charset=utf-8' } as const;
type Format = keyof typeof CONTENT_TYPES;

const PeriodQuery = AsOfQuery.omit({ effectiveAsOf: true }).extend({
  effectiveFrom: TimestampOrDate.openapi({ description: 'The period\'s start, inclusive (a date: its start in the ledger\'s timezone)' }),
  effectiveTo: TimestampOrDate.optional().openapi({ description: 'The period\'s end, inclusive (a date: its end); default now' }),
});

function exportRoute<Q extends typeof AsOfQuery | typeof PeriodQuery = typeof AsOfQuery>(path: string, operationId: string, format: Format, summary: string, query?: Q) {
  const mime = format === 'csv' ? 'text/csv' : format === 'xlsx' ? XLSX_TYPE : 'text/plain';
  return route({
    method: 'get', path: `/v1/ledgers/{ledgerId}/exports/${path}`, operationId, summary, ...ledgerTag('exports'),
    request: { params: z.object({ ledgerId: LedgerId }), query: (query ?? AsOfQuery) as Q },
    responses: {
      200: {
        content: { [mime]: { schema: z.string().openapi(format === 'xlsx' ? { format: 'binary' } : {}) } },
        description: 'The file, streamed; Content-Disposition names it with the ledger and the position it is as of',
      },
      ...PROBLEMS,
    },
  });
}

type Ctx = Context<AppEnv>;

/**
 * A pull stream over the chunks: the next is made only when the client has taken the last. A
 * failure after the first byte (the status is sent) is logged and aborts the body, so the
 * client sees a broken transfer, never a file that looks whole.
 */
function streamOf(c: Ctx, chunks: AsyncGenerator<string | Uint8Array>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await chunks.next();
        if (next.done) controller.close();
        else controller.enqueue(typeof next.value === 'string' ? encoder.encode(next.value) : next.value);
      } catch (error) {
        const line = { requestId: c.get('requestId'), msg: 'export aborted', error: String(error) };
        const logger = c.get('deps').logger;
        if (logger) logger.error(line);
        else console.error(JSON.stringify(line));
        controller.error(error);
      }
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}

/** The ledger and the resolved coordinates of an export's query. */
async function exportPoint(c: Ctx, ledgerId: string, query: z.infer<typeof AsOfQuery>): Promise<{ ledger: LedgerInfo; asOf: AsOf }> {
  const ledger = await ledgerOr404(c, ledgerId);
  return { ledger, asOf: await asOfOr400(c, ledger, asOfInput(query)) };
}

function fileResponse(c: Ctx, chunks: AsyncGenerator<string | Uint8Array>, format: Format, name: string, { ledger, asOf }: { ledger: LedgerInfo; asOf: AsOf }): Response {
  const extension = format === 'beancount' ? 'beancount' : format;
  return c.body(streamOf(c, chunks), 200, {
    'Content-Type': CONTENT_TYPES[format],
    'Content-Disposition': `attachment; filename="${ledger.ledgerId}-${name}-${asOf.position}.${extension}"`,
    'Cache-Control': 'no-store',
  });
}

function tableChunks(table: ExportTable, format: 'csv' | 'xlsx', sheetName: string): AsyncGenerator<string | Uint8Array> {
  return format === 'csv' ? csvChunks(table) : xlsxChunks(table, sheetName);
}

const TABLES = {
  'general-ledger': { sheet: 'General ledger', read: generalLedgerTable, summary: 'The general ledger: every posted posting at (R, E) with its transaction, both times, position and the account\'s running balance' },
  'trial-balance': { sheet: 'Trial balance', read: trialBalanceTable, summary: 'The trial balance at (R, E): every account\'s balance in the debit or credit column, with totals per currency' },
  'balance-sheet': { sheet: 'Balance sheet', read: balanceSheetTable, summary: 'The balance sheet at (R, E): accounts by section (type), with the figures per currency' },
} as const;

function tableRoutes(name: keyof typeof TABLES) {
  const { sheet, read, summary } = TABLES[name];
  const camel = name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());
  const app = routesApp();
  for (const format of ['csv', 'xlsx'] as const) {
    const operationId = `export${camel[0]!.toUpperCase()}${camel.slice(1)}${format === 'csv' ? 'Csv' : 'Xlsx'}`;
    app.openapi(exportRoute(`${name}.${format}`, operationId, format, `${summary}, as ${format.toUpperCase()} (streamed)`), async (c) => {
      const point = await exportPoint(c, c.req.valid('param').ledgerId, c.req.valid('query'));
      const { store } = c.get('deps');
      // The general ledger's CSV is made by the database, page by page: the one export with a throughput target.
      if (name === 'general-ledger' && format === 'csv') return fileResponse(c, generalLedgerCsv(store, point.ledger.ledgerId, point.asOf), format, name, point);
      const table = await read(store, point.ledger.ledgerId, point.asOf);
      return fileResponse(c, tableChunks(table, format, sheet), format, name, point);
    });
  }
  return app;
}


/** The income statement over [effectiveFrom, effectiveTo] as known at R, as GET .../reports/income-statement reads it. */
function incomeStatementRoutes() {
  const app = routesApp();
  for (const format of ['csv', 'xlsx'] as const) {
    const summary = `Income and expenses over [effectiveFrom, effectiveTo] as known at R, with the figures per currency, as ${format.toUpperCase()}`;
    app.openapi(exportRoute(`income-statement.${format}`, `exportIncomeStatement${format === 'csv' ? 'Csv' : 'Xlsx'}`, format, summary, PeriodQuery), async (c) => {
      const query = c.req.valid('query');
      const ledger = await ledgerOr404(c, c.req.valid('param').ledgerId);
      const asOf = await asOfOr400(c, ledger, asOfInput({ ...query, effectiveAsOf: query.effectiveTo }));
      const effectiveFrom = parseInstantOrStartOfDay(query.effectiveFrom, ledger.timezone)!;
      if (effectiveFrom > asOf.effectiveAt) {
        throw new ProblemError('VALIDATION_FAILED', 'effectiveFrom must not be later than effectiveTo.', [{ path: 'effectiveFrom', message: 'after effectiveTo' }]);
      }
      const table = await incomeStatementTable(c.get('deps').store, ledger.ledgerId, asOf, effectiveFrom);
      return fileResponse(c, tableChunks(table, format, 'Income statement'), format, 'income-statement', { ledger, asOf });
    });
  }
  return app;
}

const beancountRoute = exportRoute('beancount', 'exportBeancount', 'beancount',
  'The ledger at (R, E) as a Beancount journal (streamed): typed accounts under Beancount\'s roots, entries linked to their ids, balance assertions at month ends and at E');

export const exportRoutes = routesApp()
  .route('/', tableRoutes('general-ledger'))
  .route('/', tableRoutes('trial-balance'))
  .route('/', tableRoutes('balance-sheet'))
  .route('/', incomeStatementRoutes())
  .openapi(beancountRoute, async (c) => {
    const point = await exportPoint(c, c.req.valid('param').ledgerId, c.req.valid('query'));
    return fileResponse(c, beancountChunks(c.get('deps').store, point.ledger, point.asOf), 'beancount', 'journal', point);
  });
