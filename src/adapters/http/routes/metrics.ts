import { z } from '@hono/zod-openapi';
import { route } from '../access.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';

const Metrics = z.object({
  since: z.string().openapi({ description: 'When this process started counting' }),
  requests: z.number().int(),
  byStatus: z.record(z.string(), z.number().int()),
  byCode: z.record(z.string(), z.number().int()).openapi({ description: 'Problems answered, by code: malformed requests are VALIDATION_FAILED' }),
  replicaReads: z.number().int().openapi({ description: 'Pinned reads answered from the read replica (DATABASE_REPLICA_URL)' }),
}).openapi('Metrics');

const getMetrics = route({
  method: 'get', path: '/v1/metrics', operationId: 'getMetrics',
  summary: 'What this API process has answered since it started, by status and problem code (admin)', ...ledgerTag('operations'),
  responses: { 200: json(Metrics, 'The counters of this process'), ...PROBLEMS },
});

export const metricsRoutes = routesApp().openapi(getMetrics, (c) => c.json(c.get('counters').snapshot(), 200));
