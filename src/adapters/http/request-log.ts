import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { AppEnv } from './env.ts';
import { carriesRequestId } from './json-answer.ts';

/** A request id a client may send: 1 to 128 letters, digits or `._:/+=@-` (a UUID, a trace id, base64). */
const REQUEST_ID = /^[A-Za-z0-9._:/+=@-]{1,128}$/;

/** The client's `X-Request-Id` when it is safe to echo and log, else a new one. */
export function requestIdOf(given: string | undefined): string {
  return given !== undefined && REQUEST_ID.test(given) ? given : randomUUID();
}

/**
 * Puts the request id on the answer made. On the answer's own headers: `c.header()` on an answer
 * already made makes it again, its body turned into a stream, which cost a small read more than
 * the rest of its HTTP work.
 */
export function answerWithRequestId(c: Context<AppEnv>): void {
  if (carriesRequestId(c.res)) return;
  try {
    c.res.headers.set('X-Request-Id', c.get('requestId'));
  } catch {
    c.header('X-Request-Id', c.get('requestId')); // an answer whose headers cannot change
  }
}

/**
 * After the answer: the request's one log line and its sample for the metrics, both by the
 * route's pattern (`/v1/ledgers/:ledgerId/transactions`), never the path or the query, which may
 * hold ids. The line never holds a header or a body: no key can reach the log through it. A 5xx
 * is logged at warn (a database that cannot answer); everything else at info.
 */
export function requestServed(c: Context<AppEnv>, startedMs: number): void {
  const { logger, metrics } = c.get('deps');
  const durationMs = performance.now() - startedMs;
  const route = c.req.routePath;
  const status = c.res.status;
  metrics?.requestServed({ method: c.req.method, route, status, durationS: durationMs / 1000 });
  if (!logger) return;
  const line = {
    requestId: c.get('requestId'), keyId: c.get('key')?.keyId ?? null, method: c.req.method, route,
    status, code: c.get('problem') ?? null, durationMs: Math.round(durationMs * 1000) / 1000,
    ...(c.get('readFrom') === 'replica' ? { readFrom: 'replica' } : {}),
  };
  if (status >= 500) logger.warn(line);
  else logger.info(line);
}
