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

const columns = (of: string) => `${of}ledger_found, ${of}read_position, ${of}read_recorded_at, ${of}read_now, ${of}read_effective_at,
       ${of}name, ${of}normal_balance, ${of}currency, ${of}no_overdraft, ${of}metadata, ${of}type, ${of}opened_position, ${of}opened_at,
       ${of}closed, ${of}asset_scale, ${of}posted_debits::text, ${of}posted_credits::text, ${of}pending_debits::text,
       ${of}pending_credits::text, ${of}scheduled_debits::text, ${of}scheduled_credits::text`;

/** One balance read (sql/functions/ledger_point_reads.sql). */
const BALANCE_READ = `select ${columns('')}
  from ledger_balance_read($1, $2, $3::timestamptz, $4::bigint, $5::timestamptz, $6::integer)`;

/** Several balance reads in one statement, each row numbered by its read's place in the arrays. */
const BALANCE_READS = `select q.i as read_index, ${columns('r.')}
  from unnest($1::text[], $2::text[], $3::timestamptz[], $4::bigint[], $5::timestamptz[], $6::integer[])
         with ordinality q(ledger_id, account_id, recorded_as_of, position, effective_at, tail_max, i)
       cross join lateral ledger_balance_read(q.ledger_id, q.account_id, q.recorded_as_of, q.position, q.effective_at, q.tail_max) r`;

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
 * serve several reads. Each read is still `ledger_balance_read` at its own coordinates (a read as
 * of now sees at least what was committed when it was asked). A statement of several that fails
 * is not the answer of any: each read is then sent alone, and gets its own answer or error.
 */
export class BalanceReadBatches {
  private readonly direct: DirectStatement;
  private readonly waiting: Waiting[] = [];
  private inFlight = 0;
  private sendScheduled = false;
  /** Statements sent, and the reads they carried (a read sent again alone counts again). */
  readonly sent = { statements: 0, reads: 0 };

  constructor(direct: DirectStatement) {
    this.direct = direct;
  }

  /** The row of `ledger_balance_read` at these parameters. */
  read(parameters: BalanceReadParameters): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ parameters, resolve, reject });
      this.sendSoon();
    });
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
      const reads = this.waiting.splice(0, READS_PER_STATEMENT);
      this.inFlight++;
      this.sent.statements++;
      this.sent.reads += reads.length;
      void (reads.length === 1 ? this.alone(reads[0]!) : this.together(reads)).finally(() => {
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
