import { randomUUID } from 'node:crypto';
import { OpenAPIHono } from '@hono/zod-openapi';
import { swaggerUI } from '@hono/swagger-ui';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import type { ZodError } from 'zod';
import { isDatabaseUnavailable, isStatementTimeout } from '../db/errors.ts';
import { identify } from './access.ts';
import { parseJsonMarkingInexact, unstorableJson } from './json-guard.ts';
import type { AppDeps, AppEnv } from './env.ts';
import { countsOverLimits, DEFAULT_LIMITS, type Limits } from './limits.ts';
import { RequestCounters } from './metrics.ts';
import { problemResponse, ProblemError } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';
import { accountRoutes } from './routes/accounts.ts';
import { assetRoutes } from './routes/assets.ts';
import { balanceRoutes } from './routes/balances.ts';
import { feedRoutes } from './routes/feed.ts';
import { keyRoutes } from './routes/keys.ts';
import { ledgerRoutes } from './routes/ledgers.ts';
import { metricsRoutes } from './routes/metrics.ts';
import { periodRoutes } from './routes/periods.ts';
import { rejectionRoutes } from './routes/rejections.ts';
import { reportRoutes } from './routes/reports.ts';
import { statementRoutes } from './routes/statements.ts';
import { transactionRoutes } from './routes/transactions.ts';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

function fieldErrors(error: ZodError) {
  return error.issues.map((issue) => ({ path: issue.path.map(String).join('.') || '(body)', message: issue.message }));
}

/**
 * A POST's JSON body, or a 400: for a body that is not JSON, malformed JSON, numbers JavaScript
 * cannot hold exactly, and what the database cannot store. Undefined when there is no body.
 */
async function storableJsonBody(c: Context<AppEnv>): Promise<unknown> {
  if (c.req.method !== 'POST' || !c.req.raw.body) return undefined;
  const text = await c.req.text();
  if (!/\bjson\b/i.test(c.req.header('Content-Type') ?? '')) {
    if (text.length === 0) return undefined;
    throw new ProblemError('VALIDATION_FAILED', 'The request body must be JSON, sent with Content-Type: application/json.', [{ path: '(body)', message: 'not JSON' }]);
  }
  let parsed: unknown;
  try {
    parsed = parseJsonMarkingInexact(text);
  } catch {
    throw new ProblemError('VALIDATION_FAILED', 'The request body is not valid JSON.', [{ path: '(body)', message: 'malformed JSON' }]);
  }
  const unstorable = unstorableJson(parsed);
  if (unstorable) throw new ProblemError('VALIDATION_FAILED', `The request body ${unstorable.message}.`, [unstorable]);
  return parsed;
}

/** 429 with Retry-After for a key over its request rate; off when the rate is 0. */
function rateLimited(limits: Limits) {
  const limiter = limits.ratePerSecond > 0 ? new RateLimiter(limits.ratePerSecond, limits.rateBurst) : null;
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.get('key');
    const waitSeconds = key && limiter ? limiter.take(key.keyId) : 0;
    if (waitSeconds > 0) {
      throw new ProblemError('RATE_LIMITED', `This key is over ${limits.ratePerSecond} requests a second.`, undefined, { 'Retry-After': String(Math.ceil(waitSeconds)) });
    }
    await next();
  });
}

/** The whole HTTP API over its dependencies: the Node and Workers entries wire the same app. */
export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AppEnv>({
    defaultHook: (result) => {
      if (!result.success) {
        const where = result.target === 'json' ? 'body' : result.target;
        throw new ProblemError('VALIDATION_FAILED', `The request ${where} is not valid.`, fieldErrors(result.error));
      }
    },
  });

  const limits = deps.limits ?? DEFAULT_LIMITS;
  const counters = new RequestCounters();
  app.use('*', async (c, next) => {
    const started = performance.now();
    const given = c.req.header('X-Request-Id');
    c.set('requestId', given && REQUEST_ID.test(given) ? given : randomUUID());
    c.set('deps', deps);
    c.set('limits', limits);
    c.set('counters', counters);
    c.set('key', null);
    c.set('problem', undefined);
    await next();
    c.header('X-Request-Id', c.get('requestId'));
    counters.count(c.res.status, c.get('problem'));
    deps.log?.({
      requestId: c.get('requestId'), keyId: c.get('key')?.keyId ?? null, method: c.req.method, route: c.req.routePath,
      status: c.res.status, code: c.get('problem') ?? null, durationMs: Math.round((performance.now() - started) * 1000) / 1000,
    });
  });
  app.use('/v1/*', bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: () => {
      throw new ProblemError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limits.maxBodyBytes} bytes.`);
    },
  }));
  app.use('/v1/*', identify);
  app.use('/v1/*', rateLimited(limits));
  app.use('/v1/*', async (c, next) => {
    // Without a key, the route answers 401 before looking at the body.
    if (!c.get('key')) return next();
    const body = await storableJsonBody(c);
    const over = countsOverLimits(body, c.req.query('limit'), limits);
    if (over.length > 0) throw new ProblemError('VALIDATION_FAILED', `The request is over this service's limits: ${over.map((o) => `${o.path} ${o.message}`).join('; ')}.`, over);
    await next();
  });

  app.onError((error, c) => {
    c.header('X-Request-Id', c.get('requestId'));
    if (error instanceof ProblemError) return problemResponse(c, error.code, error.detail, error.errors, { ...error.headers });
    if (isDatabaseUnavailable(error)) {
      const why = isStatementTimeout(error) ? 'The query ran past the statement timeout' : 'The database cannot answer now';
      return problemResponse(c, 'UNAVAILABLE', `${why}; retry later. Nothing was recorded unless a retry says so.`, undefined, { 'Retry-After': '1' });
    }
    if (error instanceof HTTPException && error.status < 500) {
      const code = error.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'VALIDATION_FAILED';
      return problemResponse(c, code, error.message || 'The request is malformed.');
    }
    console.error(JSON.stringify({ requestId: c.get('requestId'), error: String(error), stack: (error as Error).stack }));
    return c.json({ type: 'about:blank', title: 'Internal error', status: 500, detail: 'An unexpected error; it has been logged.', code: 'INTERNAL' }, 500, {
      'Content-Type': 'application/problem+json',
    });
  });
  app.notFound((c) => problemResponse(c, 'NOT_FOUND', `No route for ${c.req.method} ${c.req.path}.`));

  app.get('/health', (c) => c.json({ ok: true }));
  app.route('/', ledgerRoutes);
  app.route('/', assetRoutes);
  app.route('/', accountRoutes);
  app.route('/', transactionRoutes);
  app.route('/', balanceRoutes);
  app.route('/', periodRoutes);
  app.route('/', reportRoutes);
  app.route('/', statementRoutes);
  app.route('/', feedRoutes);
  app.route('/', keyRoutes);
  app.route('/', rejectionRoutes);
  app.route('/', metricsRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Bitemporal ledger', version: '0.1.0', description: 'A double-entry ledger that never forgets: every balance as of any (recordedAsOf, effectiveAsOf).' },
  });
  app.get('/docs', swaggerUI({ url: '/openapi.json' }));
  return app;
}
