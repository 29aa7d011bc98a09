import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { identify } from './access.ts';
import type { AppEnv } from './env.ts';
import { parseJsonMarkingInexact, unstorableJson } from './json-guard.ts';
import { countsOverLimits, type Limits } from './limits.ts';
import { ProblemError } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';

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

/**
 * What every request under /v1 goes through before its route, in this order: the body size
 * (413, before the body is read whole), the key, the key's rate (429), then, for a request with
 * a key, its body (400 unless storable JSON) and the configured counts (400). Each route's own
 * first middleware then checks its access (access.ts).
 */
export function requestGuards(limits: Limits) {
  const checkBody = createMiddleware<AppEnv>(async (c, next) => {
    // Without a key, the route answers 401 before looking at the body.
    if (!c.get('key')) return next();
    const body = await storableJsonBody(c);
    const over = countsOverLimits(body, c.req.query('limit'), limits);
    if (over.length > 0) throw new ProblemError('VALIDATION_FAILED', `The request is over this service's limits: ${over.map((o) => `${o.path} ${o.message}`).join('; ')}.`, over);
    await next();
  });
  const limitBody = bodyLimit({
    maxSize: limits.maxBodyBytes,
    onError: () => {
      throw new ProblemError('PAYLOAD_TOO_LARGE', `The request body is larger than ${limits.maxBodyBytes} bytes.`);
    },
  });
  return [limitBody, identify, rateLimited(limits), checkBody] as const;
}
