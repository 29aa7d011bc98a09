import { sql } from 'kysely';
import type { LedgerStore } from '../../app/ports.ts';
import { formatInstant, type Instant } from '../../domain/time.ts';
import { createLedgerStore } from './ledger-store.ts';
import { openPostgres } from './postgres.ts';

/** A read's recorded coordinate, as the client pinned it. */
export type ReadPin = { readonly position: number } | { readonly recordedAt: Instant };

/** A PostgreSQL streaming replica of the service's database, for reads pinned to a past point. */
export interface ReadReplica {
  readonly store: LedgerStore;
  /**
   * Whether the replica holds the ledger's log through the pin. A physical replica replays commits
   * in commit order, and a ledger's recorded times increase in commit order, so holding the
   * position (or a commit recorded at or after the time) means holding everything before it.
   */
  covers(ledgerId: string, pin: ReadPin): Promise<boolean>;
  close(): Promise<void>;
}

/** Opens the replica at `url`: never migrated (it is read-only), acting as the run-time role. */
export async function openReadReplica(url: string, options: { statementTimeoutMs?: number } = {}): Promise<ReadReplica> {
  const database = await openPostgres(url, { statementTimeoutMs: options.statementTimeoutMs });
  const db = database.db;
  return {
    store: createLedgerStore(db),
    async covers(ledgerId, pin) {
      const { rows } = 'position' in pin
        ? await sql`select 1 from events where ledger_id = ${ledgerId} and position = ${Math.max(pin.position, 1)}`.execute(db)
        : await sql`select 1 from events where ledger_id = ${ledgerId} and recorded_at >= ${formatInstant(pin.recordedAt)}::timestamptz limit 1`.execute(db);
      return rows.length > 0;
    },
    close: () => database.close(),
  };
}
