import { sql } from 'kysely';
import type { BatchInput, BatchOutput, StateNeeds } from '../../app/ports.ts';
import type { RecordedEvent } from '../../domain/events.ts';
import { formatInstant, parseDbTimestamp } from '../../domain/time.ts';
import { appendRows, chain } from './append-rows.ts';
import { insertRowsStatement } from './append-sql.ts';
import type { Db } from './database.ts';
import { processNow, RecordedClock } from './recorded-clock.ts';
import { WriteCache, type Head } from './write-cache.ts';

/** The SQLSTATEs of `ledger_append_check` (sql/functions/ledger_append_check.sql), and a unique key taken. */
const BEHIND = 'LA001';
const TOO_LATE = 'LA003';
const NOT_CURRENT = new Set(['LA001', 'LA002', 'LA003', 'LA004', '23505']);
/** How often the process reads the database's clock, for `RecordedClock.passed`. */
const CALIBRATE_EVERY_MS = 10_000;

const errorField = (error: unknown, field: 'code' | 'detail'): string | undefined =>
  typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>)[field] === 'string' ? (error as Record<string, string>)[field] : undefined;

/**
 * Appends in one round trip (docs/architecture.md#the-write-path): a batch whose decisions need
 * only what the process knows of the ledger (`WriteCache`) is decided, hashed and given its
 * recorded time (`RecordedClock`) before the ledger's lock is taken, and sent as one statement
 * that takes the lock, checks that the ledger is as the process knew it, and inserts every row.
 * The next batch of the ledger can be decided while that statement runs. `append` answers null
 * when the batch needs the slow way: something to load, or a check that failed (nothing was
 * recorded then).
 */
export class OneTripAppender {
  readonly cache = new WriteCache();
  private readonly clock = new RecordedClock();
  private readonly db: Db;
  private calibratedAt = 0;

  constructor(db: Db) {
    this.db = db;
  }

  async append<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, onDecided?: () => void): Promise<{ result: T; recorded: RecordedEvent[] } | null> {
    const found = this.cache.stateFor(ledgerId, needs);
    if (!found) return null;
    // The claims of every request are checked, also of those refused here: a retry of a write
    // recorded before is replayed, which only the slow way, loading the claims' records, can do.
    this.calibrate();
    const { known, state } = found;
    const before = known.head;
    const aheadCommitted = known.settled;
    const { recordedAt, chosenAt } = this.clock.choose(before.recordedAt);
    const output = decideBatch({ state, headPosition: before.position, recordedAt, records: [] });
    const recorded = chain(ledgerId, before.position, before.hash, recordedAt, output.events);
    const last = recorded.at(-1);
    const head: Head = last ? { position: last.position, hash: last.hash, recordedAt } : before;
    let settle!: (committed: boolean) => void;
    this.cache.advance(known, state, output.events.map((e) => e.event), head, new Promise<boolean>((resolve) => (settle = resolve)));
    onDecided?.();
    const statement = insertRowsStatement(appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), sql`ledger_append_check(
      ${ledgerId}, ${before.position}::bigint, ${before.hash}, ${formatInstant(recordedAt)}::timestamptz, ${JSON.stringify(needs.claims)}::text::jsonb)`);
    if (!statement) {
      settle(true);
      return { result: output.result, recorded };
    }
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await statement.execute(this.db);
        this.clock.observe(chosenAt, parseDbTimestamp((rows[0] as { checked: string }).checked), false);
        settle(true);
        await this.clock.passed(recordedAt);
        return { result: output.result, recorded };
      } catch (error) {
        const code = errorField(error, 'code');
        // An append of this process ahead of this one had not committed when the lock came: once it has, this one can go.
        if (code === BEHIND && attempt < 3 && (await aheadCommitted)) continue;
        settle(false);
        if (code === TOO_LATE) this.clock.observe(chosenAt, parseDbTimestamp(errorField(error, 'detail')!), true);
        if (code !== undefined && NOT_CURRENT.has(code)) return null;
        throw error;
      }
    }
  }

  /** Reads the database's clock now and then, in the background. */
  private calibrate(): void {
    const now = Date.now();
    if (now - this.calibratedAt < CALIBRATE_EVERY_MS) return;
    this.calibratedAt = now;
    const sentAt = processNow();
    sql<{ now: string }>`select clock_timestamp()::text as now`.execute(this.db).then(
      ({ rows }) => this.clock.calibrate(sentAt, parseDbTimestamp(rows[0]!.now), processNow()),
      () => (this.calibratedAt = 0),
    );
  }
}
