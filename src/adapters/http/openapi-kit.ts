import { z } from '@hono/zod-openapi';
import { Problem } from './schemas.ts';

export function json<T extends z.ZodType>(schema: T, description: string) {
  return { content: { 'application/json': { schema } }, description };
}

export function body<T extends z.ZodType>(schema: T) {
  return { body: { content: { 'application/json': { schema } }, required: true } };
}

/** For a write that takes no body: nothing, or `{}`; any field is refused, like everywhere. */
export const NO_BODY = { body: { content: { 'application/json': { schema: z.strictObject({}) } }, required: false } } as const;

const IDEMPOTENCY_KEY_DESCRIPTION = 'Makes the write idempotent: the same key and body again answer the first result (200, Idempotent-Replayed: true); 1 to 255 visible ASCII characters';

/**
 * The `Idempotency-Key` header of a write that records events, for the OpenAPI document only:
 * `headerClaims` checks it and answers 400 for a malformed one. `route()` (access.ts) declares it
 * as IDEMPOTENCY_KEY_PARAMETER instead, so that no validator of every header runs for it.
 */
export const IDEMPOTENCY_KEY_HEADER = {
  headers: z.object({ 'idempotency-key': z.string().optional().openapi({ description: IDEMPOTENCY_KEY_DESCRIPTION }) }),
} as const;

/** The same header as an OpenAPI parameter, as the generator writes the one above. */
export const IDEMPOTENCY_KEY_PARAMETER = {
  schema: { type: 'string', description: IDEMPOTENCY_KEY_DESCRIPTION }, required: false, description: IDEMPOTENCY_KEY_DESCRIPTION, name: 'idempotency-key', in: 'header',
} as const;

const problem = (description: string) => ({ content: { 'application/problem+json': { schema: Problem } }, description });

/** The problems any route under /v1 may answer. */
export const PROBLEMS = {
  400: problem('The request is malformed (VALIDATION_FAILED)'),
  401: problem('No valid API key'),
  403: problem('The key may not do this'),
  404: problem('Not found, or outside the key\'s ledgers'),
  409: problem('Conflicts with what is recorded'),
  413: problem('The request body is over the size limit (PAYLOAD_TOO_LARGE)'),
  422: problem('Refused by a business rule'),
  429: problem('The key is over its request rate (RATE_LIMITED); see Retry-After'),
  // No content declared here, so handlers may answer any Response: bodies come from presenters.
  503: { description: 'The database is unavailable; retry (problem+json, UNAVAILABLE)' },
} as const;

export const ledgerTag = (name: string) => ({ tags: [name], security: [{ bearer: [] }] });
