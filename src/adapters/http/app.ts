import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { ApiKeyCache } from '../../app/api-keys.ts';
import { isDatabaseGone, isDatabaseUnavailable, isStatementTimeout } from '../db/errors.ts';
import type { AppDeps, AppEnv } from './env.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import { RequestCounters } from './metrics.ts';
import { problemResponse, ProblemError } from './problem.ts';
import { requestHeader } from './node-request.ts';
import { pinnedReadsToReplica } from './replica-reads.ts';
import { invalidRequest } from './request-validation.ts';
import { answerWithRequestId, requestIdOf, requestServed } from './request-log.ts';
import { requestGuards } from './request-guards.ts';
import { accountRoutes } from './routes/accounts.ts';
import { assetRoutes } from './routes/assets.ts';
import { balanceRoutes } from './routes/balances.ts';
import { consoleRoutes } from './routes/console.ts';
import { docsRoutes } from './routes/docs.ts';
import { exportRoutes } from './routes/exports.ts';
import { feedRoutes } from './routes/feed.ts';
import { financialStatementRoutes } from './routes/financial-statements.ts';
import { homeRoutes } from './routes/home.ts';
import { keyRoutes } from './routes/keys.ts';
import { ledgerRoutes } from './routes/ledgers.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { operationsRoutes } from './routes/operations.ts';
import { periodRoutes } from './routes/periods.ts';
import { proofRoutes } from './routes/proofs.ts';
import { rejectionRoutes } from './routes/rejections.ts';
import { reportRoutes } from './routes/reports.ts';
import { statementRoutes } from './routes/statements.ts';
import { transactionRoutes } from './routes/transactions.ts';

/** Every error leaves here: problems as they are, a database that cannot answer as 503, the rest as a logged 500. */
function answerError(error: Error, c: Context<AppEnv>): Response {
  c.header('X-Request-Id', c.get('requestId'));
  if (error instanceof ProblemError) return problemResponse(c, error.code, error.detail, error.errors, { ...error.headers });
  if (isDatabaseUnavailable(error)) {
    // A lost connection may be a database that is gone: find out now (a timeout is only slow).
    if (isDatabaseGone(error)) c.get('deps').availability?.suspect();
    const why = isStatementTimeout(error) ? 'The query ran past the statement timeout' : 'The database cannot answer now';
    return problemResponse(c, 'UNAVAILABLE', `${why}; retry later. Nothing was recorded unless a retry says so.`, undefined, { 'Retry-After': '1' });
  }
  if (error instanceof HTTPException && error.status < 500) {
    const code = error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
    return problemResponse(c, code, error.message || 'The request is malformed.');
  }
  const line = { requestId: c.get('requestId'), error: String(error), stack: error.stack };
  const logger = c.get('deps').logger;
  if (logger) logger.error(line);
  else console.error(JSON.stringify(line));
  return c.json({ type: 'about:blank', title: 'Internal error', status: 500, detail: 'An unexpected error; it has been logged.', code: 'INTERNAL' }, 500, {
    'Content-Type': 'application/problem+json',
  });
}

/** The whole HTTP API over its dependencies: the Node and Workers entries wire the same app. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) throw invalidRequest(result.error, result.target);
    },
  });

  const limits = deps.limits ?? DEFAULT_LIMITS;
  const counters = new RequestCounters();
  const keys = new ApiKeyCache((keyHash) => deps.store.apiKeyByHash(keyHash));
  app.use('*', async (c, next) => {
    const started = performance.now();
    c.set('requestId', requestIdOf(requestHeader(c, 'x-request-id')));
    c.set('deps', deps);
    c.set('keys', keys);
    c.set('limits', limits);
    c.set('counters', counters);
    c.set('key', null);
    c.set('problem', undefined);
    c.set('readFrom', 'primary');
    c.set('bodyText', undefined);
    await next();
    answerWithRequestId(c);
    counters.count(c.res.status, c.get('problem'), c.get('readFrom'));
    requestServed(c, started);
  });
  app.use('/v1/*', requestGuards(limits));
  if (deps.readReplica) app.use('/v1/ledgers/:ledgerId/*', pinnedReadsToReplica);

  app.onError(answerError);
  app.notFound((c) => problemResponse(c, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`));

  app.route('/', operationsRoutes);
  app.route('/', ledgerRoutes);
  app.route('/', assetRoutes);
  app.route('/', accountRoutes);
  app.route('/', transactionRoutes);
  app.route('/', balanceRoutes);
  app.route('/', periodRoutes);
  app.route('/', reportRoutes);
  app.route('/', financialStatementRoutes);
  app.route('/', statementRoutes);
  app.route('/', exportRoutes);
  app.route('/', feedRoutes);
  app.route('/', proofRoutes);
  app.route('/', keyRoutes);
  app.route('/', rejectionRoutes);
  app.route('/', metricsRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Bitemporal ledger', version: '0.1.0', description: 'A double-entry ledger that never forgets: every balance as of any (recordedAsOf, effectiveAsOf).' },
  });
  app.route('/', docsRoutes);
  app.route('/', consoleRoutes);
  app.route('/', homeRoutes);
  return app;
}
