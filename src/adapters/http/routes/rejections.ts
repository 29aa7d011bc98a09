import { z } from '@hono/zod-openapi';
import { commandToJson } from '../../../app/command-json.ts';
import type { RejectionRow } from '../../../app/ports.ts';
import { formatInstant } from '../../../domain/time.ts';
import { route } from '../access.ts';
import { ledgerOr404, positionKey, readPage } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { problemBody } from '../problem.ts';
import { AsOfQuery, LedgerId, page, PageQuery, Problem } from '../schemas.ts';

const Rejection = z.object({
  seq: z.number().int().openapi({ description: 'Its place in the rejection log (increasing, not gapless)' }),
  position: z.number().int().openapi({ description: 'The log position the refusal was judged at: fold the events up to it and decide `commands` again' }),
  recordedAt: z.string().openapi({ description: 'The recorded time of the commit that judged it: the "now" of the decision' }),
  actor: z.string(),
  requestId: z.string(),
  problem: Problem,
  commands: z.array(z.record(z.string(), z.unknown())).openapi({
    description: 'The commands decided in order from `position`; the last was refused, any before it are earlier items of its atomic batch',
  }),
}).openapi('Rejection');

const listRejections = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/rejections', operationId: 'listRejections',
  summary: 'Writes refused by a business rule (409, 422), with actor, request id, code and the position they were judged at (auditor)', ...ledgerTag('reports'),
  request: {
    params: z.object({ ledgerId: LedgerId }),
    query: AsOfQuery.extend(PageQuery.shape).extend({ code: z.string().regex(/^[A-Z_]{1,40}$/, 'an error code').optional() }),
  },
  responses: { 200: json(page(Rejection), 'A page of the rejection log, judged at positions up to the read position'), ...PROBLEMS },
});

function presentRejection(row: RejectionRow) {
  const { code, detail, errors } = row.rejection;
  return {
    seq: row.seq, position: row.position, recordedAt: formatInstant(row.recordedAt), actor: row.actor, requestId: row.requestId,
    problem: problemBody(code, detail, errors), commands: row.commands.map(commandToJson) as Record<string, unknown>[],
  };
}

export const rejectionRoutes = routesApp().openapi(listRejections, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const ledger = await ledgerOr404(c, ledgerId);
  const body = await readPage(c, ledger, query, {
    parseKey: positionKey,
    fetch: (asOf, after: number | undefined, limit) => c.get('deps').store.rejections(ledgerId, asOf.position, { code: query.code }, after ?? 0, limit),
    keyOf: (row) => row.seq,
    present: presentRejection,
  });
  return c.json(body, 200);
});
