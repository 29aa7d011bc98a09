import { z } from '@hono/zod-openapi';
import { route } from '../access.ts';
import { balancesAt, type AccountBalance } from '../../../app/balances.ts';
import type { AccountRow } from '../../../app/ports.ts';
import { MAX_RESTATED_ENTRIES, restatedEntries } from '../../../app/restatements.ts';
import { formatAmount, ZERO } from '../../../domain/money.ts';
import { formatInstant, parseTimestamp } from '../../../domain/time.ts';
import { asOfInput, asOfOr400, ledgerOr404, positionKey, readPage } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { presentTransaction } from '../presenters.ts';
import { ProblemError } from '../problem.ts';
import { AsOf, AsOfQuery, LedgerId, PageQuery, Timestamp, TimestampOrDate, Transaction } from '../schemas.ts';

const ReversalItem = z.object({
  original: Transaction, reversal: Transaction, replacement: Transaction.nullable(),
  reason: z.string(), actor: z.string(), recordedAt: z.string(), effectiveAt: z.string(),
}).openapi('ReversalItem');

const listReversals = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/reversals', operationId: 'listReversals',
  summary: 'Reversals with their originals, replacements, reasons, actors and both times (auditor)', ...ledgerTag('reports'),
  request: { params: z.object({ ledgerId: LedgerId }), query: AsOfQuery.extend(PageQuery.shape) },
  responses: { 200: json(z.object({ items: z.array(ReversalItem), nextCursor: z.string().nullable(), asOf: AsOf }), 'A page of reversals'), ...PROBLEMS },
});

const reversalRoutes = routesApp().openapi(listReversals, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const ledger = await ledgerOr404(c, ledgerId);
  const body = await readPage(c, ledger, query, {
    parseKey: positionKey,
    fetch: (asOf, after: number | undefined, limit) => c.get('deps').store.reversals(ledgerId, asOf.position, after ?? 0, limit),
    keyOf: (row) => row.reversal.position,
    present: (row, asOf) => {
      const reversal = presentTransaction(row.reversal, asOf);
      return {
        original: presentTransaction(row.original, asOf),
        reversal,
        replacement: row.replacement ? presentTransaction(row.replacement, asOf) : null,
        reason: row.reversal.data.reason ?? '',
        actor: row.actor,
        recordedAt: reversal.recordedAt,
        effectiveAt: reversal.effectiveAt,
      };
    },
  });
  return c.json(body, 200);
});

const Restatements = z.object({
  recordedFrom: z.string(), recordedTo: z.string(), effectiveAsOf: z.string(),
  fromPosition: z.number().int(), toPosition: z.number().int(),
  entries: z.array(Transaction),
  accounts: z.array(z.object({ accountId: z.string(), currency: z.string(), before: z.string(), after: z.string() })),
}).openapi('Restatements');

const listRestatements = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/restatements', operationId: 'listRestatements',
  summary: 'Entries recorded in (recordedFrom, recordedTo] that change balances effective at or before effectiveAsOf, with each account\'s ledger balance before and after (auditor)',
  ...ledgerTag('reports'),
  request: {
    params: z.object({ ledgerId: LedgerId }),
    query: z.strictObject({ recordedFrom: Timestamp, recordedTo: Timestamp.optional(), effectiveAsOf: TimestampOrDate.optional() }),
  },
  responses: { 200: json(Restatements, 'The restatements'), ...PROBLEMS },
});

const restatementRoutes = routesApp().openapi(listRestatements, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const { store } = c.get('deps');
  const ledger = await ledgerOr404(c, ledgerId);
  const to = await asOfOr400(c, ledger, asOfInput({ recordedAsOf: query.recordedTo, effectiveAsOf: query.effectiveAsOf }));
  const from = await asOfOr400(c, ledger, asOfInput({ recordedAsOf: query.recordedFrom, effectiveAsOf: formatInstant(to.effectiveAt) }));
  if (from.position > to.position) {
    throw new ProblemError('VALIDATION_FAILED', 'recordedFrom must not be later than recordedTo.', [{ path: 'recordedFrom', message: 'after recordedTo' }]);
  }
  const { rows: entries, accountIds } = await restatedEntries(store, ledgerId, { fromPosition: from.position, toPosition: to.position, effectiveTo: to.effectiveAt }, MAX_RESTATED_ENTRIES + 1);
  if (entries.length > MAX_RESTATED_ENTRIES) {
    throw new ProblemError('VALIDATION_FAILED', `More than ${MAX_RESTATED_ENTRIES} entries: narrow the recorded range.`, [{ path: 'recordedFrom', message: 'range too wide' }]);
  }
  const accountsAt = (position: number) => Promise.all(accountIds.map((id) => store.account(ledgerId, id, position)));
  const [accountsBefore, accountsAfter] = await Promise.all([accountsAt(from.position), accountsAt(to.position)]);
  const openAfter = accountsAfter.filter((a): a is AccountRow => a !== null);
  const [before, after] = await Promise.all([
    balancesAt(store, ledgerId, accountsBefore.filter((a): a is AccountRow => a !== null), from),
    balancesAt(store, ledgerId, openAfter, to),
  ]);
  const ledgerBalance = (b: AccountBalance) => formatAmount(b.balance.ledgerBalance, b.asset.scale);
  return c.json({
    recordedFrom: formatInstant(parseTimestamp(query.recordedFrom)!),
    recordedTo: query.recordedTo === undefined ? formatInstant(to.recordedAt!) : formatInstant(parseTimestamp(query.recordedTo)!),
    effectiveAsOf: formatInstant(to.effectiveAt),
    fromPosition: from.position,
    toPosition: to.position,
    entries: entries.map((t) => presentTransaction(t, to)),
    accounts: after.map((b) => {
      const earlier = before.find((x) => x.account.accountId === b.account.accountId);
      return { accountId: b.account.accountId, currency: b.account.currency, before: earlier ? ledgerBalance(earlier) : formatAmount(ZERO, b.asset.scale), after: ledgerBalance(b) };
    }),
  }, 200);
});

/** The auditors' reports: reversals and restatements. */
export const reportRoutes = routesApp().route('/', reversalRoutes).route('/', restatementRoutes);
