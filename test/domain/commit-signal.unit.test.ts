import { describe, expect, it } from 'vitest';
import { CommitSignal } from '../../src/app/commit-signal.ts';

// The event stream waits on CommitSignal for its ledger's next commit in this process, with its
// poll interval as the bound: a commit wakes it at once, and nothing is left waiting afterwards.

const waiters = (signal: CommitSignal) => (signal as unknown as { waiting: Map<string, Set<unknown>> }).waiting;

describe('CommitSignal', () => {
  it('wakes the waiters of the committed ledger at once, and only those', async () => {
    const signal = new CommitSignal();
    const woken: string[] = [];
    const a1 = signal.next('a', 60_000).then(() => woken.push('a1'));
    const a2 = signal.next('a', 60_000).then(() => woken.push('a2'));
    const b = signal.next('b', 60_000).then(() => woken.push('b'));
    signal.notify('a');
    await Promise.all([a1, a2]);
    expect(woken.sort()).toEqual(['a1', 'a2']);
    expect([...waiters(signal).keys()]).toEqual(['b']);
    signal.notify('b');
    await b;
    expect(waiters(signal).size).toBe(0);
  });

  it('resolves after its bound with no commit, and at once when aborted, leaving nothing behind', async () => {
    const signal = new CommitSignal();
    const started = performance.now();
    await signal.next('a', 20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    const ended = new AbortController();
    const waiting = signal.next('a', 60_000, ended.signal);
    ended.abort();
    await waiting;
    await signal.next('a', 60_000, ended.signal); // already aborted: at once
    expect(waiters(signal).size).toBe(0);
  });
});
