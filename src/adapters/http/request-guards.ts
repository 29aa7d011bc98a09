import type { Context, MiddlewareHandler } from 'hono';
import type { IncomingMessage } from 'node:http';
import type { ApiKeyRow } from '../../app/ports.ts';
import { keyOf } from './access.ts';
import type { AppEnv } from './env.ts';
import { parseJsonMarkingInexact, unstorableJson } from './json-guard.ts';
import { countsOverLimits, type Limits } from './limits.ts';
import { nodeRequestOf, requestHeader } from './node-request.ts';
import { ProblemError } from './problem.ts';
import { RateLimiter } from './rate-limit.ts';

/**
 * A body larger than the limit: 413, before more of it is read. The connection closes after the
 * answer: the rest of the body is still on its way, so it cannot carry another request.
 */
function tooLarge(maxBytes: number): ProblemError {
  return new ProblemError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`, undefined, { Connection: 'close' });
}

/** Concatenates and decodes what was read. */
function textOf(parts: readonly Uint8Array[], size: number): string {
  const whole = new Uint8Array(size);
  let offset = 0;
  for (const part of parts) {
    whole.set(part, offset);
    offset += part.length;
  }
  return new TextDecoder().decode(whole);
}

/** Reads a web stream to its end, as text (empty when there is none); null as soon as it passes `maxBytes` (the stream is cancelled). */
async function readWebStream(chunks: AsyncIterable<Uint8Array> | null, maxBytes: number): Promise<string | null> {
  if (!chunks) return '';
  const parts: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of chunks) {
    size += chunk.length;
    if (size > maxBytes) return null;
    parts.push(chunk);
  }
  return textOf(parts, size);
}

/**
 * Reads Node's request to its end, as text; null as soon as it passes `maxBytes`. The stream is
 * not destroyed then (that would reset the connection before the 413 reaches the client): it
 * stops being read, and Node discards the rest.
 */
function readNodeRequest(incoming: IncomingMessage, maxBytes: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const parts: Uint8Array[] = [];
    let size = 0;
    const stop = () => {
      incoming.off('data', onData).off('end', onEnd).off('error', reject);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) return void parts.push(chunk);
      stop();
      resolve(null);
    };
    const onEnd = () => {
      stop();
      resolve(textOf(parts, size));
    };
    incoming.on('data', onData).on('end', onEnd).on('error', reject);
  });
}

/**
 * A POST's body as text, read once (a later call answers the same), refusing more than
 * `maxBytes` with 413. On Node it reads Node's request stream itself: the server adapter would
 * otherwise build a web Request and a body stream for it, which cost more than the rest of a
 * small request's guards. Empty for a request without a body.
 */
async function bodyText(c: Context<AppEnv>, maxBytes: number): Promise<string> {
  const read = c.get('bodyText');
  if (read !== undefined) return read;
  const incoming = nodeRequestOf(c);
  // On Node, `c.req.raw` must not be touched: the adapter would make a web stream that reads the
  // same request, and a body larger than that stream's buffer then stalled both readers.
  const text = incoming ? await readNodeRequest(incoming, maxBytes) : await readWebStream(c.req.raw.body, maxBytes);
  if (text === null) throw tooLarge(maxBytes);
  c.set('bodyText', text);
  (c.req.bodyCache as Record<string, unknown>).text = Promise.resolve(text);
  return text;
}

/**
 * A POST's JSON body, or a 400: for a body that is not JSON, malformed JSON, numbers JavaScript
 * cannot hold exactly, and what the database cannot store. Undefined when there is no body.
 * The route's validator then takes the value parsed here rather than parsing the text again.
 */
async function storableJsonBody(c: Context<AppEnv>, maxBytes: number): Promise<unknown> {
  if (c.req.method !== 'POST') return undefined;
  const text = await bodyText(c, maxBytes);
  if (!/\bjson\b/i.test(requestHeader(c, 'content-type') ?? '')) {
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
  (c.req as { json: () => Promise<unknown> }).json = () => Promise.resolve(parsed);
  return parsed;
}

/** 429 with Retry-After for a key over its request rate; none when the rate is 0. */
function rateGuard(limits: Limits): (key: ApiKeyRow | null) => void {
  const limiter = limits.ratePerSecond > 0 ? new RateLimiter(limits.ratePerSecond, limits.rateBurst) : null;
  return (key) => {
    const waitSeconds = key && limiter ? limiter.take(key.keyId) : 0;
    if (waitSeconds > 0) {
      throw new ProblemError('RATE_LIMITED', `This key is over ${limits.ratePerSecond} requests a second.`, undefined, { 'Retry-After': String(Math.ceil(waitSeconds)) });
    }
  };
}

/** While the database is known not to answer, /v1 answers 503 at once instead of trying. */
function refuseWhileDatabaseUnreachable(c: Context<AppEnv>): void {
  const state = c.get('deps').availability?.state;
  if (state && !state.reachable) {
    throw new ProblemError('UNAVAILABLE', `The database has not answered since ${new Date(state.sinceMs).toISOString()} (${state.reason}); retry later. Nothing was recorded.`, undefined, { 'Retry-After': '1' });
  }
}

/**
 * A POST's declared length first, so that no large body is read; a body without one (chunked) is
 * read up to the limit here, before the key is looked at, as its size is not known otherwise.
 */
async function limitBody(c: Context<AppEnv>, maxBytes: number): Promise<void> {
  const declared = requestHeader(c, 'content-length');
  if (declared !== undefined && !requestHeader(c, 'transfer-encoding')) {
    if (Number(declared) > maxBytes) throw tooLarge(maxBytes);
  } else {
    await bodyText(c, maxBytes);
  }
}

/** For a request with a key: its body (400 unless storable JSON) and the configured counts (400). */
async function checkBody(c: Context<AppEnv>, limits: Limits): Promise<void> {
  const body = await storableJsonBody(c, limits.maxBodyBytes);
  const over = countsOverLimits(body, c.req.query('limit'), limits);
  if (over.length > 0) throw new ProblemError('VALIDATION_FAILED', `The request is over this service's limits: ${over.map((o) => `${o.path} ${o.message}`).join('; ')}.`, over);
}

/**
 * What every request under /v1 goes through before its route, in this order: a database known
 * not to answer (503), the body size (413, before the body is read whole), the key, the key's
 * rate (429), then, for a request with a key, its body (400 unless storable JSON) and the
 * configured counts (400); without a key, the route answers 401 before looking at the body.
 * Each route's own first middleware then checks its access (access.ts). One middleware rather
 * than a chain of five: each link cost a closure and a dispatch on every request.
 */
export function requestGuards(limits: Limits): MiddlewareHandler<AppEnv> {
  const takeRate = rateGuard(limits);
  return async (c, next) => {
    refuseWhileDatabaseUnreachable(c);
    const post = c.req.method === 'POST';
    if (post) await limitBody(c, limits.maxBodyBytes);
    const key = await keyOf(c);
    c.set('key', key);
    takeRate(key);
    if (key) await checkBody(c, limits);
    await next();
  };
}
