import { z } from '@hono/zod-openapi';
import { formatInstant as presentInstant } from '../../../domain/time.ts';
import { route } from '../access.ts';
import { runWrite, written } from '../handler-kit.ts';
import { body, IDEMPOTENCY_KEY_HEADER, json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { ClosePeriodBody, LedgerId } from '../schemas.ts';

const PeriodClose = z.object({ closedThrough: z.string(), position: z.number().int(), recordedAt: z.string() }).openapi('PeriodClose');

const closePeriod = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/periods/close', operationId: 'closePeriod',
  summary: 'Close the books through a date: no later write may take effect on or before its end', ...ledgerTag('periods'),
  request: { params: z.object({ ledgerId: LedgerId }), ...body(ClosePeriodBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(PeriodClose, 'Closed'), 200: json(PeriodClose, 'Replayed'), ...PROBLEMS },
});

export const periodRoutes = routesApp().openapi(closePeriod, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const { through } = c.req.valid('json');
  const outcome = await runWrite(c, ledgerId, 'periods.close', { type: 'ClosePeriod', through }, { through });
  const event = outcome.events[0]!;
  return written(c, outcome, { closedThrough: through, position: event.position, recordedAt: presentInstant(event.recordedAt) });
});


