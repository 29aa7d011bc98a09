import type { IdempotencyRecord, PendingEvent, RejectionRecord } from '../../app/ports.ts';
import { commandToJson } from '../../app/command-json.ts';
import { hashEvent } from '../../app/hash-chain.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant, type Instant } from '../../domain/time.ts';
import type { RowsByTable } from './append-sql.ts';
import { emptyProjectionRows, project } from './projection.ts';

const toTimestamp = (t: Instant) => formatInstant(t);

/** Every row an append writes: events, projections, idempotency records and rejections. */
export function appendRows(ledgerId: string, recordedAt: Instant, events: RecordedEvent[], records: readonly IdempotencyRecord[], rejections: readonly RejectionRecord[]): RowsByTable {
  return {
    rejections: rejections.map((r) => ({
      ledger_id: ledgerId, position: r.position, recorded_at: toTimestamp(recordedAt), code: r.rejection.code, detail: r.rejection.detail,
      errors: r.rejection.errors ?? [], actor: r.actor, request_id: r.requestId, commands: r.commands.map(commandToJson),
    })),
    events: events.map(toEventRow),
    ...events.reduce(project, emptyProjectionRows()),
    idempotency_keys: records.map((r) => ({
      ledger_id: ledgerId, scope: r.scope, key: r.key, request: r.request, first_position: r.firstPosition, last_position: r.lastPosition,
    })),
  };
}

/** An event as the `events` table holds it. */
export function toEventRow(e: RecordedEvent): Record<string, unknown> {
  return {
    ledger_id: e.ledgerId, position: e.position, type: e.event.type, recorded_at: toTimestamp(e.recordedAt), actor: e.actor,
    request_id: e.requestId, data: e.event.data, prev_hash: e.prevHash, hash: e.hash,
  };
}

/** Gives each pending event its position, the commit's recorded time and its link in the hash chain. */
export function chain(ledgerId: string, headPosition: number, headHash: string, recordedAt: Instant, pending: readonly PendingEvent[]): RecordedEvent[] {
  const recorded: RecordedEvent[] = [];
  let prevHash = headHash;
  for (const [index, p] of pending.entries()) {
    const unhashed = { ledgerId, position: headPosition + index + 1, recordedAt, actor: p.actor, requestId: p.requestId, prevHash, event: p.event };
    const hash = hashEvent(unhashed);
    recorded.push({ ...unhashed, hash });
    prevHash = hash;
  }
  return recorded;
}
