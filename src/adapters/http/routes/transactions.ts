import { randomUUID } from 'node:crypto';
import type { Context } from 'hono';
import type { RecordedEvent } from '../../../domain/events.ts';
import { z } from '@hono/zod-openapi';
import type { TransactionInput } from '../../../domain/commands.ts';
import { parseInstantOrEndOfDay, parseInstantOrStartOfDay, parsePlainDate, parseTimestamp } from '../../../domain/time.ts';
import { route } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { NO_LEDGER } from '../../../domain/decide.ts';
import { asOfInput, asOfOr400, headerClaims, ledgerOr404, positionKey, problemOfWrite, readPage, runWrite, writeRequest, written } from '../handler-kit.ts';
import { metadataFilterOf, withMetadataFilter } from '../metadata-query.ts';
import { body, IDEMPOTENCY_KEY_HEADER, json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentAsOf, presentRecordedTransaction, presentTransaction } from '../presenters.ts';
import { problemBody, ProblemError, STATUS_OF } from '../problem.ts';
import { isRejection } from '../../../domain/rejection.ts';
import { AsOfQuery, BatchBody, CorrectBody, Problem, EntityId, PostHoldBody, ReverseBody, VoidHoldBody, LedgerId, page, PageQuery, Timestamp, TimestampOrDate, Transaction, TransactionBody } from '../schemas.ts';
import { routesApp } from '../request-validation.ts';

const LedgerParams = z.object({ ledgerId: LedgerId });
const TransactionParams = z.object({ ledgerId: LedgerId, id: EntityId });

const recordTransaction = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions', operationId: 'recordTransaction',
  summary: 'Record a transaction (posted, or pending: a hold); its id is its idempotency key', ...ledgerTag('transactions'),
  request: { params: LedgerParams, ...body(TransactionBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Transaction, 'Recorded'), 200: json(Transaction, 'Replayed'), ...PROBLEMS },
});

const BatchResult = z.object({
  status: z.number().int(),
  transaction: Transaction.optional(),
  problem: Problem.optional(),
}).openapi('BatchResult');

const recordBatch = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions/batch', operationId: 'recordTransactionBatch',
  summary: 'Record up to 1000 transactions, a result per item; with atomic: true, all of them in one commit or none', ...ledgerTag('transactions'),
  request: { params: LedgerParams, ...body(BatchBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 200: json(z.object({ atomic: z.boolean(), recorded: z.boolean(), results: z.array(BatchResult) }), 'A result per item, in order'), ...PROBLEMS },
});

const listTransactions = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/transactions', operationId: 'listTransactions',
  summary: 'List transactions in log order, by account, effective and recorded ranges, and metadata[key]=value', ...ledgerTag('transactions'),
  request: {
    params: LedgerParams,
    query: withMetadataFilter(AsOfQuery.extend(PageQuery.shape).extend({
      accountId: EntityId.optional(),
      effectiveFrom: TimestampOrDate.optional(), effectiveTo: TimestampOrDate.optional(),
      recordedFrom: Timestamp.optional(), recordedTo: Timestamp.optional(),
    })),
  },
  responses: { 200: json(page(Transaction), 'A page of transactions'), ...PROBLEMS },
});

const getTransaction = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/transactions/{id}', operationId: 'getTransaction',
  summary: 'One transaction, with its state and links as of recordedAsOf', ...ledgerTag('transactions'),
  request: { params: TransactionParams, query: AsOfQuery },
  responses: { 200: json(Transaction, 'The transaction'), ...PROBLEMS },
});

const reverseTransaction = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions/{id}/reverse', operationId: 'reverseTransaction',
  summary: 'Full reversal: every posting mirrored, effective by default when the original was', ...ledgerTag('transactions'),
  request: { params: TransactionParams, ...body(ReverseBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Transaction, 'The reversal'), 200: json(Transaction, 'Replayed'), ...PROBLEMS },
});

const correctTransaction = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions/{id}/correct', operationId: 'correctTransaction',
  summary: 'Full reversal and a replacement, atomically at consecutive positions', ...ledgerTag('transactions'),
  request: { params: TransactionParams, ...body(CorrectBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(z.object({ reversal: Transaction, replacement: Transaction }), 'The reversal and the replacement'), 200: json(z.object({ reversal: Transaction, replacement: Transaction }), 'Replayed'), ...PROBLEMS },
});

const postHold = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions/{id}/post', operationId: 'postHold',
  summary: 'Capture a hold, in full or for smaller amounts per (account, direction); the rest is released', ...ledgerTag('holds'),
  request: { params: TransactionParams, ...body(PostHoldBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Transaction, 'The hold, now posted'), 200: json(Transaction, 'Replayed'), ...PROBLEMS },
});

const voidHold = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/transactions/{id}/void', operationId: 'voidHold',
  summary: 'Release a hold', ...ledgerTag('holds'),
  request: { params: TransactionParams, ...body(VoidHoldBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Transaction, 'The hold, now voided'), 200: json(Transaction, 'Replayed'), ...PROBLEMS },
});

type Body = Omit<z.infer<typeof TransactionBody>, 'status' | 'expiresAt'> & Partial<Pick<z.infer<typeof TransactionBody>, 'status' | 'expiresAt'>>;

/** A timestamp, or a plain date for the decision to read in the ledger's timezone. */
function effectiveInput(text: string | undefined) {
  if (text === undefined) return undefined;
  return parsePlainDate(text) ? { date: text } : parseTimestamp(text);
}

/** The hold as it stood right after the event that resolved it: the same answer for a replay. */
async function holdAsResolved(c: Context<AppEnv>, ledgerId: string, holdId: string, event: RecordedEvent) {
  const row = await c.get('deps').store.transaction(ledgerId, holdId, event.position);
  return presentTransaction(row!, { effectiveAt: event.recordedAt });
}

export function transactionInput(input: Body, id: string): TransactionInput {
  return {
    id,
    status: input.status ?? 'posted',
    effectiveAt: effectiveInput(input.effectiveAt),
    expiresAt: input.expiresAt === undefined ? undefined : parseTimestamp(input.expiresAt),
    description: input.description ?? '',
    metadata: input.metadata ?? {},
    postings: input.postings,
  };
}

export const transactionRoutes = routesApp()
  .openapi(recordTransaction, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const input = c.req.valid('json');
    const transaction = transactionInput(input, input.id ?? `tx_${randomUUID()}`);
    const outcome = await runWrite(c, ledgerId, 'transactions.record', { type: 'RecordTransaction', transaction }, input);
    return written(c, outcome, presentRecordedTransaction(outcome.events[0]!));
  })
  .openapi(recordBatch, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const { transactions, atomic = false } = c.req.valid('json');
    // With an Idempotency-Key, each item is idempotent by the key and its index as well as by its id.
    const requests = transactions.map((input, i) =>
      writeRequest(c, { type: 'RecordTransaction', transaction: transactionInput(input, input.id ?? `tx_${randomUUID()}`) }, input, headerClaims(c, 'transactions.batch', i)));
    const { committer } = c.get('deps');
    const outcomes = atomic
      ? await committer.submitAtomic(ledgerId, requests)
      : await Promise.all(requests.map((request) => committer.submit(ledgerId, request)));
    if (outcomes.includes(NO_LEDGER)) throw problemOfWrite(ledgerId, NO_LEDGER);
    const results = outcomes.map((outcome) => {
      if (isRejection(outcome)) return { status: STATUS_OF[outcome.code], problem: problemBody(outcome.code, outcome.detail, outcome.errors) };
      return { status: outcome.replayed ? 200 : 201, transaction: presentRecordedTransaction(outcome.events[0]!) };
    });
    return c.json({ atomic, recorded: results.some((r) => r.status === 201), results }, 200);
  })
  .openapi(reverseTransaction, async (c) => {
    const { ledgerId, id } = c.req.valid('param');
    const input = c.req.valid('json');
    const reversal = { originalId: id, id: input.id ?? `rev_${randomUUID()}`, reason: input.reason, effectiveAt: effectiveInput(input.effectiveAt) };
    const outcome = await runWrite(c, ledgerId, 'transactions.reverse', { type: 'ReverseTransaction', reversal }, { ...input, originalId: id });
    return written(c, outcome, presentRecordedTransaction(outcome.events[0]!));
  })
  .openapi(correctTransaction, async (c) => {
    const { ledgerId, id } = c.req.valid('param');
    const input = c.req.valid('json');
    const reversal = { originalId: id, id: `rev_${randomUUID()}`, reason: input.reason, effectiveAt: effectiveInput(input.effectiveAt) };
    const replacement = transactionInput(input.replacement, input.replacement.id ?? `tx_${randomUUID()}`);
    const outcome = await runWrite(c, ledgerId, 'transactions.correct', { type: 'CorrectTransaction', reversal, replacement }, { ...input, originalId: id });
    const [reversed, replaced] = outcome.events.map(presentRecordedTransaction);
    return written(c, outcome, { reversal: reversed, replacement: replaced });
  })
  .openapi(postHold, async (c) => {
    const { ledgerId, id } = c.req.valid('param');
    const input = c.req.valid('json');
    const resolution = { holdId: id, id: input.id, effectiveAt: effectiveInput(input.effectiveAt) };
    const outcome = await runWrite(c, ledgerId, 'holds.post', { type: 'PostHold', resolution, postings: input.postings }, { ...input, holdId: id });
    return written(c, outcome, await holdAsResolved(c, ledgerId, id, outcome.events[0]!));
  })
  .openapi(voidHold, async (c) => {
    const { ledgerId, id } = c.req.valid('param');
    const input = c.req.valid('json');
    const resolution = { holdId: id, reason: input.reason, effectiveAt: effectiveInput(input.effectiveAt) };
    const outcome = await runWrite(c, ledgerId, 'holds.void', { type: 'VoidHold', resolution }, { ...input, holdId: id });
    return written(c, outcome, await holdAsResolved(c, ledgerId, id, outcome.events[0]!));
  })
  .openapi(listTransactions, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const ledger = await ledgerOr404(c, ledgerId);
    const filter = {
      accountId: query.accountId,
      effectiveFrom: query.effectiveFrom === undefined ? undefined : parseInstantOrStartOfDay(query.effectiveFrom, ledger.timezone),
      effectiveTo: query.effectiveTo === undefined ? undefined : parseInstantOrEndOfDay(query.effectiveTo, ledger.timezone),
      recordedFrom: query.recordedFrom === undefined ? undefined : parseTimestamp(query.recordedFrom),
      recordedTo: query.recordedTo === undefined ? undefined : parseTimestamp(query.recordedTo),
      metadata: metadataFilterOf(query),
    };
    const body = await readPage(c, ledger, query, {
      parseKey: positionKey,
      fetch: (asOf, after: number | undefined, limit) => c.get('deps').store.transactions(ledgerId, asOf.position, filter, after ?? 0, limit),
      keyOf: (t) => t.position,
      present: presentTransaction,
    });
    return c.json(body, 200);
  })
  .openapi(getTransaction, async (c) => {
    const { ledgerId, id } = c.req.valid('param');
    const ledger = await ledgerOr404(c, ledgerId);
    const asOf = await asOfOr400(c, ledger, asOfInput(c.req.valid('query')));
    const row = await c.get('deps').store.transaction(ledgerId, id, asOf.position);
    if (!row) throw new ProblemError('NOT_FOUND', `Transaction ${id} does not exist as of position ${asOf.position}.`);
    return c.json({ ...presentTransaction(row, asOf), asOf: presentAsOf(asOf) }, 200);
  });
