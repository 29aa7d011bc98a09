import type { Context } from 'hono';
import { resolveAsOf, type AsOf, type AsOfInput } from '../../app/as-of.ts';
import type { WriteOutcome } from '../../app/group-commit.ts';
import type { IdempotencyClaim, LedgerInfo } from '../../app/ports.ts';
import { naturalClaim, type WriteRequest } from '../../app/write-request.ts';
import type { Command } from '../../domain/commands.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { NO_LEDGER } from '../../domain/decide.ts';
import { isRejection, type Rejection } from '../../domain/rejection.ts';
import { parsePlainDate, parseTimestamp } from '../../domain/time.ts';
import type { AppEnv } from './env.ts';
import { jsonAnswer } from './json-answer.ts';
import { pageSizeOr } from './limits.ts';
import { requestHeader } from './node-request.ts';
import { ProblemError } from './problem.ts';
import { presentAsOf } from './presenters.ts';
import { ENTITY_ID_PATTERN } from './schemas.ts';

type Ctx = Context<AppEnv>;

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * Runs a write through group commit. Idempotent by the command's natural id and by the
 * `Idempotency-Key` header, scoped to the operation; `request` is what a retry must repeat.
 */
export async function runWrite(c: Ctx, ledgerId: string, operation: string, command: Command, request: unknown) {
  const outcome: WriteOutcome = await c.get('deps').committer.submit(ledgerId, writeRequest(c, command, request, headerClaims(c, operation)));
  if (isRejection(outcome)) throw problemOfWrite(ledgerId, outcome);
  return outcome;
}

/** The `Idempotency-Key` header as a claim scoped to the operation (and to an item of a batch), or none. */
export function headerClaims(c: Ctx, operation: string, item?: number): IdempotencyClaim[] {
  const header = requestHeader(c, 'idempotency-key');
  if (header === undefined) return [];
  if (!IDEMPOTENCY_KEY.test(header)) {
    throw new ProblemError('VALIDATION_FAILED', 'Idempotency-Key is 1 to 255 visible ASCII characters.', [{ path: 'Idempotency-Key', message: 'invalid' }]);
  }
  return [{ scope: `header:${operation}`, key: item === undefined ? header : `${header}#${item}` }];
}

/** A refused write's problem; a missing ledger is answered as reads answer it, by its id. */
export function problemOfWrite(ledgerId: string, rejection: Rejection): ProblemError {
  return rejection === NO_LEDGER ? missingLedger(ledgerId) : ProblemError.of(rejection);
}

export const missingLedger = (ledgerId: string) => new ProblemError('NOT_FOUND', `Ledger ${ledgerId} does not exist.`);

/** A write as the use cases take it, from the calling key and request: idempotent by the command's natural id and `extraClaims`. */
export function writeRequest(c: Ctx, command: Command, request: unknown, extraClaims: readonly IdempotencyClaim[] = []): WriteRequest {
  const natural = naturalClaim(command);
  return {
    command, claims: [...(natural ? [natural] : []), ...extraClaims], request, actor: c.get('key')!.keyId, requestId: c.get('requestId'),
  };
}

/** 201 with the resource, or 200 with `Idempotent-Replayed: true` for a replay. */
export function written(c: Ctx, outcome: { events: readonly RecordedEvent[]; replayed: boolean }, body: object): Response {
  return outcome.replayed ? jsonAnswer(c, body, 200, { 'idempotent-replayed': 'true' }) : jsonAnswer(c, body, 201);
}

/** The ledger, or 404. */
export async function ledgerOr404(c: Ctx, ledgerId: string): Promise<LedgerInfo> {
  const ledger = await c.get('deps').store.ledger(ledgerId);
  if (!ledger) throw missingLedger(ledgerId);
  return ledger;
}

/** The read coordinates of a query string, already validated by its zod schema. */
export function asOfInput(query: { recordedAsOf?: string | undefined; recordedAsOfPosition?: string | undefined; effectiveAsOf?: string | undefined }): AsOfInput {
  const effective = query.effectiveAsOf;
  return {
    recordedAsOf: query.recordedAsOf === undefined ? undefined : parseTimestamp(query.recordedAsOf),
    recordedAsOfPosition: query.recordedAsOfPosition === undefined ? undefined : Number(query.recordedAsOfPosition),
    effectiveAsOf: effective === undefined ? undefined : parsePlainDate(effective) ? { date: effective } : parseTimestamp(effective),
  };
}

/** Resolves a read's coordinates on a ledger; a cursor pins the position its first page was read at. */
export async function asOfOr400(c: Ctx, ledger: LedgerInfo, input: AsOfInput): Promise<AsOf> {
  const asOf = await resolveAsOf(c.get('deps').store, ledger.ledgerId, ledger.timezone, input);
  if (isRejection(asOf)) throw ProblemError.of(asOf);
  return asOf;
}

interface Cursor<Key> {
  readonly position: number;
  readonly effectiveAsOf: string;
  readonly after: Key;
}

function encodeCursor(cursor: Cursor<unknown>): string {
  return Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');
}

/** A cursor this service gave, whose `after` the list's own `parseKey` accepts. */
function decodeCursor<Key>(text: string | undefined, parseKey: (raw: unknown) => Key | undefined): Cursor<Key> | undefined {
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Cursor<unknown>;
    const after = parseKey(value.after);
    if (Number.isSafeInteger(value.position) && value.position >= 0 && parseTimestamp(String(value.effectiveAsOf)) !== undefined && after !== undefined) {
      return { ...value, after };
    }
  } catch {
    // falls through to the problem below
  }
  throw new ProblemError('VALIDATION_FAILED', 'The cursor is not one this service gave.', [{ path: 'cursor', message: 'invalid' }]);
}

/** Cursor keys of the lists: an account id, or a log position. */
export const accountIdKey = (raw: unknown) => (typeof raw === 'string' && ENTITY_ID_PATTERN.test(raw) ? raw : undefined);
export const positionKey = (raw: unknown) => (Number.isSafeInteger(raw) && (raw as number) >= 0 ? (raw as number) : undefined);

type PageQuery = Parameters<typeof asOfInput>[0] & { cursor?: string | undefined; limit?: string | undefined };

/**
 * One page of a list, `{items, nextCursor, asOf}`. The first page resolves the query's
 * coordinates; its cursor pins that position and effective time for every later page, and
 * carries the key of the last row (an account id, or a log position).
 */
export async function readPage<Row, Key, Out>(
  c: Ctx,
  ledger: LedgerInfo,
  query: PageQuery,
  page: {
    parseKey: (raw: unknown) => Key | undefined;
    fetch: (asOf: AsOf, after: Key | undefined, limit: number) => Promise<readonly Row[]>;
    /** The key of a row as the cursor carries it: what `parseKey` reads back. */
    keyOf: (row: Row) => unknown;
    present: (row: Row, asOf: AsOf) => Out;
  },
) {
  const cursor = decodeCursor(query.cursor, page.parseKey);
  const input = cursor ? { recordedAsOfPosition: cursor.position, effectiveAsOf: parseTimestamp(cursor.effectiveAsOf) } : asOfInput(query);
  const asOf = await asOfOr400(c, ledger, input);
  const limit = pageSizeOr(query.limit, c.get('limits'));
  const rows = await page.fetch(asOf, cursor?.after, limit + 1);
  const last = rows.length > limit ? rows[limit - 1] : undefined;
  const shown = presentAsOf(asOf);
  return {
    items: rows.slice(0, limit).map((row) => page.present(row, asOf)),
    nextCursor: last === undefined ? null : encodeCursor({ position: asOf.position, effectiveAsOf: shown.effectiveAt, after: page.keyOf(last) }),
    asOf: shown,
  };
}
