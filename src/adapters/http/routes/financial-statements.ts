import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { resolveAsOf, type AsOf } from '../../../app/as-of.ts';
import type { LedgerInfo, LedgerStore } from '../../../app/ports.ts';
import { MAX_RESTATED_ENTRIES, type RestatementWindow } from '../../../app/restatements.ts';
import { balanceSheetAt, entriesBetween, incomeStatementAt } from '../../../app/statement-reads.ts';
import {
  BALANCE_SHEET_FIGURES, BALANCE_SHEET_SECTIONS, changedAccountIds, compareStatements, entriesBehind, INCOME_STATEMENT_FIGURES, INCOME_STATEMENT_SECTIONS,
  type StatementSection, type Totals,
} from '../../../app/statements.ts';
import { isRejection } from '../../../domain/rejection.ts';
import { formatInstant, parseInstantOrStartOfDay, parseTimestamp } from '../../../domain/time.ts';
import { route } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { asOfInput, asOfOr400, ledgerOr404 } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { presentAsOf } from '../presenters.ts';
import { ProblemError } from '../problem.ts';
import { AccountType, AsOf as AsOfSchema, AsOfQuery, LedgerId, Timestamp, TimestampOrDate, Transaction } from '../schemas.ts';
import { presentComparison, presentStatement } from '../statement-presenters.ts';

// Spec section 11: the balance sheet and the income statement at any (R, E), and side by side
// as known at a second recorded time R' (the compare parameters), with the entries behind each
// difference.

const CompareQuery = z.strictObject({
  compareRecordedAsOf: Timestamp.optional().openapi({ description: 'A second knowledge time: the statement as known then, beside the one at recordedAsOf, with the differences' }),
  compareRecordedAsOfPosition: z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'a position').optional()
    .openapi({ description: 'The second knowledge time as a log position (instead of compareRecordedAsOf)' }),
});

const compared = (description: string) => z.string().optional().openapi({ description: `Side by side only: ${description}` });

const Line = z.object({
  accountId: z.string(), name: z.string(), type: AccountType.nullable(), normalBalance: z.enum(['debit', 'credit']), currency: z.string(),
  amount: z.string().openapi({ description: 'Signed on the account\'s normal side' }),
  compareAmount: compared('the amount as known at the compared recorded time'),
  difference: compared('amount minus compareAmount'),
  entries: z.array(z.string()).optional().openapi({ description: 'Side by side only: the ids of the entries behind the difference' }),
}).openapi('StatementLine');

const Section = (keys: readonly [string, ...string[]]) => z.object({
  section: z.enum(keys),
  side: z.enum(['debit', 'credit']).openapi({ description: 'The side the totals are signed on; a line of an account of the other normal side counts negatively' }),
  lines: z.array(Line),
  totals: z.array(z.object({ currency: z.string(), amount: z.string(), compareAmount: compared('the total as known then'), difference: compared('amount minus compareAmount') })),
});

const Figures = <K extends string>(keys: readonly [K, ...K[]]) => z.object(Object.fromEntries(keys.map((k) => [k, z.string()])) as Record<K, z.ZodString>);

const statementResponse = <K extends string>(sections: readonly [string, ...string[]], figures: readonly [K, ...K[]]) => z.object({
  asOf: AsOfSchema,
  compareAsOf: AsOfSchema.optional().openapi({ description: 'Side by side only: the compared point (its effective time is asOf\'s)' }),
  sections: z.array(Section(sections)),
  totals: z.array(Figures(figures).extend({ currency: z.string(), compare: Figures(figures).optional(), difference: Figures(figures).optional() })),
  entries: z.array(Transaction).optional().openapi({ description: 'Side by side only: the entries behind the differences (recorded between the two knowledge times, with a posted posting on a changed line\'s account in the effective range; a hold captured in between under its id), in log order, as known at the later time' }),
  entriesComplete: z.boolean().optional().openapi({ description: `Side by side only: false when there were more than ${MAX_RESTATED_ENTRIES} entries and only the first are listed` }),
});

const BalanceSheet = statementResponse(BALANCE_SHEET_SECTIONS, BALANCE_SHEET_FIGURES).openapi('BalanceSheet', {
  description: 'For every currency: assets + unclassified = liabilities + equity + currentEarnings (unclassified: the untyped accounts\' net debit balance)',
});

const IncomeStatement = statementResponse(INCOME_STATEMENT_SECTIONS, INCOME_STATEMENT_FIGURES).extend({
  effectiveFrom: z.string(), effectiveTo: z.string(),
}).openapi('IncomeStatement', { description: 'Each line is its account\'s change over [effectiveFrom, effectiveTo] as known at R; netIncome = income - expenses' });

const getBalanceSheet = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/reports/balance-sheet', operationId: 'balanceSheet',
  summary: 'The balance sheet at (R, E): accounts by type, totals and current earnings per currency; with compareRecordedAsOf, side by side as known at two recorded times',
  ...ledgerTag('reports'),
  request: { params: z.object({ ledgerId: LedgerId }), query: AsOfQuery.extend(CompareQuery.shape) },
  responses: { 200: json(BalanceSheet, 'The balance sheet'), ...PROBLEMS },
});

const getIncomeStatement = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/reports/income-statement', operationId: 'incomeStatement',
  summary: 'Income and expenses over [effectiveFrom, effectiveTo] as known at R, with net income per currency; with compareRecordedAsOf, side by side as known at two recorded times',
  ...ledgerTag('reports'),
  request: {
    params: z.object({ ledgerId: LedgerId }),
    query: AsOfQuery.omit({ effectiveAsOf: true }).extend(CompareQuery.shape).extend({
      effectiveFrom: TimestampOrDate.openapi({ description: 'The period\'s start, inclusive (a date: its start in the ledger\'s timezone)' }),
      effectiveTo: TimestampOrDate.optional().openapi({ description: 'The period\'s end, inclusive (a date: its end); default now' }),
    }),
  },
  responses: { 200: json(IncomeStatement, 'The income statement'), ...PROBLEMS },
});

type Ctx = Context<AppEnv>;
type CompareInput = z.infer<typeof CompareQuery>;

/** The compared point: the compare coordinates at asOf's effective time, or null when none is asked; problems name the compare parameters. */
async function compareAsOfOr400(c: Ctx, ledger: LedgerInfo, query: CompareInput, asOf: AsOf): Promise<AsOf | null> {
  const { compareRecordedAsOf, compareRecordedAsOfPosition } = query;
  if (compareRecordedAsOf === undefined && compareRecordedAsOfPosition === undefined) return null;
  if (compareRecordedAsOf !== undefined && compareRecordedAsOfPosition !== undefined) {
    throw new ProblemError('VALIDATION_FAILED', 'Give compareRecordedAsOf or compareRecordedAsOfPosition, not both.', [
      { path: 'compareRecordedAsOfPosition', message: 'not with compareRecordedAsOf' },
    ]);
  }
  const point = await resolveAsOf(c.get('deps').store, ledger.ledgerId, ledger.timezone, {
    recordedAsOf: compareRecordedAsOf === undefined ? undefined : parseTimestamp(compareRecordedAsOf),
    recordedAsOfPosition: compareRecordedAsOfPosition === undefined ? undefined : Number(compareRecordedAsOfPosition),
    effectiveAsOf: asOf.effectiveAt,
  });
  if (!isRejection(point)) return point;
  const errors = point.errors?.map((e) => ({ ...e, path: `compare${e.path[0]!.toUpperCase()}${e.path.slice(1)}` }));
  throw new ProblemError(point.code, `The compared point: ${point.detail}`, errors);
}

interface Statement<K extends string> {
  readonly sections: readonly StatementSection[];
  readonly totals: readonly Totals<K>[];
}

/**
 * A statement's answer: at asOf alone, or beside the same statement at the compared point with
 * the entries behind the changed lines.
 */
async function answer<K extends string>(
  store: LedgerStore, ledgerId: string, points: { asOf: AsOf; compareAsOf: AsOf | null },
  read: (asOf: AsOf) => Promise<Statement<K>>, effective: Pick<RestatementWindow, 'effectiveFrom' | 'effectiveTo'>,
) {
  const { asOf, compareAsOf } = points;
  if (compareAsOf === null) return { asOf: presentAsOf(asOf), ...presentStatement(await read(asOf)) };
  const [now, then] = await Promise.all([read(asOf), read(compareAsOf)]);
  const statement = compareStatements(now, then);
  const changed = changedAccountIds(statement);
  const between = await entriesBetween(store, ledgerId, [asOf.position, compareAsOf.position], effective, changed, MAX_RESTATED_ENTRIES);
  const later = asOf.position >= compareAsOf.position ? asOf : compareAsOf;
  const byAccount = entriesBehind(changed, between.entries);
  return {
    asOf: presentAsOf(asOf), compareAsOf: presentAsOf(compareAsOf),
    ...presentComparison(statement, { rows: between.rows, byAccount, complete: between.complete, later }),
  };
}

export const financialStatementRoutes = routesApp()
  .openapi(getBalanceSheet, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const { store } = c.get('deps');
    const ledger = await ledgerOr404(c, ledgerId);
    const asOf = await asOfOr400(c, ledger, asOfInput(query));
    const compareAsOf = await compareAsOfOr400(c, ledger, query, asOf);
    const body = await answer(store, ledgerId, { asOf, compareAsOf }, (at) => balanceSheetAt(store, ledgerId, at), { effectiveTo: asOf.effectiveAt });
    return c.json(body, 200);
  })
  .openapi(getIncomeStatement, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const { store } = c.get('deps');
    const ledger = await ledgerOr404(c, ledgerId);
    const asOf = await asOfOr400(c, ledger, asOfInput({ ...query, effectiveAsOf: query.effectiveTo }));
    const effectiveFrom = parseInstantOrStartOfDay(query.effectiveFrom, ledger.timezone)!;
    if (effectiveFrom > asOf.effectiveAt) {
      throw new ProblemError('VALIDATION_FAILED', 'effectiveFrom must not be later than effectiveTo.', [{ path: 'effectiveFrom', message: 'after effectiveTo' }]);
    }
    const compareAsOf = await compareAsOfOr400(c, ledger, query, asOf);
    const read = (at: AsOf) => incomeStatementAt(store, ledgerId, at, effectiveFrom);
    const body = await answer(store, ledgerId, { asOf, compareAsOf }, read, { effectiveFrom, effectiveTo: asOf.effectiveAt });
    return c.json({ ...body, effectiveFrom: formatInstant(effectiveFrom), effectiveTo: formatInstant(asOf.effectiveAt) }, 200);
  });
