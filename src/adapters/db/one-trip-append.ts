import { sql } from 'kysely';
import type { BatchInput, BatchOutput, StateNeeds } from '../../app/ports.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp } from '../../domain/time.ts';
import { appendRows, chain } from './append-rows.ts';
import { insertRowsQuery, writeRows } from './append-sql.ts';
import type { Db } from './database.ts';
import { directStatementOf, type DirectStatement } from './postgres-js-dialect.ts';
import { RecordedClock } from './recorded-clock.ts';
import { WriteCache, type Head } from './write-cache.ts';

/** The SQLSTATEs of `ledger_append_check` (sql/functions/ledger_append_check.sql), and a unique key taken. */
const TOO_LATE = 'LA003';
const CLAIMED = 'LA004';
const NOT_CURRENT = new Set(['LA001', 'LA002', 'LA003', 'LA004', '23505']);
/** The one-trip statement's check, its parameters first: the ledger, the head expected (position, hash), the recorded time chosen, the claims. */
const CHECK = 'ledger_append_check($1, $2::bigint, $3, $4::timestamptz, $5::text::jsonb)';
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

/** An append of a ledger in this process: passed the turn on (see `inTurn`), and done. */
type Turn = { readonly passed: Promise<void>; readonly done: Promise<void> };

/**
 * Appends in one round trip (docs/architecture.md#the-write-path): a batch whose decisions need
 * only what the process knows of the ledger (`WriteCache`) is decided, hashed and given its
 * recorded time (`RecordedClock`) before the ledger's lock is taken, and sent as one statement
 * that takes the lock, checks that the ledger is as the process knew it, and inserts every row.
 * The appends of one ledger take turns in the process (`inTurn`), each after the one before has
 * committed or failed (or, for a large batch, been decided: `appendLocked`), so each is decided on
 * what the one before left; the group committer takes the next group when one is done (told of a
 * large batch's decision), so that the group holds every write that came while this one was on
 * its way. `append` answers null when
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
  /** The one-trip statement's way to the database, where the dialect has one (PostgreSQL): no reservation, no executor. */
  private readonly direct: DirectStatement | undefined;
  private readonly turns = new Map<string, Turn>();

  private readonly copy: boolean;
  private readonly decideUnderLock: boolean;

  /**
   * `copy`: large appends go as COPY FROM STDIN (the PostgreSQL dialect only). `decideUnderLock`:
   * every append takes the lock before it is decided (`appendLocked`), as large ones do.
   */
  constructor(db: Db, options: { copy: boolean; decideUnderLock: boolean }) {
    this.db = db;
    this.direct = directStatementOf(db);
    this.copy = options.copy;
    this.decideUnderLock = options.decideUnderLock;
  }

  /**
   * Runs `append` once the ledger's appends before it in this process are done. An append that
   * takes the lock first (`locksFirst`) may start once the one before has passed the turn on
   * (`passTurn`: a large batch decided, its rows on their way): its check then waits in the
   * database for that commit. Any other append chooses its recorded time before the lock, which
   * that wait would make too late, so it waits for the one before to be done.
   */
  async inTurn<R>(ledgerId: string, locksFirst: boolean, append: (passTurn: () => void) => Promise<R>): Promise<R> {
    const before = this.turns.get(ledgerId);
    let passTurn!: () => void;
    let finish!: () => void;
    const turn: Turn = { passed: new Promise<void>((resolve) => (passTurn = resolve)), done: new Promise<void>((resolve) => (finish = resolve)) };
    this.turns.set(ledgerId, turn);
    void turn.done.then(() => {
      if (this.turns.get(ledgerId) === turn) this.turns.delete(ledgerId);
    });
    if (before) await (locksFirst ? before.passed : before.done);
    try {
      return await append(passTurn);
    } finally {
      passTurn();
      finish();
    }
  }

  /** Whether `append` takes the ledger's lock before it decides (`appendLocked`). */
  locksFirst(needs: StateNeeds): boolean {
    return this.decideUnderLock || needs.transactionIds.length >= LOCK_FIRST_FROM;
  }

  /** `passTurn`: called once the next append of the ledger may be decided on what this one leaves (see `appendLocked`). */
  async append<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, passTurn?: () => void): Promise<Appended<T> | null> {
    if (this.locksFirst(needs)) return this.appendLocked(ledgerId, needs, decideBatch, passTurn);
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
      const query = insertRowsQuery(appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), {
        sql: CHECK, parameters: [ledgerId, before.position, before.hash, formatInstant(recordedAt), JSON.stringify(needs.claims)],
      });
      const last = recorded.at(-1);
      const head: Head = last ? { position: last.position, hash: last.hash, recordedAt } : before;
      try {
        if (query) {
          const rows = this.direct ? await this.direct(query) : (await this.db.executeQuery(query)).rows;
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
   * Once decided and hashed, what it leaves is known (`passTurn`): the next append of the ledger
   * is decided on it and asks for the lock while these rows are on their way, and its check waits
   * in the database for this commit. Should this one fail, the next finds the head behind the one
   * it expected (LA001) and goes the slow way; what is known is forgotten.
   */
  private async appendLocked<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, passTurn?: () => void): Promise<Appended<T> | null> {
    const found = this.cache.stateFor(ledgerId, needs);
    if (!found) return this.count('unknown', null);
    const { known, state } = found;
    const before = known.head;
    let learnt = false;
    try {
      const { output, recorded } = await this.db.transaction().execute(async (trx) => {
        const { rows } = await sql<{ checked: string }>`select ledger_append_check(${ledgerId}, ${before.position}::bigint, ${before.hash},
          null, ${JSON.stringify(needs.claims)}::text::jsonb)::text as checked`.execute(trx);
        const recordedAt = parseDbTimestamp(rows[0]!.checked);
        const output = decideBatch({ state, headPosition: before.position, recordedAt, records: [] });
        if (output.events.some((e) => e.event.type !== 'TransactionRecorded')) throw new NotPlain();
        const recorded = chain(ledgerId, before.position, before.hash, recordedAt, output.events);
        const last = recorded.at(-1);
        this.cache.committed(known, state, output.events.map((e) => e.event), last ? { position: last.position, hash: last.hash, recordedAt } : before);
        learnt = true;
        passTurn?.();
        await writeRows(trx, appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), this.copy);
        return { output, recorded };
      });
      return this.count('locked', { result: output.result, recorded });
    } catch (error) {
      if (learnt) this.cache.forget(ledgerId); // what it left was never recorded
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
