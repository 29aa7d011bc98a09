import { sql } from 'kysely';
import type { BatchInput, BatchOutput, StateNeeds } from '../../app/ports.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp } from '../../domain/time.ts';
import { appendRows, chain } from './append-rows.ts';
import { insertRowsStatement, writeRows } from './append-sql.ts';
import type { Db } from './database.ts';
import { RecordedClock } from './recorded-clock.ts';
import { WriteCache, type Head } from './write-cache.ts';

/** The SQLSTATEs of `ledger_append_check` (sql/functions/ledger_append_check.sql), and a unique key taken. */
const TOO_LATE = 'LA003';
const CLAIMED = 'LA004';
const NOT_CURRENT = new Set(['LA001', 'LA002', 'LA003', 'LA004', '23505']);
/** Tries of one batch whose recorded time was past when the lock came, before it goes the slow way. */
const TRIES = 3;
/**
 * Batches naming this many transactions or more take the lock first (`appendLocked`): deciding,
 * hashing and sending a thousand of them takes longer than any lead a recorded time chosen
 * beforehand should have.
 */
export const LOCK_FIRST_FROM = 64;

class NotPlain extends Error {}

const errorField = (error: unknown, field: 'code' | 'detail'): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)[field] === 'string' ? (error as Record<string, string>)[field] : undefined;

type Appended<T> = { result: T; recorded: RecordedEvent[] };

/**
 * Appends in one round trip (docs/architecture.md#the-write-path): a batch whose decisions need
 * only what the process knows of the ledger (`WriteCache`) is decided, hashed and given its
 * recorded time (`RecordedClock`) before the ledger's lock is taken, and sent as one statement
 * that takes the lock, checks that the ledger is as the process knew it, and inserts every row.
 * The appends of one ledger take turns in the process (`inTurn`), each after the one before has
 * committed or failed, so each is decided on what the one before left; the group committer takes
 * the next group when one is done (it is not told of the decision), so that the group holds every
 * write that came while this one was on its way. `append` answers null when
 * the batch needs the slow way: something to load, or a check that failed (nothing was recorded).
 */
export class OneTripAppender {
  readonly cache = new WriteCache();
  /**
   * Appends by outcome: `oneTrip`, `locked` (a large batch), `unknown` (something to load), the
   * SQLSTATE of a failed check, or `error` (the database failed or was lost: it may have committed).
   */
  readonly outcomes: Record<string, number> = {};
  private readonly clock = new RecordedClock();
  private readonly db: Db;
  private readonly turns = new Map<string, Promise<unknown>>();

  private readonly copy: boolean;
  private readonly decideUnderLock: boolean;

  /**
   * `copy`: large appends go as COPY FROM STDIN (the PostgreSQL dialect only). `decideUnderLock`:
   * every append takes the lock before it is decided (`appendLocked`), as large ones do.
   */
  constructor(db: Db, options: { copy: boolean; decideUnderLock: boolean }) {
    this.db = db;
    this.copy = options.copy;
    this.decideUnderLock = options.decideUnderLock;
  }

  /** Runs `append` once the ledger's appends before it in this process are done. */
  async inTurn<R>(ledgerId: string, append: () => Promise<R>): Promise<R> {
    const before = this.turns.get(ledgerId) ?? Promise.resolve();
    const mine = before.then(append, append);
    const done = mine.catch(() => undefined);
    this.turns.set(ledgerId, done);
    void done.then(() => {
      if (this.turns.get(ledgerId) === done) this.turns.delete(ledgerId);
    });
    return mine;
  }

  async append<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>): Promise<Appended<T> | null> {
    if (this.decideUnderLock || needs.transactionIds.length >= LOCK_FIRST_FROM) return this.appendLocked(ledgerId, needs, decideBatch);
    for (let tries = 1; ; tries++) {
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
      const head: Head = last ? { position: last.position, hash: last.hash, recordedAt } : before;
      try {
        if (statement) {
          const { rows } = await statement.execute(this.db);
          this.clock.observe(chosenAt, parseDbTimestamp((rows[0] as { checked: string }).checked), false);
        }
        this.cache.committed(known, state, output.events.map((e) => e.event), head);
        return this.count('oneTrip', { result: output.result, recorded });
      } catch (error) {
        const code = this.failed(ledgerId, error);
        if (code === TOO_LATE) {
          this.clock.observe(chosenAt, parseDbTimestamp(errorField(error, 'detail')!), true);
          if (tries < TRIES) continue; // nothing was recorded and the ledger is as known: decide again, later
        }
        return null;
      }
    }
  }

  /**
   * A batch whose decisions need only what is known, large or on PGlite (`decideUnderLock`): the
   * lock and the check first (the recorded time is then the database's), then the decisions, and
   * the rows in the same transaction (as COPY when it may). Its lock is held while the process
   * decides, which costs less than a recorded time chosen too early and decided again. A batch
   * whose events are not all transactions is rolled back and goes the slow way.
   */
  private async appendLocked<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>): Promise<Appended<T> | null> {
    const found = this.cache.stateFor(ledgerId, needs);
    if (!found) return this.count('unknown', null);
    const { known, state } = found;
    const before = known.head;
    try {
      const appended = await this.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ checked: string }>`select ledger_append_check(${ledgerId}, ${before.position}::bigint, ${before.hash},
          null, ${JSON.stringify(needs.claims)}::text::jsonb)::text as checked`.execute(trx);
        const recordedAt = parseDbTimestamp(rows[0]!.checked);
        const output = decideBatch({ state, headPosition: before.position, recordedAt, records: [] });
        if (output.events.some((e) => e.event.type !== 'TransactionRecorded')) throw new NotPlain();
        const recorded = chain(ledgerId, before.position, before.hash, recordedAt, output.events);
        await writeRows(trx, appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), this.copy);
        return { output, recorded, recordedAt };
      });
      const { output, recorded, recordedAt } = appended;
      const last = recorded.at(-1);
      this.cache.committed(known, state, output.events.map((e) => e.event), last ? { position: last.position, hash: last.hash, recordedAt } : before);
      return this.count('locked', { result: output.result, recorded });
    } catch (error) {
      if (error instanceof NotPlain) return this.count('unknown', null);
      this.failed(ledgerId, error);
      return null;
    }
  }

  /** After a failed append: its SQLSTATE, counted, if it recorded nothing (else it is thrown). */
  private failed(ledgerId: string, error: unknown): string {
    const code = errorField(error, 'code');
    if (code === undefined || !NOT_CURRENT.has(code)) {
      this.cache.forget(ledgerId); // it may have committed (a connection lost at the wrong time)
      this.count('error', null);
      throw error;
    }
    this.count(code, null);
    // A claim taken is a retry to replay, the slow way; nothing was recorded and the ledger is as
    // known when the recorded time was too late; else the ledger moved under what is known.
    if (code !== CLAIMED && code !== TOO_LATE) this.cache.forget(ledgerId);
    return code;
  }

  private count<R>(outcome: string, result: R): R {
    this.outcomes[outcome] = (this.outcomes[outcome] ?? 0) + 1;
    return result;
  }
}
