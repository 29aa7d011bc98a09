import { createRoute, type RouteConfig } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { ApiKeyRow } from '../../app/ports.ts';
import type { AppEnv } from './env.ts';
import { requestHeader } from './node-request.ts';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_KEY_PARAMETER } from './openapi-kit.ts';
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

const L = '/v1/ledgers/{ledgerId}';

/**
 * Every route under /v1 and what it needs, as OpenAPI spells the path. `route()` builds a route
 * only from an entry here, so a route cannot be added without saying who may call it.
 */
export const ROUTE_ACCESS: Readonly<Record<string, Access>> = {
  'POST /v1/ledgers': 'admin',
  'POST /v1/keys': 'admin',
  'POST /v1/keys/{id}/revoke': 'admin',
  'GET /v1/metrics': 'admin',
  'GET /v1/keys/current': 'read',
  [`GET ${L}`]: 'read',
  [`POST ${L}/assets`]: 'write',
  [`POST ${L}/accounts`]: 'write',
  [`GET ${L}/accounts`]: 'read',
  [`GET ${L}/accounts/{accountId}`]: 'read',
  [`POST ${L}/accounts/{accountId}/close`]: 'write',
  [`GET ${L}/accounts/{accountId}/balance`]: 'read',
  [`GET ${L}/accounts/{accountId}/entries`]: 'read',
  [`GET ${L}/accounts/{accountId}/balance-history`]: 'read',
  [`GET ${L}/balances`]: 'read',
  [`GET ${L}/reports/balance-sheet`]: 'read',
  [`GET ${L}/reports/income-statement`]: 'read',
  [`POST ${L}/transactions`]: 'write',
  [`POST ${L}/transactions/batch`]: 'write',
  [`GET ${L}/transactions`]: 'read',
  [`GET ${L}/transactions/{id}`]: 'read',
  [`POST ${L}/transactions/{id}/reverse`]: 'write',
  [`POST ${L}/transactions/{id}/correct`]: 'write',
  [`POST ${L}/transactions/{id}/post`]: 'write',
  [`POST ${L}/transactions/{id}/void`]: 'write',
  [`POST ${L}/periods/close`]: 'write',
  [`GET ${L}/events`]: 'feed',
  [`GET ${L}/events/stream`]: 'feed',
  [`GET ${L}/digest`]: 'feed',
  [`GET ${L}/proofs/inclusion`]: 'feed',
  [`GET ${L}/proofs/consistency`]: 'feed',
  [`GET ${L}/exports/general-ledger.csv`]: 'read',
  [`GET ${L}/exports/general-ledger.xlsx`]: 'read',
  [`GET ${L}/exports/trial-balance.csv`]: 'read',
  [`GET ${L}/exports/trial-balance.xlsx`]: 'read',
  [`GET ${L}/exports/balance-sheet.csv`]: 'read',
  [`GET ${L}/exports/balance-sheet.xlsx`]: 'read',
  [`GET ${L}/exports/income-statement.csv`]: 'read',
  [`GET ${L}/exports/income-statement.xlsx`]: 'read',
  [`GET ${L}/exports/beancount`]: 'read',
  [`GET ${L}/verify`]: 'audit',
  [`GET ${L}/restatements`]: 'audit',
  [`GET ${L}/reversals`]: 'audit',
  [`GET ${L}/rejections`]: 'audit',
};

const BEARER = /^Bearer ([\x21-\x7e]{1,512})$/;

/** The calling key from `Authorization: Bearer`, if it is known and not revoked. */
export async function keyOf(c: Context<AppEnv>): Promise<ApiKeyRow | null> {
  const header = requestHeader(c, 'authorization');
  const match = header ? BEARER.exec(header) : null;
  return match ? c.get('keys').authenticate(match[1]!) : null;
}

/** Finds the calling key, for routes outside /v1 that need one (requestGuards finds it under /v1). */
export const identify = createMiddleware<AppEnv>(async (c, next) => {
  c.set('key', await keyOf(c));
  await next();
});

export function inScope(key: ApiKeyRow, ledgerId: string): boolean {
  return key.ledgerIds === null || key.ledgerIds.includes(ledgerId);
}

/**
 * Checks a route's access: no or unknown key 401; a ledger outside the key's scope 404, as if
 * it did not exist; a role that may not do this 403.
 */
function requireAccess(access: Access) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const key = c.get('key');
    if (!key) throw new ProblemError('UNAUTHORIZED', 'Send a valid, unrevoked API key as "Authorization: Bearer <key>".');
    const ledgerId = c.req.param('ledgerId');
    if (ledgerId !== undefined && !inScope(key, ledgerId)) throw new ProblemError('NOT_FOUND', `Ledger ${ledgerId} does not exist.`);
    if (!ROLES_FOR[access].includes(key.role)) throw new ProblemError('FORBIDDEN', `A ${key.role} key may not do this.`);
    await next();
  });
}

/**
 * A route under /v1, with the access check its entry in ROUTE_ACCESS asks for. The
 * `Idempotency-Key` header a write declares goes into the document as a parameter, without the
 * header validator the route's `request.headers` would run: it read every header of every write
 * into an object for zod, and `headerClaims` checks the one header that matters.
 */
export function route<const R extends Omit<RouteConfig, 'middleware'>>(config: R) {
  const name = `${config.method.toUpperCase()} ${config.path}`;
  const access = ROUTE_ACCESS[name];
  if (access === undefined) throw new Error(`${name} has no entry in ROUTE_ACCESS`);
  const built = createRoute({ ...config, middleware: [requireAccess(access)] as const });
  const headers = config.request?.headers;
  if (headers === undefined) return built;
  if (headers !== IDEMPOTENCY_KEY_HEADER.headers) throw new Error(`${name}: the only header a route declares is Idempotency-Key`);
  const { headers: _declared, ...request } = config.request!;
  Object.assign(built, { request, parameters: [...(config.parameters ?? []), IDEMPOTENCY_KEY_PARAMETER] });
  return built;
}
