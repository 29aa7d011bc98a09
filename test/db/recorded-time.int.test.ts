import { expect, it } from 'vitest';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { transactionInput } from '../../src/adapters/http/routes/transactions.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { formatInstant } from '../../src/domain/time.ts';
import { describeOnEachDatabase, transfer } from '../support/http.ts';

// Issue 3, acceptance 4: reads stay exact when recordedAsOf lands between two commits recorded
// in the same millisecond. Recorded time is kept in microseconds end to end, and R resolves to
// a position by comparing microseconds, so the test takes the two closest commits of a run of
// writes (a few milliseconds apart here; commits cost that much) and asks at every microsecond
// that matters: just before the first, at it, just before the second, at it.

describeOnEachDatabase('recordedAsOf between two close commits', (api) => {
  it('resolves to exactly the commits recorded at or before it, to the microsecond', async () => {
    const ledgerId = await api.seedLedger();
    // Straight to the group committer, one commit at a time: HTTP would space them further.
    const committer = new GroupCommitter(createLedgerStore(api.database.db));
    const writes: { position: number; recordedAt: bigint }[] = [];
    for (let i = 0; i < 60; i++) {
      const id = `t${i}`;
      const transaction = transactionInput(transfer(id, '2026-03-01T00:00:00Z', 'bank', 'alice', '1.00') as never, id);
      const outcome = await committer.submit(ledgerId, { command: { type: 'RecordTransaction', transaction }, claims: [], request: {}, actor: 'test', requestId: id });
      if (isRejection(outcome)) throw new Error(outcome.detail);
      writes.push({ position: outcome.events[0]!.position, recordedAt: outcome.events[0]!.recordedAt });
    }
    const closest = writes.slice(1).reduce((best, w, i) => (w.recordedAt - writes[i]!.recordedAt < best.gap ? { gap: w.recordedAt - writes[i]!.recordedAt, i } : best), { gap: 1n << 62n, i: 0 });
    const first = writes[closest.i]!;
    const second = writes[closest.i + 1]!;
    expect(second.recordedAt).toBeGreaterThan(first.recordedAt);

    const asOf = async (recordedAsOf: bigint) => {
      const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-02&recordedAsOf=${encodeURIComponent(formatInstant(recordedAsOf))}`);
      expect(answer.status, answer.text).toBe(200);
      return [answer.body.asOf.position, answer.body.ledgerBalance];
    };
    const balanceThrough = (index: number) => `${index + 1}.00`;
    expect(await asOf(first.recordedAt - 1n)).toEqual([first.position - 1, `${closest.i}.00`]);
    expect(await asOf(first.recordedAt)).toEqual([first.position, balanceThrough(closest.i)]);
    expect(await asOf((first.recordedAt + second.recordedAt) / 2n)).toEqual([first.position, balanceThrough(closest.i)]);
    expect(await asOf(second.recordedAt - 1n)).toEqual([first.position, balanceThrough(closest.i)]);
    expect(await asOf(second.recordedAt)).toEqual([second.position, balanceThrough(closest.i + 1)]);
  });
});
