import { CompiledQuery } from 'kysely';
import type { DirectStatement } from './postgres-js-dialect.ts';

/** One balance read's parameters as `ledger_balance_read` takes them: the times as text, the position as text. */
export interface BalanceReadParameters {
  readonly ledgerId: string;
  readonly accountId: string;
  readonly recordedAsOf: string | null;
  readonly position: string | null;
  readonly effectiveAt: string | null;
  readonly tailMax: number;
}

/** The columns a balance read answers (the amounts as text: exact). */
const COLUMNS = `ledger_found, read_position, read_recorded_at, read_now, read_effective_at,
       name, normal_balance, currency, no_overdraft, metadata, type, opened_position, opened_at,
       closed, asset_scale, posted_debits::text, posted_credits::text, pending_debits::text,
       pending_credits::text, scheduled_debits::text, scheduled_credits::text`;

/** One balance read (sql/functions/ledger_point_reads.sql). */
const BALANCE_READ = `select ${COLUMNS}
  from ledger_balance_read($1, $2, $3::timestamptz, $4::bigint, $5::timestamptz, $6::integer)`;

/** Several balance reads in one statement, each row numbered by its read's place in the arrays (sql/functions/ledger_point_reads.sql). */
const BALANCE_READS = `select read_index, ${COLUMNS}
  from ledger_balance_reads($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::timestamptz[], $6::integer[])`;

/** The statement of one balance read. */
export const balanceReadQuery = (p: BalanceReadParameters) => CompiledQuery.raw(BALANCE_READ, [p.ledgerId, p.accountId, p.recordedAsOf, p.position, p.effectiveAt, p.tailMax]);

function many(reads: readonly BalanceReadParameters[]): CompiledQuery {
  const column = <T>(of: (p: BalanceReadParameters) => T) => reads.map(of);
  return CompiledQuery.raw(BALANCE_READS, [
    column((p) => p.ledgerId), column((p) => p.accountId), column((p) => p.recordedAsOf),
    column((p) => p.position), column((p) => p.effectiveAt), column((p) => p.tailMax),
  ]);
}

interface Waiting {
  readonly parameters: BalanceReadParameters;
  readonly resolve: (row: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Balance reads on PostgreSQL, at most STATEMENTS_IN_FLIGHT statements at a time: the reads that
 * come in one turn of the event loop, or while the statements are all out, go together in the next
 * statement (up to READS_PER_STATEMENT), as the group committer gathers writes. A read alone is the one
 * statement it always was; under load, one statement, one round trip and one wake of a backend
 * serve several reads. Each read is still answered at its own coordinates, as `ledger_balance_read`
 * answers it (`ledger_balance_reads`: a read as of now sees at least what was committed when it was asked). A statement of several that fails
 * is not the answer of any: each read is then sent alone, and gets its own answer or error.
 *
 * Gathering pays for cheap reads, whose statement's own cost is a large part of them. When a
 * statement takes SLOW_STATEMENT_MS or more (slow reads: an account read far from a checkpoint,
 * the projector far behind), reads go alone at once for a while, with no bound on how many are
 * out, as before: a statement of many slow reads would make each wait for all, and could pass the
 * statement timeout where none of them would.
 */
export class BalanceReadBatches {
  private readonly direct: DirectStatement;
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private sendScheduled = false;
  /** Until a statement answers within SLOW_STATEMENT_MS: at first, and after reads went alone. */
  private probing = true;
  /** While reads are slow: until when each goes alone. */
  private aloneUntilMs = 0;
  /** Statements sent, and the reads they carried (a read sent again alone counts again). */
  readonly sent = { statements: 0, reads: 0 };

  constructor(direct: DirectStatement) {
    this.direct = direct;
  }

  /** The row of `ledger_balance_read` at these parameters. */
  read(parameters: BalanceReadParameters): Promise<unknown> {
    return new Promise((resolve, reject) => {
      const read = { parameters, resolve, reject };
      if (performance.now() < this.aloneUntilMs) this.sendAlone(read);
      else {
        this.waiting.push(read);
        this.sendSoon();
      }
    });
  }

  /** A read sent alone at once, whatever else is out. */
  private sendAlone(read: Waiting): void {
    this.sent.statements++;
    this.sent.reads++;
    void this.alone(read);
  }

  /**
   * A statement answered: one that took SLOW_STATEMENT_MS or more sends reads alone for
   * ALONE_FOR_MS; then statements of PROBE_READS at most, until one answers sooner.
   */
  private took(startedMs: number): void {
    const nowMs = performance.now();
    if (nowMs - startedMs < SLOW_STATEMENT_MS) {
      if (nowMs >= this.aloneUntilMs) this.probing = false;
      return;
    }
    this.probing = true;
    this.aloneUntilMs = nowMs + ALONE_FOR_MS;
    for (const read of this.waiting.splice(0)) this.sendAlone(read);
  }

  /**
   * Sends at the end of this turn of the event loop: the reads of the requests read from the
   * sockets in the same turn go together, rather than the first alone.
   */
  private sendSoon(): void {
    if (this.sendScheduled) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.send();
    });
  }

  private send(): void {
    while (this.inFlight < STATEMENTS_IN_FLIGHT && this.waiting.length > 0) {
      const reads = this.waiting.splice(0, this.probing ? PROBE_READS : READS_PER_STATEMENT);
      this.inFlight++;
      this.sent.statements++;
      this.sent.reads += reads.length;
      const startedMs = performance.now();
      void (reads.length === 1 ? this.alone(reads[0]!) : this.together(reads)).finally(() => {
        this.took(startedMs);
        this.inFlight--;
        this.send();
      });
    }
  }

  private async alone(read: Waiting): Promise<void> {
    try {
      read.resolve((await this.direct(balanceReadQuery(read.parameters)))[0]);
    } catch (error) {
      read.reject(error);
    }
  }

  private async together(reads: readonly Waiting[]): Promise<void> {
    let rows: readonly unknown[];
    try {
      rows = await this.direct(many(reads.map((r) => r.parameters)));
    } catch {
      await Promise.all(reads.map((read) => this.again(read)));
      return;
    }
    const byIndex = new Map(rows.map((row) => [Number((row as { read_index: string }).read_index), row]));
    await Promise.all(reads.map((read, i) => {
      const row = byIndex.get(i + 1);
      return row === undefined ? this.again(read) : read.resolve(row);
    }));
  }

  /** A read of a statement of several that did not answer it, sent alone. */
  private again(read: Waiting): Promise<void> {
    this.sent.statements++;
    this.sent.reads++;
    return this.alone(read);
  }
}

/**
 * Balance statements out at once. On the bench's two cores, 2, 3 and 4 gave the same reads a
 * second from 16 clients within the noise, and 2 the least CPU a read (docs/benchmarks.md,
 * session 13); each statement is one backend's work, so a larger database server may want more.
 */
export const STATEMENTS_IN_FLIGHT = 2;

/** The most reads one statement carries: a statement's reads run one after the other in one backend. */
export const READS_PER_STATEMENT = 16;

/**
 * A statement's time (from sending it to its answer) from which reads go alone: 16 cheap reads
 * take 5 to 10 ms under load; 16 that take this long make each read wait some 100 ms for the others.
 */
export const SLOW_STATEMENT_MS = 100;

/** How long reads go alone once they were slow, before a statement measures them again. */
export const ALONE_FOR_MS = 1000;

/** The most reads of a statement while probing (the first statements, and after reads went alone). */
export const PROBE_READS = 2;
