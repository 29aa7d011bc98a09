import { createMiddleware } from 'hono/factory';
import { authenticate } from '../../app/api-keys.ts';
import type { ApiKeyRow } from '../../app/ports.ts';
import type { AppEnv } from './env.ts';
import { ProblemError } from './problem.ts';

/** What a route needs of the key that calls it. */
export type Access = 'admin' | 'write' | 'read' | 'feed' | 'audit';

/** The one table of who may do what (spec section 8): integrations follow the feed with writer keys. */
const ROLES_FOR: Readonly<Record<Access, readonly ApiKeyRow['role'][]>> = {
  admin: ['admin'],
  write: ['admin', 'writer'],
  read: ['admin', 'writer', 'reader', 'auditor'],
  feed: ['admin', 'writer', 'auditor'],
  audit: ['admin', 'auditor'],
};

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** Finds the calling key from `Authorization: Bearer`, for every route under /v1. */
export const identify = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('Authorization');
  const match = header ? BEARER.exec(header) : null;
  c.set('key', match ? await authenticate(c.get('deps').store, match[1]!) : null);
  await next();
});

export function inScope(key: ApiKeyRow, ledgerId: string): boolean {
  return key.ledgerIds === null || key.ledgerIds.includes(ledgerId);
}

/**
 * Checks a route's access: no or unknown key 401; a ledger outside the key's scope 404, as if
 * it did not exist; a role that may not do this 403.
 */
export function requireAccess(access: Access) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.get('key');
    if (!key) throw new ProblemError('UNAUTHORIZED', 'Send a valid, unrevoked API key as "Authorization: Bearer <key>".');
    const ledgerId = c.req.param('ledgerId');
    if (ledgerId !== undefined && !inScope(key, ledgerId)) throw new ProblemError('NOT_FOUND', `Ledger ${ledgerId} does not exist.`);
    if (!ROLES_FOR[access].includes(key.role)) throw new ProblemError('FORBIDDEN', `A ${key.role} key may not do this.`);
    await next();
  });
}
