import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { GENESIS_HASH, hashEvent, hashedJson } from '../../src/app/hash-chain.ts';
import { canonicalJson } from '../../src/domain/canonical-json.ts';
import type { LedgerEvent, RecordedEvent } from '../../src/domain/events.ts';
import { formatInstant } from '../../src/domain/time.ts';

/** docs/hash-chain.md as written: SHA-256 of the canonical JSON of the event's eight members, through a Hash object. */
function reference(e: Omit<RecordedEvent, 'hash'>): { json: string; hash: string } {
  const json = canonicalJson({
    ledgerId: e.ledgerId, position: e.position, type: e.event.type, recordedAt: formatInstant(e.recordedAt),
    actor: e.actor, requestId: e.requestId, data: e.event.data, prevHash: e.prevHash,
  });
  return { json, hash: createHash('sha256').update(json, 'utf8').digest('hex') };
}

const text = fc.string({ unit: 'grapheme', maxLength: 12 });

describe('hashEvent', () => {
  it('hashes the canonical JSON of the event that docs/hash-chain.md describes, for any data, text and position', () => {
    const event = fc.record({
      ledgerId: text, recordedAt: fc.bigInt({ min: 0n, max: 253_402_300_799_999_999n }), position: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }), actor: text, requestId: text,
      prevHash: fc.oneof(fc.constant(GENESIS_HASH), fc.stringMatching(/^[0-9a-f]{64}$/)),
      type: fc.constantFrom('TransactionRecorded', 'AccountOpened', 'LedgerCreated'),
      data: fc.dictionary(text, fc.jsonValue({ maxDepth: 3 }), { maxKeys: 8 }),
    });
    fc.assert(fc.property(event, (e) => {
      const recorded = { ledgerId: e.ledgerId, position: e.position, recordedAt: e.recordedAt, actor: e.actor, requestId: e.requestId, prevHash: e.prevHash, event: { type: e.type, data: e.data } as unknown as LedgerEvent };
      const expected = reference(recorded);
      expect(hashedJson(recorded)).toBe(expected.json);
      expect(hashEvent(recorded)).toBe(expected.hash);
    }), { numRuns: 1000 });
  });
});
