import type { LedgerEvent, RecordedEvent } from '../domain/events.ts';
import { formatInstant, parseTimestamp } from '../domain/time.ts';

/** An event as the feed and `npm run export` write it (one NDJSON line), checked for what the hash covers. */
export function eventFromFeedJson(line: string): RecordedEvent {
  return eventFromFeed(JSON.parse(line) as Record<string, unknown>);
}

/** An event of the feed, parsed from its JSON already, checked for what the hash covers. */
export function eventFromFeed(e: Readonly<Record<string, unknown>>): RecordedEvent {
  const recordedAt = typeof e.recordedAt === 'string' ? parseTimestamp(e.recordedAt) : undefined;
  if (recordedAt === undefined) throw new Error('no valid recordedAt');
  // The hash covers recordedAt as the API writes it: another spelling of the same instant is not that text.
  if (formatInstant(recordedAt) !== e.recordedAt) throw new Error('recordedAt is not written as the API writes it');
  if (!Number.isSafeInteger(e.position)) throw new Error('position is not a JSON integer');
  return {
    ledgerId: String(e.ledgerId), position: Number(e.position), recordedAt, actor: String(e.actor), requestId: String(e.requestId),
    prevHash: String(e.prevHash), hash: String(e.hash), event: { type: e.type, data: e.data } as LedgerEvent,
  };
}
