import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { requireAccess } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { ledgerOr404, readPage } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentTransaction } from '../presenters.ts';
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
  const body = await readPage(c, ledger, query, 'position', {
    fetch: (asOf, after: number | undefined, limit) => c.get('deps').store.reversals(ledgerId, asOf.position, after ?? 0, limit),
    keyOf: (row) => row.reversal.position,
    present: (row) => {
      const reversal = presentTransaction(row.reversal);
      return {
        original: presentTransaction(row.original),
        reversal,
        replacement: row.replacement ? presentTransaction(row.replacement) : null,
        reason: row.reversal.data.reason ?? '',
        actor: row.actor,
        recordedAt: reversal.recordedAt,
        effectiveAt: reversal.effectiveAt,
      };
    },
  });
  return c.json(body, 200);
});
