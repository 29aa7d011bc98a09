import * as crypto from 'node:crypto';
import { canonicalJson } from '../domain/canonical-json.ts';
import type { RecordedEvent } from '../domain/events.ts';
import { formatInstant } from '../domain/time.ts';

/** The hash that precedes position 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 in lowercase hex of a string's UTF-8: Node's one-shot `hash` where there is one (half
 * the CPU of a Hash object for an event's few hundred bytes), else a Hash object.
 */
const sha256Hex: (text: string) => string = typeof crypto.hash === 'function'
  ? (text) => crypto.hash('sha256', text, 'hex')
  : (text) => crypto.createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * SHA-256 (lowercase hex) of the UTF-8 canonical JSON of the event with its previous hash.
 * docs/hash-chain.md describes this exactly, for independent verifiers.
 */
export function hashEvent(event: Omit<RecordedEvent, 'hash'>): string {
  return sha256Hex(hashedJson(event));
}

/**
 * The canonical JSON that `hashEvent` hashes: `canonicalJson` of { ledgerId, position, type,
 * recordedAt, actor, requestId, data, prevHash }, written here with its keys in their sorted
 * order (every member is a string or a number, never undefined), so that only `data` is sorted.
 */
export function hashedJson(event: Omit<RecordedEvent, 'hash'>): string {
  const json = JSON.stringify;
  return `{"actor":${json(event.actor)},"data":${canonicalJson(event.event.data)},"ledgerId":${json(event.ledgerId)},"position":${json(event.position)},`
    + `"prevHash":${json(event.prevHash)},"recordedAt":${json(formatInstant(event.recordedAt))},"requestId":${json(event.requestId)},"type":${json(event.event.type)}}`;
}

/** Where a check of the chain stands: the last event that checked out. */
export interface ChainCursor {
  readonly position: number;
  readonly hash: string;
}

export const CHAIN_START: ChainCursor = { position: 0, hash: GENESIS_HASH };

/**
 * Checks the next events of a ledger's log against the chain so far: positions follow each other,
 * each `prevHash` is the previous `hash`, and each `hash` is the event's own. Answers the cursor
 * after the last good event, and the first bad position if there is one.
 */
export function checkChain(from: ChainCursor, events: Iterable<RecordedEvent>): { cursor: ChainCursor; firstBadPosition: number | null } {
  let cursor = from;
  for (const event of events) {
    const expected = cursor.position + 1;
    if (event.position !== expected || event.prevHash !== cursor.hash || hashEvent(event) !== event.hash) {
      return { cursor, firstBadPosition: expected };
    }
    cursor = { position: event.position, hash: event.hash };
  }
  return { cursor, firstBadPosition: null };
}
