import { sql } from 'kysely';
import type { BatchInput, BatchOutput, StateNeeds } from '../../app/ports.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp } from '../../domain/time.ts';
import { appendRows, chain } from './append-rows.ts';
import { insertRowsStatement } from './append-sql.ts';
import type { Db } from './database.ts';
import { RecordedClock } from './recorded-clock.ts';
import { WriteCache } from './write-cache.ts';

/** The SQLSTATEs of `ledger_append_check` (sql/functions/ledger_append_check.sql), and a unique key taken. */
const TOO_LATE = 'LA003';
/** Checks that failed with the ledger as this process knew it: its own append out of turn, a time too late, a claim taken. */
const AS_KNOWN = new Set(['LA001', 'LA003', 'LA004']);
const NOT_CURRENT = new Set([...AS_KNOWN, 'LA002', '23505']);

const errorField = (error: unknown, field: 'code' | 'detail'): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)[field] === 'string' ? (error as Record<string, string>)[field] : undefined;

type Appended<T> = { result: T; recorded: RecordedEvent[] };

/** An append sent out of turn (SQLSTATE LA001): the head was behind the one it was decided on. */
const BEHIND = Symbol('behind');

interface Sending<T> {
  readonly attempt: Promise<Appended<T> | null | typeof BEHIND>;
  readonly again: () => Promise<Appended<T> | null | typeof BEHIND>;
}

/** One ledger's appends in this process: whose turn it is to decide, and how the ones sent fared. */
interface Lane {
  /** Appends of the ledger in this process not done yet. */
  pending: number;
  /** Resolves when the append deciding now has been sent (or gone the slow way): the next may decide. */
  turn: Promise<void>;
  /** Resolves true once every append sent so far committed as sent; false if one did not. */
  sent: Promise<boolean>;
}

/**
 * Appends in one round trip (docs/architecture.md#the-write-path): a batch whose decisions need
 * only what the process knows of the ledger (`WriteCache`) is decided, hashed and given its
 * recorded time (`RecordedClock`) before the ledger's lock is taken, and sent as one statement
 * that takes the lock, checks that the ledger is as the process knew it, and inserts every row.
 * The appends of one ledger take turns to decide (`inTurn`), each on what the ones sent before
 * it leave if they commit; the next may decide and be sent while one is on its way, and waits
 * for the lock in the database. A batch that needs the slow way waits until every append sent
 * before it is done, and the next waits for it. When an append's check fails, nothing it sent
 * was recorded, and it and every append sent after it go the slow way, each once the ones before
 * it are done; the first of them reads the head again, and what the process knew stays if only
 * its own appends came since (else it is forgotten).
 */
export class OneTripAppender {
  readonly cache = new WriteCache();
  /** Appends by outcome: `oneTrip`, `unknown` (something to load), or the SQLSTATE of a failed check. */
  readonly outcomes: Record<string, number> = {};
  private readonly clock = new RecordedClock();
  private readonly db: Db;
  private readonly lanes = new Map<string, Lane>();

  constructor(db: Db) {
    this.db = db;
  }

  /**
   * Appends one batch: in one round trip if it can (`onDecided` then says that it is on its way),
   * else the slow way (`slow`), once every append sent before it is done.
   */
  async write<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, onDecided: (() => void) | undefined,
    slow: () => Promise<Appended<T>>): Promise<Appended<T>> {
    const lane = this.lanes.get(ledgerId) ?? { pending: 0, turn: Promise.resolve(), sent: Promise.resolve(true) };
    this.lanes.set(ledgerId, lane);
    lane.pending += 1;
    const myTurn = lane.turn;
    let release!: () => void;
    lane.turn = new Promise<void>((resolve) => (release = resolve));
    try {
      await myTurn;
      const sentBefore = lane.sent;
      const sending = this.send(ledgerId, needs, decideBatch);
      if (!sending) {
        await sentBefore;
        return await slow(); // the turn is held until it is done
      }
      let settle!: (committed: boolean) => void;
      lane.sent = Promise.all([sentBefore, new Promise<boolean>((resolve) => (settle = resolve))]).then(([a, b]) => a && b);
      release();
      onDecided?.();
      let outcome = await sending.attempt.catch((error: unknown) => {
        settle(false);
        throw error;
      });
      // Sent out of turn (it took the lock before an append of this process sent ahead of it): once
      // those have committed as sent, the same statement is still right, and goes again once.
      if (outcome === BEHIND && (await sentBefore)) outcome = await sending.again().catch((error: unknown) => {
        settle(false);
        throw error;
      });
      if (outcome === BEHIND) outcome = this.failed(ledgerId, 'LA001');
      settle(outcome !== null);
      if (outcome) return outcome;
      await sentBefore;
      return await slow();
    } finally {
      release();
      if (--lane.pending === 0) this.lanes.delete(ledgerId);
    }
  }

  /**
   * Decides the batch on what is known and sends it (`attempt`; `again` sends the same statement
   * again): null if something must be loaded.
   */
  private send<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>): Sending<T> | null {
    const found = this.cache.stateFor(ledgerId, needs);
    if (!found) return this.count('unknown', null);
    const { known, state } = found;
    const before = known.head;
    const { recordedAt, chosenAt } = this.clock.choose(before.recordedAt);
    const output = decideBatch({ state, headPosition: before.position, recordedAt, records: [] });
    // Only transactions are recorded this way: what is known then changes with nothing but the head.
    if (output.events.some((e) => e.event.type !== 'TransactionRecorded')) return this.count('unknown', null);
    const recorded = chain(ledgerId, before.position, before.hash, recordedAt, output.events);
    // The claims of every request are checked, also of those refused here: a retry of a write
    // recorded before is replayed, which only the slow way, loading the claims' records, can do.
    const statement = insertRowsStatement(appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), sql`ledger_append_check(
      ${ledgerId}, ${before.position}::bigint, ${before.hash}, ${formatInstant(recordedAt)}::timestamptz, ${JSON.stringify(needs.claims)}::text::jsonb)`);
    const last = recorded.at(-1);
    const head = last ? { position: last.position, hash: last.hash, recordedAt } : before;
    const appended = { result: output.result, recorded };
    if (!statement) return { attempt: Promise.resolve(this.count('oneTrip', appended)), again: () => Promise.resolve(appended) };
    // The head moves on now, for the next batch to be decided while this one is on its way.
    this.cache.sent(known, head);
    const run = (): Promise<Appended<T> | null | typeof BEHIND> => statement.execute(this.db).then(
      ({ rows }) => {
        this.clock.observe(chosenAt, parseDbTimestamp((rows[0] as { checked: string }).checked), false);
        this.cache.committed(known, head);
        return this.count('oneTrip', appended);
      },
      (error: unknown) => {
        const code = errorField(error, 'code');
        if (code === 'LA001') return this.count(code, BEHIND);
        if (code === TOO_LATE) this.clock.observe(chosenAt, parseDbTimestamp(errorField(error, 'detail')!), true);
        if (code !== undefined && NOT_CURRENT.has(code)) return this.failed(ledgerId, code);
        this.cache.forget(ledgerId); // it is not known whether this committed (a connection lost)
        throw error;
      },
    );
    return { attempt: run(), again: run };
  }

  /** A check that failed: what is known stays if it failed with the ledger as known, else it is forgotten. */
  private failed(ledgerId: string, code: string): null {
    if (AS_KNOWN.has(code)) this.cache.failed(ledgerId);
    else this.cache.forget(ledgerId);
    return this.count(code, null);
  }

  private count<R>(outcome: string, result: R): R {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    return result;
  }
}
