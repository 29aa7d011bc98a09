import { z } from '@hono/zod-openapi';
import { route } from '../access.ts';
import { readLedger } from '../../../app/ledger-read.ts';
import { isRejection } from '../../../domain/rejection.ts';
import { asOfInput, missingLedger, runWrite, written } from '../handler-kit.ts';
import { body, IDEMPOTENCY_KEY_HEADER, json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentAsOf, presentCreatedLedger, presentLedger } from '../presenters.ts';
import { ProblemError } from '../problem.ts';
import { AsOf, AsOfQuery, CreateLedgerBody, Ledger, LedgerId } from '../schemas.ts';
import { routesApp } from '../request-validation.ts';
import { jsonAnswer } from '../json-answer.ts';

const createLedger = route({
  method: 'post', path: '/v1/ledgers', operationId: 'createLedger', summary: 'Create a ledger (admin)', ...ledgerTag('ledgers'),
  request: { ...body(CreateLedgerBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Ledger, 'Created'), 200: json(Ledger, 'Replayed'), ...PROBLEMS },
});

const getLedger = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}', operationId: 'getLedger', summary: 'The ledger, its head and closed-through date', ...ledgerTag('ledgers'),
  request: { params: z.object({ ledgerId: LedgerId }), query: AsOfQuery },
  responses: { 200: json(Ledger.extend({ asOf: AsOf }), 'The ledger'), ...PROBLEMS },
});

export const ledgerRoutes = routesApp()
  .openapi(createLedger, async (c) => {
    const input = c.req.valid('json');
    const command = { type: 'CreateLedger' as const, ledgerId: input.id, name: input.name, timezone: input.timezone ?? 'UTC' };
    const outcome = await runWrite(c, input.id, 'ledgers.create', command, input);
    return written(c, outcome, presentCreatedLedger(outcome.events[0]!));
  })
  .openapi(getLedger, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const read = await readLedger(c.get('deps').store, ledgerId, asOfInput(c.req.valid('query')));
    if (read === null) throw missingLedger(ledgerId);
    if (isRejection(read)) throw ProblemError.of(read);
    return jsonAnswer(c, { ...presentLedger(read.ledger), asOf: presentAsOf(read.asOf) }, 200);
  });
