import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { parseTimestamp } from '../../../domain/time.ts';
import { requireAccess } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { asOfInput, asOfOr400, decodeCursor, encodeCursor, ledgerOr404, pageSize } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentAsOf, presentTransaction } from '../presenters.ts';
import { AsOf, AsOfQuery, LedgerId, PageQuery, Transaction } from '../schemas.ts';

const ReversalItem = z.object({
  original: Transaction, reversal: Transaction, replacement: Transaction.nullable(),
  reason: z.string(), actor: z.string(), recordedAt: z.string(), effectiveAt: z.string(),
}).openapi('ReversalItem');

const listReversals = createRoute({
  method: 'get', path: '/v1/ledgers/{ledgerId}/reversals', operationId: 'listReversals',
  summary: 'Reversals with their originals, replacements, reasons, actors and both times (auditor)', ...ledgerTag('reports'),
  middleware: [requireAccess('audit')] as const,
  request: { params: z.object({ ledgerId: LedgerId }), query: AsOfQuery.extend(PageQuery.shape) },
  responses: { 200: json(z.object({ items: z.array(ReversalItem), nextCursor: z.string().nullable(), asOf: AsOf }), 'A page of reversals'), ...PROBLEMS },
});

export const reportRoutes = new OpenAPIHono<AppEnv>().openapi(listReversals, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const ledger = await ledgerOr404(c, ledgerId);
  const cursor = decodeCursor(query.cursor, 'position');
  const input = cursor ? { recordedAsOfPosition: cursor.position, effectiveAsOf: parseTimestamp(cursor.effectiveAsOf) } : asOfInput(query);
  const asOf = await asOfOr400(c, ledger, input);
  const limit = pageSize(query.limit);
  const rows = await c.get('deps').store.reversals(ledgerId, asOf.position, cursor ? Number(cursor.after) : 0, limit + 1);
  const items = rows.slice(0, limit).map((row) => ({
    original: presentTransaction(row.original),
    reversal: presentTransaction(row.reversal),
    replacement: row.replacement ? presentTransaction(row.replacement) : null,
    reason: row.reversal.data.reason ?? '',
    actor: row.actor,
    recordedAt: presentTransaction(row.reversal).recordedAt,
    effectiveAt: row.reversal.data.effectiveAt,
  }));
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  const nextCursor = last ? encodeCursor({ position: asOf.position, effectiveAsOf: presentAsOf(asOf).effectiveAt, after: last.reversal.position }) : null;
  return c.json({ items, nextCursor, asOf: presentAsOf(asOf) }, 200);
});
