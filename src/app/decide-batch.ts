import { canonicalJson, differingPaths } from '../domain/canonical-json.ts';
import { decide } from '../domain/decide.ts';
import type { Command } from '../domain/commands.ts';
import { isBusinessRefusal, isRejection, reject, type Rejection } from '../domain/rejection.ts';
import { LedgerFold } from '../domain/state.ts';
import type { BatchInput, BatchOutput, IdempotencyRecord, PendingEvent, RejectionRecord } from './ports.ts';
import type { WriteRequest } from './write-request.ts';

/** What became of one request of a batch: the positions it recorded or replays, or its rejection. */
export type BatchOutcome =
  | { readonly kind: 'recorded'; readonly firstPosition: number; readonly lastPosition: number }
  | { readonly kind: 'replayed'; readonly firstPosition: number; readonly lastPosition: number }
  | Rejection;

const claimKey = (r: { scope: string; key: string }) => `${r.scope}\u0000${r.key}`;

/** Replays a retry of a recorded write, or names what the retry changed. */
function checkIdempotency(request: WriteRequest, records: ReadonlyMap<string, IdempotencyRecord>): BatchOutcome | null {
  for (const claim of request.claims) {
    const record = records.get(claimKey(claim));
    if (!record) continue;
    if (canonicalJson(record.request) === canonicalJson(request.request)) {
      return { kind: 'replayed', firstPosition: record.firstPosition, lastPosition: record.lastPosition };
    }
    const fields = differingPaths(record.request, request.request);
    return reject(
      'IDEMPOTENCY_CONFLICT',
      `${claim.scope === 'transaction' ? 'Transaction id' : 'Key'} ${claim.key} was used for a different request; differing fields: ${fields.join(', ')}.`,
      fields.map((path) => ({ path, message: 'differs from the original request' })),
    );
  }
  return null;
}

/** Writes that commit together or not at all: a single write, or the items of an atomic batch. */
export interface WriteUnit {
  readonly requests: readonly WriteRequest[];
}

/** An item of an atomic batch that was decided but not recorded, because another item was refused. */
function abortedBy(index: number, cause: Rejection): Rejection {
  return reject(cause.code, `Not recorded: item ${index} of the atomic batch was refused (${cause.detail})`, cause.errors?.map((e) => ({ ...e, path: `transactions.${index}.${e.path}` })));
}

/** The state after the batch's events so far: how a refused atomic unit is undone, as refusals are rare. */
function foldOf(input: BatchInput, events: readonly PendingEvent[]): LedgerFold {
  const fold = new LedgerFold(input.state);
  events.forEach(({ event }, i) => fold.add(event, { position: input.headPosition + i + 1, recordedAt: input.recordedAt }));
  return fold;
}

/**
 * Decides a batch of units in order against one evolving state: each write sees the events of
 * those before it; a unit with a refused write records none of its writes. Business refusals go
 * to the rejection log. Pure; the store runs it under the ledger's append lock.
 */
export function decideBatch(units: readonly WriteUnit[], input: BatchInput): BatchOutput<BatchOutcome[][]> {
  let fold = new LedgerFold(input.state);
  let position = input.headPosition;
  let records = new Map(input.records.map((r) => [claimKey(r), r]));
  const events: PendingEvent[] = [];
  const newRecords: IdempotencyRecord[] = [];
  const rejections: RejectionRecord[] = [];

  const decideOne = (request: WriteRequest): BatchOutcome => {
    const earlier = checkIdempotency(request, records);
    if (earlier) return earlier;
    const decision = decide(request.command, fold.state, { recordedAt: input.recordedAt });
    if (isRejection(decision)) return decision;
    const firstPosition = position + 1;
    for (const event of decision) {
      position += 1;
      fold.add(event, { position, recordedAt: input.recordedAt });
      events.push({ event, actor: request.actor, requestId: request.requestId });
    }
    for (const claim of request.claims) {
      const record = { ...claim, request: request.request, firstPosition, lastPosition: position };
      records.set(claimKey(claim), record);
      newRecords.push(record);
    }
    return { kind: 'recorded', firstPosition, lastPosition: position };
  };

  const result = units.map((unit) => {
    // Only a unit of several writes is ever rolled back: copy the records for it alone.
    const atomic = unit.requests.length > 1;
    const before = { position, events: events.length, newRecords: newRecords.length, records: atomic ? new Map(records) : records };
    const recordedCommands: Command[] = [];
    const outcomes: BatchOutcome[] = [];
    for (const request of unit.requests) {
      const outcome = decideOne(request);
      outcomes.push(outcome);
      if (!isRejection(outcome)) {
        if (outcome.kind === 'recorded') recordedCommands.push(request.command);
        continue;
      }
      if (isBusinessRefusal(outcome)) {
        rejections.push({ position: before.position, rejection: outcome, actor: request.actor, requestId: request.requestId, commands: [...recordedCommands, request.command] });
      }
      break;
    }
    const refused = outcomes.length - 1;
    if (!isRejection(outcomes[refused]) || !atomic) return outcomes;
    ({ position, records } = before);
    events.length = before.events;
    newRecords.length = before.newRecords;
    fold = foldOf(input, events);
    const cause = outcomes[refused];
    return unit.requests.map((_, i) => (i === refused ? cause : abortedBy(refused, cause)));
  });
  return { events, records: newRecords, rejections, result };
}
