import type { Context, TypedResponse } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { JSONParsed, JSONValue } from 'hono/utils/types';
import type { AppEnv } from './env.ts';

/** The answers made with the request id already among their headers. */
const carryingRequestId = new WeakSet<Response>();

/**
 * A JSON answer with all its headers given at once, the request's `X-Request-Id` among them;
 * typed as `c.json` types it, so that the route's schema still checks its shape. Given headers
 * as a plain object, @hono/node-server writes them as they are: `c.json` makes a web `Headers`
 * of them, and the request id set on the answer afterwards made another, each turned back into
 * an object for Node.
 */
export function jsonAnswer<T extends JSONValue | object, S extends ContentfulStatusCode>(
  c: Context<AppEnv>, value: T, status: S, headers?: Readonly<Record<string, string>>,
): Response & TypedResponse<JSONParsed<T>, S, 'json'> {
  const answer = new Response(JSON.stringify(value), {
    status, headers: { 'content-type': 'application/json', 'x-request-id': c.get('requestId'), ...headers },
  });
  carryingRequestId.add(answer);
  return answer as Response & TypedResponse<JSONParsed<T>, S, 'json'>;
}

/** Whether the answer was made by `jsonAnswer`, with the request id. */
export const carriesRequestId = (answer: Response): boolean => carryingRequestId.has(answer);
