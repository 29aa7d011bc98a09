import { createHash } from 'node:crypto';
import { canonicalJson } from '../../domain/canonical-json.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant } from '../../domain/time.ts';

/** The hash that precedes position 1: 64 zeros. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * SHA-256 (lowercase hex) of the UTF-8 canonical JSON of the event with its previous hash.
 * docs/hash-chain.md describes this exactly, for independent verifiers.
 */
export function hashEvent(event: Omit<RecordedEvent, 'hash'>): string {
  const encoded = canonicalJson({
    ledgerId: event.ledgerId,
    position: event.position,
    type: event.event.type,
    recordedAt: formatInstant(event.recordedAt),
    actor: event.actor,
    requestId: event.requestId,
    data: event.event.data,
    prevHash: event.prevHash,
  });
  return createHash('sha256').update(encoded, 'utf8').digest('hex');
}
