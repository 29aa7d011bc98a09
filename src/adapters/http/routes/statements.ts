import { z } from '@hono/zod-openapi';
import type { AsOf } from '../../../app/as-of.ts';
import type { AccountRow, BalanceSums } from '../../../app/ports.ts';
import { assetOfAccount, balanceFromSums } from '../../../app/balances.ts';
import { Decimal, formatAmount } from '../../../domain/money.ts';
import { periodsCovering } from '../../../domain/periods.ts';
import { dateOf, endOfDay, formatInstant, parseInstantOrEndOfDay, parseInstantOrStartOfDay, parsePlainDate, parseTimestamp, type Instant } from '../../../domain/time.ts';
import { route } from '../access.ts';
import { asOfInput, asOfOr400, ledgerOr404, readPage } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { presentAsOf } from '../presenters.ts';
import { ProblemError } from '../problem.ts';
import { AsOf as AsOfSchema, AsOfQuery, Direction, EntityId, LedgerId, MAX_PAGE_SIZE, PageQuery, TimestampOrDate } from '../schemas.ts';

const AccountParams = z.object({ ledgerId: LedgerId, accountId: EntityId });

const StatementItem = z.object({
  position: z.number().int(), transactionId: z.string(), recordedAt: z.string(), effectiveAt: z.string(),
  direction: Direction, amount: z.string(), runningBalance: z.string(),
  reverses: z.string().nullable(), reversedBy: z.string().nullable(), corrects: z.string().nullable(),
}).openapi('StatementItem');

const Statement = z.object({
  asOf: AsOfSchema, accountId: z.string(), currency: z.string(), openingBalance: z.string(), closingBalance: z.string(),
  items: z.array(StatementItem), nextCursor: z.string().nullable(),
}).openapi('Statement');

const getStatement = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/accounts/{accountId}/entries', operationId: 'getStatement',
  summary: 'Statement: posted entries in effective order with the running ledger balance, as of recordedAsOf', ...ledgerTag('balances'),
  request: {
    params: AccountParams,
    query: AsOfQuery.extend(PageQuery.shape).extend({ effectiveFrom: TimestampOrDate.optional(), effectiveTo: TimestampOrDate.optional() }),
  },
  responses: { 200: json(Statement, 'A page of the statement'), ...PROBLEMS },
});

const HistoryPoint = z.object({
  periodStart: z.string(), periodEnd: z.string(), effectiveAt: z.string(), ledgerBalance: z.string(), availableBalance: z.string(),
}).openapi('BalanceHistoryPoint');

const getBalanceHistory = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/accounts/{accountId}/balance-history', operationId: 'getBalanceHistory',
  summary: 'Balances at the end of each day, week or month of an effective range, as of recordedAsOf', ...ledgerTag('balances'),
  request: {
    params: AccountParams,
    query: AsOfQuery.extend({
      effectiveFrom: TimestampOrDate, effectiveTo: TimestampOrDate.optional(), interval: z.enum(['day', 'week', 'month']).optional(),
    }),
  },
  responses: {
    200: json(z.object({ asOf: AsOfSchema, accountId: z.string(), currency: z.string(), interval: z.string(), items: z.array(HistoryPoint) }), 'The series'),
    ...PROBLEMS,
  },
});

/** The statement's cursor key: the last row's (effectiveAt, position, seq). */
function statementKey(raw: unknown): { effectiveAt: Instant; position: number; seq: number } | undefined {
  if (!Array.isArray(raw) || raw.length !== 3) return undefined;
  const [effectiveAt, position, seq] = raw as unknown[];
  const at = typeof effectiveAt === 'string' ? parseTimestamp(effectiveAt) : undefined;
  if (at === undefined || !Number.isSafeInteger(position) || !Number.isSafeInteger(seq)) return undefined;
  return { effectiveAt: at, position: position as number, seq: seq as number };
}

async function accountOr404(c: Parameters<typeof ledgerOr404>[0], ledgerId: string, accountId: string, position: number): Promise<AccountRow> {
  const account = await c.get('deps').store.account(ledgerId, accountId, position);
  if (!account) throw new ProblemError('NOT_FOUND', `Account ${accountId} does not exist as of position ${position}.`);
  return account;
}

const ledgerBalanceOf = (sums: BalanceSums, account: AccountRow) => balanceFromSums(sums, account).ledgerBalance;

export const statementRoutes = routesApp()
  .openapi(getStatement, async (c) => {
    const { ledgerId, accountId } = c.req.valid('param');
    const query = c.req.valid('query');
    const { store } = c.get('deps');
    const ledger = await ledgerOr404(c, ledgerId);
    const effectiveFrom = query.effectiveFrom === undefined ? undefined : parseInstantOrStartOfDay(query.effectiveFrom, ledger.timezone);
    let resolved: { asOf: AsOf; account: AccountRow; effectiveTo: Instant; scale: number } | undefined;
    const page = await readPage(c, ledger, query, {
      parseKey: statementKey,
      fetch: async (asOf, after, limit) => {
        const account = await accountOr404(c, ledgerId, accountId, asOf.position);
        const effectiveTo = query.effectiveTo === undefined ? asOf.effectiveAt : parseInstantOrEndOfDay(query.effectiveTo, ledger.timezone)!;
        resolved = { asOf, account, effectiveTo, scale: (await assetOfAccount(store, ledgerId, account)).scale };
        return store.statement(ledgerId, accountId, asOf.position, account.normalBalance, { effectiveFrom, effectiveTo, after, limit });
      },
      keyOf: (row) => [formatInstant(row.effectiveAt), row.position, row.seq],
      present: ({ seq: _seq, ...row }) => ({
        ...row, recordedAt: formatInstant(row.recordedAt), effectiveAt: formatInstant(row.effectiveAt),
        amount: formatAmount(new Decimal(row.amount), resolved!.scale), runningBalance: formatAmount(new Decimal(row.runningBalance), resolved!.scale),
      }),
    });
    const { asOf, account, effectiveTo, scale } = resolved!;
    const [opening, closing] = await store.balanceSeries(ledgerId, accountId, asOf.position, [effectiveFrom === undefined ? effectiveTo : effectiveFrom - 1n, effectiveTo]);
    return c.json({
      asOf: page.asOf, accountId, currency: account.currency,
      openingBalance: effectiveFrom === undefined ? formatAmount(new Decimal(0), scale) : formatAmount(ledgerBalanceOf(opening!, account), scale),
      items: page.items,
      closingBalance: formatAmount(ledgerBalanceOf(closing!, account), scale),
      nextCursor: page.nextCursor,
    }, 200);
  })
  .openapi(getBalanceHistory, async (c) => {
    const { ledgerId, accountId } = c.req.valid('param');
    const query = c.req.valid('query');
    const { store } = c.get('deps');
    const ledger = await ledgerOr404(c, ledgerId);
    const asOf = await asOfOr400(c, ledger, asOfInput({ recordedAsOf: query.recordedAsOf, recordedAsOfPosition: query.recordedAsOfPosition }));
    const account = await accountOr404(c, ledgerId, accountId, asOf.position);
    const dateIn = (text: string) => parsePlainDate(text) ?? dateOf(parseTimestamp(text)!, ledger.timezone);
    const from = dateIn(query.effectiveFrom);
    const to = query.effectiveTo === undefined ? dateOf(asOf.effectiveAt, ledger.timezone) : dateIn(query.effectiveTo);
    const interval = query.interval ?? 'day';
    const periods = periodsCovering(from, to, interval, MAX_PAGE_SIZE + 1);
    if (periods.length === 0 || periods.length > MAX_PAGE_SIZE) {
      throw new ProblemError('VALIDATION_FAILED', `The range must cover 1 to ${MAX_PAGE_SIZE} ${interval}s.`, [{ path: 'effectiveTo', message: 'range too long or empty' }]);
    }
    const ends = periods.map((p) => endOfDay(p.end, ledger.timezone));
    const series = await store.balanceSeries(ledgerId, accountId, asOf.position, ends);
    const { scale } = await assetOfAccount(store, ledgerId, account);
    const items = periods.map((period, i) => {
      const balance = balanceFromSums(series[i]!, account);
      return {
        periodStart: period.start, periodEnd: period.end, effectiveAt: formatInstant(ends[i]!),
        ledgerBalance: formatAmount(balance.ledgerBalance, scale), availableBalance: formatAmount(balance.availableBalance, scale),
      };
    });
    return c.json({ asOf: presentAsOf({ ...asOf, effectiveAt: ends.at(-1)! }), accountId, currency: account.currency, interval, items }, 200);
  });
