import type { RecordedEvent } from '../domain/events.ts';
import { isRejection, type Rejection } from '../domain/rejection.ts';
import { CommitSignal } from './commit-signal.ts';
import { decideBatch, type WriteUnit } from './decide-batch.ts';
import type { LedgerStore } from './ports.ts';
import { needsOf, type WriteRequest } from './write-request.ts';

/** The events a write recorded, or, for a replay, the ones its first attempt recorded. */
export type WriteOutcome = { readonly events: readonly RecordedEvent[]; readonly replayed: boolean } | Rejection;

interface Waiting {
  readonly unit: WriteUnit;
  readonly resolve: (outcomes: WriteOutcome[]) => void;
  readonly fail: (error: unknown) => void;
}

/** Writes taken into one commit, at most; an atomic batch larger than this still commits whole. */
export const MAX_GROUP = 1000;
/** The longest a commit waits for the writers of the one before to come back (`gather`). */
export const MAX_GATHER_MS = 4;

/** A drain waiting for its ledger's queue to hold `target` writes. */
interface Gathering {
  readonly target: number;
  /** Writes in the queue now: counted as they come, not summed again at each. */
  queued: number;
  readonly resolve: () => void;
}

const requestsIn = (queue: readonly Waiting[]) => queue.reduce((n, w) => n + w.unit.requests.length, 0);

/**
 * Group commit: writes to one ledger queue up while a commit is in flight, and the next commit
 * takes them all (up to MAX_GROUP) in one database transaction: when the commit before has
 * finished (with `overlapCommits`, once the writers it answered have had a moment to write
 * again: `drain`), or, with `overlapCommits`, as soon as it has decided under the lock (the next
 * then waits in the database for the ledger's lock while that one appends and commits). Across
 * processes, the ledger's append lock in the database serializes commits.
 */
export class GroupCommitter {
  private readonly queues = new Map<string, Waiting[]>();
  private readonly gatherings = new Map<string, Gathering>();
  private readonly store: LedgerStore;
  private readonly isUnavailable: (error: unknown) => boolean;
  private readonly overlapCommits: boolean;
  private readonly onCommitted: (ledgerId: string, recorded: readonly RecordedEvent[]) => void;
  /** Each commit of this process, for the event stream to wait on (`nextCommit`). */
  private readonly commits = new CommitSignal();

  /**
   * `isUnavailable` tells an error that says the database is gone (a lost or refused connection):
   * a group that fails so fails whole, with every write queued behind it, since trying them one
   * by one would only fail again, each after the other. `overlapCommits` takes the next group
   * while the one before appends and commits: for a database of several connections, where the
   * next load can wait for the lock in the database (on one connection it would only make the
   * groups smaller). `onCommitted` hears of each commit's events (the projector).
   */
  constructor(store: LedgerStore, options: {
    isUnavailable?: (error: unknown) => boolean; overlapCommits?: boolean; onCommitted?: (ledgerId: string, recorded: readonly RecordedEvent[]) => void;
  } = {}) {
    this.store = store;
    this.isUnavailable = options.isUnavailable ?? (() => false);
    this.overlapCommits = options.overlapCommits ?? false;
    this.onCommitted = options.onCommitted ?? (() => {});
  }

  /** Resolves at the ledger's next commit through this committer, after `ms` at the latest, or when `signal` aborts. */
  nextCommit(ledgerId: string, ms: number, signal?: AbortSignal): Promise<void> {
    return this.commits.next(ledgerId, ms, signal);
  }

  async submit(ledgerId: string, request: WriteRequest): Promise<WriteOutcome> {
    return (await this.submitAtomic(ledgerId, [request]))[0]!;
  }

  /** Writes recorded all in one commit, or none of them: each gets its outcome. */
  submitAtomic(ledgerId: string, requests: readonly WriteRequest[]): Promise<WriteOutcome[]> {
    return new Promise<WriteOutcome[]>((resolve, fail) => {
      const waiting = { unit: { requests }, resolve, fail };
      const queue = this.queues.get(ledgerId);
      if (queue) {
        queue.push(waiting);
        const gathering = this.gatherings.get(ledgerId);
        if (gathering && (gathering.queued += waiting.unit.requests.length) >= gathering.target) gathering.resolve();
        return;
      }
      this.queues.set(ledgerId, [waiting]);
      queueMicrotask(() => void this.drain(ledgerId));
    });
  }

  /**
   * Commits the ledger's queue, group after group. Writers whose commit was just answered tend to
   * send their next write at once: when a commit was answered to several, the next group waits
   * for them (`gather`), so that the writers of the ledger keep coming in one group, not in two
   * that take turns (16 writers made groups of 8: each group's writers came back while the other
   * group's commit was on its way). The wait is for the writers the last commit answered, for
   * at most half that commit's time (and MAX_GATHER_MS): a ledger with one writer is never held,
   * and the wait costs the group less than the commit its writers would otherwise wait for. With
   * `overlapCommits` only (PostgreSQL's pool).
   */
  private async drain(ledgerId: string): Promise<void> {
    let previous: Promise<void> = Promise.resolve();
    /** Writes expected in the queue soon: those of the commit just answered and those that waited for it. */
    let expected = 0;
    let gatherMs = 0;
    for (;;) {
      if (expected > 1) await this.gather(ledgerId, expected, gatherMs);
      const queue = this.queues.get(ledgerId) ?? [];
      if (queue.length === 0) {
        this.queues.delete(ledgerId);
        return;
      }
      let size = queue[0]!.unit.requests.length;
      let take = 1;
      while (take < queue.length && size + queue[take]!.unit.requests.length <= MAX_GROUP) size += queue[take++]!.unit.requests.length;
      const group = queue.splice(0, take);
      if (!this.overlapCommits) {
        // One connection (PGlite): commits take turns with the projector's steps, and a wait for
        // the writers measured 245-1,128 tx/s against 775-927 without: not done there.
        await this.commitGroup(ledgerId, group);
        continue;
      }
      const startedMs = performance.now();
      let handOff!: () => void;
      const decided = new Promise<void>((resolve) => (handOff = resolve));
      const committed = this.commitGroup(ledgerId, group, handOff);
      // The next group is taken once this one has decided under the lock, with only its append
      // and commit left: the next load then waits for the lock in the database and starts the
      // moment this commit releases it, instead of a round trip later. Two groups of a ledger
      // are in flight at most: the next waits for the one before this to finish.
      const answered = await Promise.race([decided.then(() => false), committed.then(() => true)]);
      await previous;
      previous = committed;
      if (!answered) {
        expected = 0; // its writers are not answered yet: nobody to wait for
        continue;
      }
      expected = Math.min(MAX_GROUP, size + requestsIn(this.queues.get(ledgerId) ?? []));
      gatherMs = Math.min(MAX_GATHER_MS, (performance.now() - startedMs) / 2);
    }
  }

  /** Resolves once the ledger's queue holds `target` writes, or after `ms`. The queue stays (empty or not), so that writes join it. */
  private gather(ledgerId: string, target: number, ms: number): Promise<void> {
    const queue = this.queues.get(ledgerId);
    const queued = queue ? requestsIn(queue) : 0;
    if (!queue || queued >= target) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      const gatherings = this.gatherings;
      function done() {
        clearTimeout(timer);
        gatherings.delete(ledgerId);
        resolve();
      }
      this.gatherings.set(ledgerId, { target, queued, resolve: done });
    });
  }

  /** Commits a group; `onDecided` is called once no more is to be decided for it here (first try). */
  private async commitGroup(ledgerId: string, group: Waiting[], onDecided?: () => void): Promise<void> {
    try {
      const outcomes = await this.commit(ledgerId, group.map((w) => w.unit), onDecided);
      group.forEach((w, i) => w.resolve(outcomes[i]!));
    } catch (error) {
      onDecided?.();
      if (this.isUnavailable(error)) {
        // The database cannot answer: the writes waiting behind this group would only fail
        // after it, one commit at a time. They fail now, and their clients retry.
        const waiting = this.queues.get(ledgerId)?.splice(0) ?? [];
        for (const w of [...group, ...waiting]) w.fail(error);
        return;
      }
      if (group.length === 1) {
        group[0]!.fail(error);
        return;
      }
      // One write must not sink the others: retry them one commit each.
      for (const w of group) await this.commitGroup(ledgerId, [w]);
    }
  }

  private async commit(ledgerId: string, units: readonly WriteUnit[], onDecided?: () => void): Promise<WriteOutcome[][]> {
    const requests = units.flatMap((u) => u.requests);
    const { result, recorded } = await this.store.write(ledgerId, needsOf(requests), (input) => decideBatch(units, input), onDecided);
    this.onCommitted(ledgerId, recorded);
    this.commits.notify(ledgerId);
    const byPosition = new Map(recorded.map((e) => [e.position, e]));
    for (const outcome of result.flat()) {
      if (isRejection(outcome) || byPosition.has(outcome.firstPosition)) continue;
      // A replay of a write committed earlier: its events are immutable, read them back.
      for (const e of await this.store.eventsBetween(ledgerId, outcome.firstPosition, outcome.lastPosition)) byPosition.set(e.position, e);
    }
    return result.map((outcomes) => outcomes.map((outcome): WriteOutcome => {
      if (isRejection(outcome)) return outcome;
      const events: RecordedEvent[] = [];
      for (let p = outcome.firstPosition; p <= outcome.lastPosition; p++) events.push(byPosition.get(p)!);
      return { events, replayed: outcome.kind === 'replayed' };
    }));
  }
}
