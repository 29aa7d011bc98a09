import type { Context } from 'hono';
import type { IncomingMessage } from 'node:http';

/** Node's request, where the Node server gives it (@hono/node-server's `env.incoming`). */
export const nodeRequestOf = (c: Context) => (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;

/**
 * A request header by its lower-case name, as the web `Headers` would answer it (the values of a
 * repeated header joined by ", "). On Node it is read from Node's own request: `c.req.header()`
 * makes @hono/node-server build a web `Headers` of every header first, which cost a small read
 * more than the header checks themselves.
 */
export function requestHeader(c: Context, name: string): string | undefined {
  const incoming = nodeRequestOf(c);
  if (!incoming) return c.req.header(name);
  const values = incoming.headersDistinct[name];
  return values === undefined ? undefined : values.length === 1 ? values[0] : values.join(', ');
}
