import type { FieldError } from '../../domain/rejection.ts';
import { MAX_BATCH, MAX_PAGE_SIZE, MAX_POSTINGS } from './schemas.ts';

/** What one request may ask of the service; docs/operations.md lists the settings and defaults. */
export interface Limits {
  /** Larger bodies get 413 PAYLOAD_TOO_LARGE before they are read whole. */
  readonly maxBodyBytes: number;
  /** Postings in one transaction or capture, at most MAX_POSTINGS (the spec's 1000). */
  readonly maxPostings: number;
  /** Items in one batch, at most MAX_BATCH. */
  readonly maxBatch: number;
  /** The largest `limit` of a list or feed page, at most MAX_PAGE_SIZE. */
  readonly maxPageSize: number;
  /** Requests per second per key, in each API process; 0 turns the limit off. */
  readonly ratePerSecond: number;
  /** Requests a key may make at once after being idle. */
  readonly rateBurst: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxBodyBytes: 1024 * 1024,
  maxPostings: MAX_POSTINGS,
  maxBatch: MAX_BATCH,
  maxPageSize: MAX_PAGE_SIZE,
  // A guard against a runaway client, above what one process can serve (a few thousand writes
  // or reads a second), so that it never throttles an integration below the service's capacity.
  ratePerSecond: 20_000,
  rateBurst: 40_000,
};

/** The page size of a list when the request names none. */
export const pageSizeOr = (limit: string | undefined, limits: Limits) => (limit === undefined ? Math.min(100, limits.maxPageSize) : Number(limit));

/**
 * The configured counts a request exceeds, checked before its route validates it: the schemas
 * hold the spec's ceilings, an operator may set lower ones.
 */
export function countsOverLimits(body: unknown, limit: string | undefined, limits: Limits): FieldError[] {
  const over: FieldError[] = [];
  if (limit !== undefined && Number(limit) > limits.maxPageSize) over.push({ path: 'limit', message: `at most ${limits.maxPageSize}` });
  if (typeof body !== 'object' || body === null) return over;
  const { transactions } = body as { transactions?: unknown };
  if (Array.isArray(transactions) && transactions.length > limits.maxBatch) over.push({ path: 'transactions', message: `at most ${limits.maxBatch} transactions` });
  for (const [path, postings] of postingLists(body)) {
    if (postings.length > limits.maxPostings) over.push({ path, message: `at most ${limits.maxPostings} postings` });
  }
  return over;
}

/** Where postings sit in a write's body: a transaction or capture, a correction's replacement, a batch's items. */
function postingLists(body: object): [string, unknown[]][] {
  const lists: [string, unknown[]][] = [];
  const add = (path: string, holder: unknown) => {
    const postings = (holder as { postings?: unknown } | null | undefined)?.postings;
    if (Array.isArray(postings)) lists.push([path, postings]);
  };
  const { replacement, transactions } = body as { replacement?: unknown; transactions?: unknown };
  add('postings', body);
  add('replacement.postings', replacement);
  if (Array.isArray(transactions)) transactions.forEach((item: unknown, i) => add(`transactions.${i}.postings`, item));
  return lists;
}
