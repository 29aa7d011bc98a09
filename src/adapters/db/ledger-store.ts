import { sql, type Transaction } from 'kysely';
import type {
  AccountFilter, AccountRow, ApiKeyRow, BalanceSums, BatchInput, BatchOutput, IdempotencyRecord, LedgerInfo,
  LedgerStore, ReadPoint, RejectionRow, StateNeeds, TransactionFilter, TransactionRow,
} from '../../app/ports.ts';
import type { Asset } from '../../domain/assets.ts';
import type { LedgerEvent, RecordedEvent, TransactionData } from '../../domain/events.ts';
import { floorWindow, type OverdraftWindow, type PostingFact } from '../../domain/balance.ts';
import { OverdraftFloorTooLow } from '../../domain/decide.ts';
import { Decimal } from '../../domain/money.ts';
import { reject, type ErrorCode, type FieldError } from '../../domain/rejection.ts';
import type { AccountState, HoldResolution, LedgerState } from '../../domain/state.ts';
import { formatInstant, parseDbTimestamp, type Instant } from '../../domain/time.ts';
import type { Db } from './database.ts';
import { partsFromSums } from '../../app/balances.ts';
import { commandFromJson } from '../../app/command-json.ts';
import { appendRows, chain } from './append-rows.ts';
import { writeRows } from './append-sql.ts';
import { OneTripAppender } from './one-trip-append.ts';
import { generalLedgerCsvPage, generalLedgerCsvStream, generalLedgerPage, generalLedgerSize, journalPostingsPage } from './general-ledger-query.ts';
import { metadataContains } from './metadata-filter.ts';
import { postingsRecordedPage } from './postings-recorded-query.ts';
import { balanceRead, ledgerRead, timezoneCache } from './point-reads.ts';
import type { Tables } from './schema.ts';

type Trx = Transaction<Tables>;

const toInstant = (text: string) => parseDbTimestamp(text);
const toTimestamp = (t: Instant) => formatInstant(t);

type SumsRow = Record<'posted_debits' | 'posted_credits' | 'pending_debits' | 'pending_credits' | 'scheduled_debits' | 'scheduled_credits', string>;

/** Reads build a balance checkpoint once an account's tail after the last one is longer than this (sql/009). */
export const DEFAULT_CHECKPOINT_EVERY = 1000;

/** The six sums of section 4 as text, from `ledger_balance_sums` (sql/009). */
const SUMS_COLUMNS = sql.raw(`posted_debits::text, posted_credits::text, pending_debits::text, pending_credits::text,
  scheduled_debits::text, scheduled_credits::text`);

function toSums(r: SumsRow): BalanceSums {
  return {
    postedDebits: r.posted_debits, postedCredits: r.posted_credits, pendingDebits: r.pending_debits,
    pendingCredits: r.pending_credits, scheduledDebits: r.scheduled_debits, scheduledCredits: r.scheduled_credits,
  };
}

/** An `events` row (timestamps and bigints as text) as the domain sees it. */
export function fromEventRow(r: { ledger_id: string; position: string | number; type: string; recorded_at: string; actor: string; request_id: string; data: unknown; prev_hash: string; hash: string }): RecordedEvent {
  return {
    ledgerId: r.ledger_id, position: Number(r.position), recordedAt: toInstant(r.recorded_at), actor: r.actor, requestId: r.request_id,
    prevHash: r.prev_hash, hash: r.hash, event: { type: r.type, data: r.data } as LedgerEvent,
  };
}

interface Loaded {
  headPosition: number;
  headHash: string;
  recordedAt: string;
  ledger: { ledgerId: string; name: string; timezone: string } | null;
  closedThrough: string | null;
  assets: Asset[];
  accounts: AccountState[];
  transactions: { data: TransactionData; position: number; reversedBy: string | null; resolution: HoldResolution | null }[];
  records: IdempotencyRecord[];
  overdraft: WindowJson[];
}

/** A window as ledger_overdraft_windows answers it: a floor, or the sums at `from` and the postings after. */
type WindowJson = { accountId: string; from: string } & ({ floor: string } | { sums: BalanceSums; facts: FactJson[] });

interface FactJson {
  accountId: string; transactionId: string; position: number | string; direction: 'debit' | 'credit'; amount: string;
  status: 'posted' | 'pending'; effectiveAt: string; recordedAt: string; expiresAt: string | null;
  resolutionPosition: number | string | null; resolutionKnownFrom: string | null;
}

function toFact(f: FactJson): PostingFact {
  return {
    accountId: f.accountId, transactionId: f.transactionId, position: Number(f.position), direction: f.direction,
    amount: new Decimal(f.amount), status: f.status, effectiveAt: toInstant(f.effectiveAt), recordedAt: toInstant(f.recordedAt),
    expiresAt: f.expiresAt === null ? null : toInstant(f.expiresAt),
    resolution: f.resolutionPosition === null ? null : { position: Number(f.resolutionPosition), knownFrom: toInstant(f.resolutionKnownFrom!) },
  };
}

/** One round trip: the ledger's append lock, its head, and the slice of state a batch needs (sql/functions/ledger_lock_and_load.sql). */
async function lockAndLoad(trx: Trx, ledgerId: string, needs: StateNeeds, checkpointEvery: number): Promise<{ state: LedgerState; loaded: Loaded }> {
  const earliest = needs.earliestEffectiveAt === null ? null : toTimestamp(needs.earliestEffectiveAt);
  const { rows } = await sql<{ loaded: Loaded }>`
    select ledger_lock_and_load(${ledgerId}, ${JSON.stringify(needs.accountIds)}::text::jsonb,
      ${JSON.stringify(needs.transactionIds)}::text::jsonb, ${JSON.stringify(needs.claims)}::text::jsonb,
      ${earliest}::timestamptz, ${JSON.stringify(needs.postingSides)}::text::jsonb, ${needs.mirrors}::boolean,
      ${checkpointEvery}::integer) as loaded`.execute(trx);
  const loaded = rows[0]!.loaded;
  const state: LedgerState = {
    ledger: loaded.ledger,
    closedThrough: loaded.closedThrough,
    assets: new Map(loaded.assets.map((a) => [a.code, a])),
    accounts: new Map(loaded.accounts.map((a) => [a.accountId, a])),
    transactions: new Map(loaded.transactions.map((t) => [t.data.id, {
      ...t, position: Number(t.position), resolution: t.resolution && { ...t.resolution, position: Number(t.resolution.position) },
    }])),
    overdraft: new Map(loaded.overdraft.map((w) => [w.accountId, toWindow(w)])),
  };
  return { state, loaded };
}

const toWindow = (w: WindowJson): OverdraftWindow => ('floor' in w
  ? floorWindow(toInstant(w.from), new Decimal(w.floor))
  : { from: toInstant(w.from), partsAtFrom: partsFromSums(w.sums), facts: w.facts.map(toFact), floor: null });

function accountRows(db: Db | Trx, ledgerId: string, position: number) {
  return db
    .selectFrom('accounts as a')
    .leftJoin('account_closures as c', (join) =>
      join.onRef('c.ledger_id', '=', 'a.ledger_id').onRef('c.account_id', '=', 'a.account_id').on('c.position', '<=', position),
    )
    .select(['a.account_id', 'a.name', 'a.normal_balance', 'a.currency', 'a.no_overdraft', 'a.metadata', 'a.type', 'a.position', 'a.recorded_at', 'c.position as closed_position'])
    .where('a.ledger_id', '=', ledgerId)
    .where('a.position', '<=', position);
}

type AccountSelection = Awaited<ReturnType<ReturnType<typeof accountRows>['executeTakeFirstOrThrow']>>;

/** A page of the accounts at `position` within `filter`, in id order, after `after`. */
function accountsPage(db: Db, ledgerId: string, position: number, { prefix, type, metadata }: AccountFilter, after: string | undefined, limit: number) {
  let query = accountRows(db, ledgerId, position).orderBy('a.account_id').limit(limit);
  if (type !== undefined) query = query.where('a.type', '=', type);
  if (metadata?.size) query = query.where(metadataContains(sql.ref('a.metadata'), metadata));
  if (prefix) query = query.where('a.account_id', '>=', prefix).where('a.account_id', '<', `${prefix}\u{10FFFF}`);
  if (after !== undefined) query = query.where('a.account_id', '>', after);
  return query;
}

function toAccountRow(a: AccountSelection): AccountRow {
  return {
    accountId: a.account_id, name: a.name, normalBalance: a.normal_balance, currency: a.currency, noOverdraft: a.no_overdraft,
    metadata: a.metadata as Record<string, unknown>, type: a.type, closed: a.closed_position !== null,
    position: Number(a.position), recordedAt: toInstant(a.recorded_at),
  };
}

function transactionRows(db: Db | Trx, ledgerId: string, position: number) {
  return db
    .selectFrom('transactions as t')
    .select((eb) => [
      't.transaction_id', 't.position', 't.recorded_at', 't.data',
      eb.selectFrom('transactions as r').select('r.transaction_id')
        .whereRef('r.ledger_id', '=', 't.ledger_id').whereRef('r.reverses', '=', 't.transaction_id').where('r.position', '<=', position)
        .as('reversed_by'),
      eb.selectFrom('transactions as c').select('c.transaction_id')
        .whereRef('c.ledger_id', '=', 't.ledger_id').whereRef('c.corrects', '=', 't.transaction_id').where('c.position', '<=', position)
        .limit(1).as('corrected_by'),
      sql<ResolutionJson | null>`(
        select jsonb_build_object('type', h.type, 'position', h.position, 'recordedAt', h.recorded_at::text,
                                  'effectiveAt', h.data ->> 'effectiveAt', 'postings', coalesce(h.data -> 'postings', '[]'::jsonb),
                                  'reason', h.data ->> 'reason')
          from hold_resolutions h
         where h.ledger_id = t.ledger_id and h.hold_id = t.transaction_id and h.position <= ${position})`.as('resolution'),
    ])
    .where('t.ledger_id', '=', ledgerId)
    .where('t.position', '<=', position);
}

type TransactionSelection = Awaited<ReturnType<ReturnType<typeof transactionRows>['executeTakeFirstOrThrow']>>;

type ResolutionJson = Omit<HoldResolution, 'position'> & { position: number | string; recordedAt: string };

function toTransactionRow(t: TransactionSelection): TransactionRow {
  const r = t.resolution;
  return {
    data: t.data as TransactionData, position: Number(t.position), recordedAt: toInstant(t.recorded_at),
    reversedBy: t.reversed_by ?? null, correctedBy: t.corrected_by ?? null,
    resolution: r ? { ...r, position: Number(r.position), recordedAt: toInstant(r.recordedAt) } : null,
  };
}

export interface LedgerStoreOptions {
  /** DEFAULT_CHECKPOINT_EVERY unless given; tests make it small to build checkpoints often. */
  readonly checkpointEvery?: number;
  /**
   * Who builds the balance checkpoints: `reads` (the default), where a read or a noOverdraft
   * check that finds a tail longer than `checkpointEvery` builds what it calls for; or
   * `projector`, where only `project` builds (src/app/projector.ts runs it in the background) and
   * reads and writes use what is built plus the tail after it, however long.
   */
  readonly checkpointsBuiltBy?: 'reads' | 'projector';
  /**
   * Appends in one round trip when the process knows what the decisions need (the default):
   * see `OneTripAppender`. Off, every append loads its state under the lock first.
   */
  readonly oneTripAppends?: boolean;
  /** The general ledger's CSV as one COPY TO STDOUT (`generalLedgerCsvStream`): only on PostgreSQL through this project's dialect. */
  readonly copyExports?: boolean;
  /** Large appends as COPY FROM STDIN: only on PostgreSQL through this project's dialect (postgres-js-dialect.ts). */
  readonly copyAppends?: boolean;
  /**
   * Appends that need only what the process knows take the lock before they are decided, small
   * ones too (`OneTripAppender`): for PGlite, whose one connection runs the statements in turn, so
   * that a recorded time chosen beforehand often came too late behind a projector's step.
   */
  readonly decideUnderLock?: boolean;
}

export function createLedgerStore(db: Db, options: LedgerStoreOptions = {}): LedgerStore {
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  // What reads and writes pass as the tail that calls for a build: 0 builds none.
  const buildOnReadEvery = options.checkpointsBuiltBy === 'projector' ? 0 : checkpointEvery;
  const copy = options.copyAppends ?? false;
  const oneTrip = options.oneTripAppends === false ? null : new OneTripAppender(db, { copy, decideUnderLock: options.decideUnderLock ?? false });
  /** An append the slow way: the ledger's lock, then what the batch needs, loaded; then decide and insert. */
  const appendLoaded = <T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, onDecided?: () => void) =>
    db.transaction().execute(async (trx) => {
      let { state, loaded } = await lockAndLoad(trx, ledgerId, needs, buildOnReadEvery);
      const decideLoaded = () => decideBatch({
        state, headPosition: Number(loaded.headPosition), recordedAt: toInstant(loaded.recordedAt),
        records: loaded.records.map((r) => ({ ...r, firstPosition: Number(r.firstPosition), lastPosition: Number(r.lastPosition) })),
      });
      let output: BatchOutput<T>;
      try {
        output = decideLoaded();
      } catch (error) {
        if (!(error instanceof OverdraftFloorTooLow)) throw error;
        // A floor that the batch's sums said would do did not: load the postings (no sums, no floors) and decide again.
        ({ state, loaded } = await lockAndLoad(trx, ledgerId, { ...needs, postingSides: needs.postingSides.map((s) => ({ ...s, amount: null })) }, buildOnReadEvery));
        output = decideLoaded();
      }
      const headPosition = Number(loaded.headPosition);
      const recordedAt = toInstant(loaded.recordedAt);
      const recorded = chain(ledgerId, headPosition, loaded.headHash, recordedAt, output.events);
      onDecided?.();
      await writeRows(trx, appendRows(ledgerId, recordedAt, recorded, output.records, output.rejections), copy);
      const last = recorded.at(-1);
      oneTrip?.cache.loaded(ledgerId, { position: headPosition, hash: loaded.headHash }, state, output.events.map((e) => e.event),
        last ? { position: last.position, hash: last.hash, recordedAt } : { position: headPosition, hash: loaded.headHash, recordedAt });
      return { result: output.result, recorded };
    });

  return {
    async write<T>(ledgerId: string, needs: StateNeeds, decideBatch: (input: BatchInput) => BatchOutput<T>, onDecided?: () => void) {
      if (!oneTrip) return appendLoaded(ledgerId, needs, decideBatch, onDecided);
      // A batch decided under the lock passes the turn on, and the group committer its next group.
      const decided = (passTurn: () => void) => () => {
        passTurn();
        onDecided?.();
      };
      return oneTrip.inTurn(ledgerId, oneTrip.locksFirst(needs), async (passTurn) =>
        (await oneTrip.append(ledgerId, needs, decideBatch, decided(passTurn))) ?? appendLoaded(ledgerId, needs, decideBatch, onDecided));
    },

    appendOutcomes: () => oneTrip?.outcomes ?? {},

    async projectorLag() {
      const { rows } = await sql<{ ledger_id: string; head: string; projected: string }>`select * from ledger_projector_lag()`.execute(db);
      return rows.map((r) => ({ ledgerId: r.ledger_id, head: Number(r.head), projected: Number(r.projected) }));
    },

    async project(ledgerId, maxEvents) {
      const { rows } = await sql<{ reached: string | null }>`
        select ledger_project(${ledgerId}, ${maxEvents}::integer, ${checkpointEvery}::integer) as reached`.execute(db);
      const reached = rows[0]!.reached;
      return reached === null ? null : Number(reached);
    },

    async eventsBetween(ledgerId, firstPosition, lastPosition) {
      const rows = await db.selectFrom('events').selectAll().where('ledger_id', '=', ledgerId)
        .where('position', '>=', firstPosition).where('position', '<=', lastPosition).orderBy('position').execute();
      return rows.map(fromEventRow);
    },

    async readPoint(ledgerId, recordedAsOf): Promise<ReadPoint> {
      const { rows } = await sql<{ read_position: string; read_recorded_at: string | null; read_now: string }>`
        select * from ledger_read_point(${ledgerId}, ${recordedAsOf === undefined ? null : toTimestamp(recordedAsOf)}::timestamptz)`.execute(db);
      const row = rows[0]!;
      return { position: Number(row.read_position), recordedAt: row.read_recorded_at ? toInstant(row.read_recorded_at) : null, now: toInstant(row.read_now) };
    },

    async positionInfo(ledgerId, position) {
      const { rows } = await sql<{ recorded_at: string | null; now: string }>`
        select (select recorded_at from events where ledger_id = ${ledgerId} and position = ${position}) as recorded_at,
               clock_timestamp() as now`.execute(db);
      const row = rows[0]!;
      return { recordedAt: row.recorded_at ? toInstant(row.recorded_at) : null, now: toInstant(row.now) };
    },

    async ledger(ledgerId, position): Promise<LedgerInfo | null> {
      // One query: the head, and the last period close at or before `position` (a close is never
      // past the head, so that is the close as of min(position, head)).
      const row = await db.selectFrom('ledgers as l')
        .select((eb) => [
          'l.ledger_id', 'l.name', 'l.timezone',
          eb.selectFrom('events as e').select((e) => e.fn.max('e.position').as('head')).whereRef('e.ledger_id', '=', 'l.ledger_id').as('head'),
          eb.selectFrom('period_closes as c').select('c.through').whereRef('c.ledger_id', '=', 'l.ledger_id')
            .$if(position !== undefined, (q) => q.where('c.position', '<=', position!))
            .orderBy('c.position', 'desc').limit(1).as('closed_through'),
        ])
        .where('l.ledger_id', '=', ledgerId).executeTakeFirst();
      if (!row) return null;
      const head = Number(row.head ?? 0);
      const at = position === undefined ? head : Math.min(position, head);
      return { ledgerId: row.ledger_id, name: row.name, timezone: row.timezone, head: at, closedThrough: row.closed_through ?? null };
    },

    ledgerTimezone: timezoneCache(async (ledgerId) => (await db.selectFrom('ledgers').select('timezone').where('ledger_id', '=', ledgerId).executeTakeFirst())?.timezone ?? null),

    ledgerRead: (ledgerId, at) => ledgerRead(db, ledgerId, at),

    balanceRead: (ledgerId, accountId, at, effectiveAt) => balanceRead(db, ledgerId, accountId, at, effectiveAt, buildOnReadEvery),

    async account(ledgerId, accountId, position) {
      const row = await accountRows(db, ledgerId, position).where('a.account_id', '=', accountId).executeTakeFirst();
      return row ? toAccountRow(row) : null;
    },

    async accounts(ledgerId, position, filter, after, limit) {
      return (await accountsPage(db, ledgerId, position, filter, after, limit).execute()).map(toAccountRow);
    },

    async accountPageStarts(ledgerId, position, filter, pageSize) {
      // Every pageSize-th account id: one pass over the ids of the ledger's accounts at the position.
      const { rows } = await sql<{ account_id: string }>`
        select numbered.account_id
          from (select page.account_id, row_number() over (order by page.account_id) as n
                  from (${accountsPage(db, ledgerId, position, filter, undefined, 2 ** 31)}) page) numbered
         where numbered.n % ${pageSize} = 0
         order by numbered.account_id`.execute(db);
      return [undefined, ...rows.map((r) => r.account_id)];
    },

    async accountsWithSums(ledgerId, position, effectiveAsOf, filter, after, limit) {
      // sql/functions/ledger_trial_balance.sql over the page's accounts, in the same round trip.
      const { rows } = await sql<AccountSelection & SumsRow>`
        with page as (${accountsPage(db, ledgerId, position, filter, after, limit)})
        select page.*, ${SUMS_COLUMNS}
          from page
          join ledger_trial_balance(${ledgerId}, array(select account_id from page), ${position}, ${toTimestamp(effectiveAsOf)}::timestamptz,
                                    ${buildOnReadEvery}::integer) s using (account_id)
         order by page.account_id`.execute(db);
      return rows.map((r) => ({ account: toAccountRow(r), sums: toSums(r) }));
    },

    async transaction(ledgerId, transactionId, position) {
      const row = await transactionRows(db, ledgerId, position).where('t.transaction_id', '=', transactionId).executeTakeFirst();
      return row ? toTransactionRow(row) : null;
    },

    async transactions(ledgerId, position, filter: TransactionFilter, afterPosition, limit) {
      let query = transactionRows(db, ledgerId, position).where('t.position', '>', afterPosition).orderBy('t.position').limit(limit);
      if (filter.accountId !== undefined) {
        const accountId = filter.accountId;
        query = query.where((eb) => eb.exists(eb.selectFrom('postings as p').select('p.seq')
          .whereRef('p.ledger_id', '=', 't.ledger_id').whereRef('p.position', '=', 't.position').where('p.account_id', '=', accountId)));
      }
      if (filter.effectiveFrom !== undefined) query = query.where('t.effective_at', '>=', toTimestamp(filter.effectiveFrom));
      if (filter.effectiveTo !== undefined) query = query.where('t.effective_at', '<=', toTimestamp(filter.effectiveTo));
      if (filter.recordedFrom !== undefined) query = query.where('t.recorded_at', '>=', toTimestamp(filter.recordedFrom));
      if (filter.recordedTo !== undefined) query = query.where('t.recorded_at', '<=', toTimestamp(filter.recordedTo));
      if (filter.metadata?.size) query = query.where(metadataContains(sql`${sql.ref('t.data')} -> 'metadata'`, filter.metadata));
      if (filter.ids !== undefined) query = query.where(sql<boolean>`t.transaction_id = any(array(select jsonb_array_elements_text(${JSON.stringify(filter.ids)}::text::jsonb)))`);
      return (await query.execute()).map(toTransactionRow);
    },

    async rejections(ledgerId, position, filter, afterSeq, limit): Promise<RejectionRow[]> {
      let query = db.selectFrom('rejections').selectAll().where('ledger_id', '=', ledgerId).where('position', '<=', position).where('seq', '>', String(afterSeq));
      if (filter.code !== undefined) query = query.where('code', '=', filter.code);
      const rows = await query.orderBy('seq').limit(limit).execute();
      return rows.map((r) => ({
        seq: Number(r.seq), position: Number(r.position), recordedAt: toInstant(r.recorded_at), actor: r.actor, requestId: r.request_id,
        rejection: reject(r.code as ErrorCode, r.detail, (r.errors as FieldError[]).length > 0 ? (r.errors as FieldError[]) : undefined), commands: (r.commands as unknown[]).map(commandFromJson),
      }));
    },

    async reversals(ledgerId, position, afterPosition, limit) {
      const reversals = (await transactionRows(db, ledgerId, position).where('t.reverses', 'is not', null)
        .where('t.position', '>', afterPosition).orderBy('t.position').limit(limit).execute()).map(toTransactionRow);
      if (reversals.length === 0) return [];
      const originalIds = reversals.map((r) => r.data.reverses!);
      const positions = reversals.map((r) => r.position);
      const [originals, replacements, actors] = await Promise.all([
        transactionRows(db, ledgerId, position).where('t.transaction_id', 'in', originalIds).execute(),
        transactionRows(db, ledgerId, position).where('t.corrects', 'in', originalIds).execute(),
        db.selectFrom('events').select(['position', 'actor']).where('ledger_id', '=', ledgerId).where('position', 'in', positions).execute(),
      ]);
      const byId = new Map(originals.map((t) => [t.transaction_id, toTransactionRow(t)]));
      // A correction's replacement is recorded right after its reversal, in the same commit.
      const replacementAt = new Map(replacements.map((t) => [Number(t.position), toTransactionRow(t)]));
      const actorAt = new Map(actors.map((e) => [Number(e.position), e.actor]));
      return reversals.map((reversal) => ({
        reversal,
        original: byId.get(reversal.data.reverses!)!,
        replacement: replacementAt.get(reversal.position + 1) ?? null,
        actor: actorAt.get(reversal.position)!,
      }));
    },

    async postingsBetween(ledgerId, accountIds, afterPosition, position, effective, limit) {
      if (accountIds.length === 0) return [];
      // Per account, a range of positions of postings_by_account_status: what changed costs, not the window.
      const { rows } = await sql<{ position: string; transaction_id: string; account_id: string }>`
        select p.position, p.transaction_id, p.account_id
        from jsonb_array_elements_text(${JSON.stringify(accountIds)}::text::jsonb) a(account_id)
        cross join lateral (
          select q.position, q.seq, q.transaction_id, q.account_id from postings q
           where q.ledger_id = ${ledgerId} and q.account_id = a.account_id and q.status = 'posted'
             and q.position > ${afterPosition} and q.position <= ${position}
             and q.effective_at <= ${toTimestamp(effective.effectiveTo)}::timestamptz
             ${effective.effectiveFrom === undefined ? sql`` : sql`and q.effective_at >= ${toTimestamp(effective.effectiveFrom)}::timestamptz`}) p
        order by p.position, p.seq
        limit ${limit}`.execute(db);
      return rows.map((r) => ({ position: Number(r.position), transactionId: r.transaction_id, accountId: r.account_id }));
    },

    async assets(ledgerId) {
      const rows = await db.selectFrom('assets').select(['code', 'scale']).where('ledger_id', '=', ledgerId).execute();
      return new Map(rows.map((a): [string, Asset] => [a.code, { code: a.code, scale: a.scale }]));
    },

    async balanceSums(ledgerId, accountIds, position, effectiveAsOf) {
      if (accountIds.length === 0) return new Map();
      const { rows } = await sql<SumsRow & { account_id: string }>`
        select account_id, ${SUMS_COLUMNS}
        from ledger_balance_sums(${ledgerId}, array(select jsonb_array_elements_text(${JSON.stringify(accountIds)}::text::jsonb)),
                                 ${position}, ${toTimestamp(effectiveAsOf)}::timestamptz, ${buildOnReadEvery})`.execute(db);
      return new Map(rows.map((r) => [r.account_id, toSums(r)]));
    },

    async balanceSeries(ledgerId, accountId, position, effectiveInstants) {
      const { rows } = await sql<SumsRow>`
        select ${SUMS_COLUMNS}
        from ledger_balance_series(${ledgerId}, ${accountId}, ${position},
               array(select jsonb_array_elements_text(${JSON.stringify(effectiveInstants.map(toTimestamp))}::text::jsonb)::timestamptz), ${buildOnReadEvery})
        order by n`.execute(db);
      return rows.map(toSums);
    },

    async statement(ledgerId, accountId, position, normalBalance, window) {
      const after = window.after;
      // sql/functions/ledger_statement_page.sql: the running balance at the page's start from the checkpoints.
      const { rows } = await sql<{
        position: string; seq: number; transaction_id: string; recorded_at: string; effective_at: string; direction: 'debit' | 'credit';
        amount: string; running: string; reverses: string | null; corrects: string | null; reversed_by: string | null;
      }>`
        select position, seq, transaction_id, recorded_at, effective_at, direction, amount::text, running::text, reverses, corrects, reversed_by
        from ledger_statement_page(${ledgerId}, ${accountId}, ${position}, ${normalBalance},
               ${window.effectiveFrom === undefined ? null : toTimestamp(window.effectiveFrom)}::timestamptz, ${toTimestamp(window.effectiveTo)}::timestamptz,
               ${after === undefined ? null : toTimestamp(after.effectiveAt)}::timestamptz, ${after?.position ?? null}::bigint, ${after?.seq ?? null}::integer,
               ${window.limit}::integer, ${buildOnReadEvery}::integer)`.execute(db);
      return rows.map((r) => ({
        position: Number(r.position), seq: r.seq, transactionId: r.transaction_id, recordedAt: toInstant(r.recorded_at),
        effectiveAt: toInstant(r.effective_at), direction: r.direction, amount: r.amount, runningBalance: r.running,
        reverses: r.reverses, reversedBy: r.reversed_by, corrects: r.corrects,
      }));
    },

    generalLedger: (ledgerId, position, effectiveAsOf, after, limit) => generalLedgerPage(db, ledgerId, position, effectiveAsOf, after, limit),
    generalLedgerSize: (ledgerId, position, effectiveAsOf) => generalLedgerSize(db, ledgerId, position, effectiveAsOf),
    generalLedgerCsv: (ledgerId, position, effectiveAsOf, from, scales, limit) => generalLedgerCsvPage(db, ledgerId, position, effectiveAsOf, from, scales, limit),
    generalLedgerCsvStream: options.copyExports ? (ledgerId, position, effectiveAsOf, scales) => generalLedgerCsvStream(db, ledgerId, position, effectiveAsOf, scales) : undefined,
    journalPostings: (ledgerId, position, effectiveAsOf, after, limit) => journalPostingsPage(db, ledgerId, position, effectiveAsOf, after, limit),
    postingsRecorded: (ledgerId, after, position, effectiveTo, limit) => postingsRecordedPage(db, ledgerId, after, position, effectiveTo, limit),

    async createApiKey(key, keyHash) {
      await db.insertInto('api_keys').values({
        key_id: key.keyId, key_hash: keyHash, name: key.name, role: key.role,
        // ::text first: the postgres driver would JSON-encode a string bound straight to jsonb.
        ledger_ids: sql<string>`${JSON.stringify(key.ledgerIds)}::text::jsonb`,
      }).onConflict((oc) => oc.doNothing()).execute(); // two processes bootstrapping the same key at once
    },
    apiKeyByHash: (keyHash) => apiKey(db, 'k.key_hash', keyHash),
    apiKeyById: (keyId) => apiKey(db, 'k.key_id', keyId),
    async revokeApiKey(keyId) {
      await db.insertInto('api_key_revocations').values({ key_id: keyId }).onConflict((oc) => oc.doNothing()).execute();
    },
    async countApiKeys() {
      const row = await db.selectFrom('api_keys').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow();
      return Number(row.n);
    },
  };
}

async function apiKey(db: Db, column: 'k.key_hash' | 'k.key_id', value: string): Promise<ApiKeyRow | null> {
  const row = await db.selectFrom('api_keys as k')
    .leftJoin('api_key_revocations as r', 'r.key_id', 'k.key_id')
    .select(['k.key_id', 'k.name', 'k.role', 'k.ledger_ids', 'r.revoked_at'])
    .where(column, '=', value).executeTakeFirst();
  if (!row) return null;
  return {
    keyId: row.key_id, name: row.name, role: row.role as ApiKeyRow['role'],
    ledgerIds: row.ledger_ids as string[] | null, revoked: row.revoked_at !== null,
  };
}
