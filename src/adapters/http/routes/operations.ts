import { Hono } from 'hono';
import { identify } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { problemResponse, ProblemError } from '../problem.ts';

// What orchestrators and monitoring call: liveness, readiness and Prometheus' metrics. They are
// not part of the /v1 API and not in /openapi.json (docs/operations.md, "Health, readiness and metrics").

const NO_STORE = { 'Cache-Control': 'no-store' } as const;

/** `/health`, `/ready` and `/metrics`. */
export const operationsRoutes = new Hono<AppEnv>()
  // Liveness: the process serves requests. A database that does not answer is /ready's business:
  // restarting this process would not bring it back.
  .get('/health', (c) => c.json({ ok: true }, 200, NO_STORE))
  .get('/ready', async (c) => {
    const check = c.get('deps').readiness;
    const report = check ? await check() : { ready: true, failed: [], checks: {} };
    return c.json(report, report.ready ? 200 : 503, NO_STORE);
  })
  .get('/metrics', async (c, next) => {
    const metrics = c.get('deps').metrics;
    if (!metrics) return problemResponse(c, 'NOT_FOUND', 'No route for GET /metrics: it is off (LEDGER_METRICS=off), or this entry keeps no metrics (Workers).');
    if (metrics.access === 'open') return next();
    return identify(c, async () => {
      const key = c.get('key');
      if (!key) throw new ProblemError('UNAUTHORIZED', 'Send an admin API key as "Authorization: Bearer <key>" (LEDGER_METRICS=admin).');
      if (key.role !== 'admin') throw new ProblemError('FORBIDDEN', `A ${key.role} key may not read the metrics (LEDGER_METRICS=admin).`);
      await next();
    });
  }, async (c) => {
    const { contentType, text } = await c.get('deps').metrics!.exposition();
    return c.body(text, 200, { ...NO_STORE, 'Content-Type': contentType });
  });
