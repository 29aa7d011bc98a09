import type { z } from '@hono/zod-openapi';
import type * as api from '../adapters/http/schemas.ts';
import type { ConsistencyProof, InclusionProof } from '../domain/merkle-proof.ts';

// A typed client for integrators: the shapes are the server's own zod schemas, so a field the
// server renames fails to compile here. Every write carries an Idempotency-Key (given, or made
// once per call), so the client can send it again after a refused connection, a connection cut
// before the answer, or a 503, as docs/operations.md says a client should: it is recorded once.

export type LedgerInput = z.input<typeof api.CreateLedgerBody>;
export type AccountInput = z.input<typeof api.OpenAccountBody>;
export type TransactionInput = z.input<typeof api.TransactionBody>;
export type ReverseInput = z.input<typeof api.ReverseBody>;
export type CorrectInput = z.input<typeof api.CorrectBody>;
export type Ledger = z.output<typeof api.Ledger>;
export type Account = z.output<typeof api.Account>;
export type Transaction = z.output<typeof api.Transaction>;
export type Balance = z.output<typeof api.Balance>;
export type Problem = z.output<typeof api.Problem>;

/** An event of the feed (spec section 6). */
export interface FeedEvent {
  readonly ledgerId: string;
  readonly position: number;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: string;
  readonly requestId: string;
  readonly prevHash: string;
  readonly hash: string;
  readonly data: Record<string, unknown>;
}

/** A final refusal: a problem+json answer that sending the same request again will not change. */
export class LedgerProblem extends Error {
  readonly status: number;
  readonly problem: Problem;

  constructor(status: number, problem: Problem) {
    super(`${status} ${problem.code}: ${problem.detail}${(problem.errors ?? []).map((e) => ` ${e.path}: ${e.message}.`).join('')}`);
    this.name = 'LedgerProblem';
    this.status = status;
    this.problem = problem;
  }
}

/** No final answer after every try: the write may or may not be recorded. Send it again with `idempotencyKey`. */
export class LedgerUnreachable extends Error {
  readonly idempotencyKey: string | undefined;

  constructor(message: string, idempotencyKey: string | undefined, cause: unknown) {
    super(message, { cause });
    this.name = 'LedgerUnreachable';
    this.idempotencyKey = idempotencyKey;
  }
}

/** A write's answer: 201 when this call recorded it, 200 (`replayed`) when an earlier try had. */
export interface Written<T> {
  readonly body: T;
  readonly replayed: boolean;
}

export interface LedgerClientOptions {
  /** The service, e.g. `http://localhost:3000`. */
  readonly baseUrl: string;
  readonly apiKey: string;
  /** Tries per request before `LedgerUnreachable` (default 5); 1 turns retrying off. */
  readonly attempts?: number;
  /** The first pause between tries, doubled each time up to 5 s (default 100 ms). */
  readonly retryDelayMs?: number;
  /** Per try (default 30 s). */
  readonly timeoutMs?: number;
  readonly fetch?: typeof fetch;
}

export interface WriteOptions {
  /** Makes the write idempotent; the default is a new random key per call (kept across its tries). */
  readonly idempotencyKey?: string;
}

/** Either recorded coordinate, and the effective one (spec section 3). */
export interface AsOfQuery {
  readonly recordedAsOf?: string;
  readonly recordedAsOfPosition?: number;
  readonly effectiveAsOf?: string;
}

export type LedgerClient = ReturnType<typeof ledgerClient>;

const MAX_RETRY_DELAY_MS = 5_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const segment = encodeURIComponent;

function queryString(query: Readonly<Record<string, string | number | undefined>>): string {
  const entries = Object.entries(query).filter((entry): entry is [string, string | number] => entry[1] !== undefined);
  return entries.length === 0 ? '' : `?${new URLSearchParams(entries.map(([k, v]): [string, string] => [k, String(v)])).toString()}`;
}

export function ledgerClient(options: LedgerClientOptions) {
  const send = options.fetch ?? fetch;
  const attempts = options.attempts ?? 5;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');

  /** One request, sent again while there is no final answer. Writes go with an Idempotency-Key. */
  async function request<T>(method: 'GET' | 'POST', path: string, body?: unknown, write?: WriteOptions): Promise<Written<T>> {
    const idempotencyKey = method === 'POST' ? (write?.idempotencyKey ?? `ik_${crypto.randomUUID()}`) : undefined;
    const headers: Record<string, string> = { Authorization: `Bearer ${options.apiKey}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (idempotencyKey) headers['Idempotency-Key'] = idempotencyKey;
    let delayMs = options.retryDelayMs ?? 100;
    let lastFailure: unknown;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      if (attempt > 1) {
        await sleep(delayMs);
        delayMs = Math.min(delayMs * 2, MAX_RETRY_DELAY_MS);
      }
      let response: Response;
      let answer: unknown;
      try {
        response = await send(`${baseUrl}${path}`, {
          method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(options.timeoutMs ?? 30_000),
        });
        answer = await response.json();
      } catch (error) {
        lastFailure = error; // refused, cut or timed out: no final answer
        continue;
      }
      if (response.ok) return { body: answer as T, replayed: response.headers.get('idempotent-replayed') === 'true' };
      if (response.status === 503) {
        lastFailure = new LedgerProblem(503, answer as Problem);
        continue;
      }
      throw new LedgerProblem(response.status, answer as Problem);
    }
    throw new LedgerUnreachable(`${method} ${path}: no final answer after ${attempts} tries`, idempotencyKey, lastFailure);
  }

  const read = async <T>(path: string) => (await request<T>('GET', path)).body;
  const ledger = (ledgerId: string) => `/v1/ledgers/${segment(ledgerId)}`;

  return {
    request,
    createLedger: (input: LedgerInput, write?: WriteOptions) => request<Ledger>('POST', '/v1/ledgers', input, write),
    ledger: (ledgerId: string) => read<Ledger>(ledger(ledgerId)),
    openAccount: (ledgerId: string, input: AccountInput, write?: WriteOptions) => request<Account>('POST', `${ledger(ledgerId)}/accounts`, input, write),
    recordTransaction: (ledgerId: string, input: TransactionInput, write?: WriteOptions) =>
      request<Transaction>('POST', `${ledger(ledgerId)}/transactions`, input, write),
    recordBatch: (ledgerId: string, input: { transactions: TransactionInput[]; atomic?: boolean }, write?: WriteOptions) =>
      request<{ atomic: boolean; recorded: boolean; results: { status: number; transaction?: Transaction; problem?: Problem }[] }>(
        'POST', `${ledger(ledgerId)}/transactions/batch`, input, write),
    reverse: (ledgerId: string, transactionId: string, input: ReverseInput, write?: WriteOptions) =>
      request<Transaction>('POST', `${ledger(ledgerId)}/transactions/${segment(transactionId)}/reverse`, input, write),
    correct: (ledgerId: string, transactionId: string, input: CorrectInput, write?: WriteOptions) =>
      request<{ reversal: Transaction; replacement: Transaction }>('POST', `${ledger(ledgerId)}/transactions/${segment(transactionId)}/correct`, input, write),
    transaction: (ledgerId: string, transactionId: string, asOf: AsOfQuery = {}) =>
      read<Transaction>(`${ledger(ledgerId)}/transactions/${segment(transactionId)}${queryString({ ...asOf })}`),
    balance: (ledgerId: string, accountId: string, asOf: AsOfQuery = {}) =>
      read<Balance>(`${ledger(ledgerId)}/accounts/${segment(accountId)}/balance${queryString({ ...asOf })}`),
    /** The feed: the events after `after`, at most `limit`, and the head. */
    events: (ledgerId: string, after: number, limit = 1000) =>
      read<{ events: FeedEvent[]; head: number }>(`${ledger(ledgerId)}/events${queryString({ after, limit })}`),
    /** The head of the chain, and of the Merkle tree with its signed checkpoint when the service signs (spec section 12). */
    digest: (ledgerId: string) =>
      read<{ position: number; hash: string; treeSize?: number; rootHash?: string; checkpoint?: string; verifierKey?: string }>(`${ledger(ledgerId)}/digest`),
    inclusionProof: (ledgerId: string, position: number, treeSize?: number) =>
      read<InclusionProof>(`${ledger(ledgerId)}/proofs/inclusion${queryString({ position, treeSize })}`),
    consistencyProof: (ledgerId: string, from: number, to?: number) =>
      read<ConsistencyProof>(`${ledger(ledgerId)}/proofs/consistency${queryString({ from, to })}`),
  };
}
