import { z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { CHAIN_START, checkChain, type ChainCursor } from '../../../app/hash-chain.ts';
import type { RecordedEvent } from '../../../domain/events.ts';
import { formatInstant } from '../../../domain/time.ts';
import { route } from '../access.ts';
import { ledgerOr404 } from '../handler-kit.ts';
import { jsonBytes } from '../json-bytes.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { pageSizeOr } from '../limits.ts';
import { ProblemError } from '../problem.ts';
import { treeHead } from './proofs.ts';
import { LedgerId, MAX_PAGE_SIZE } from '../schemas.ts';

const LedgerParams = z.object({ ledgerId: LedgerId });
const Position = z.string().regex(/^(0|[1-9][0-9]{0,15})$/, 'a position');

const Event = z.object({
  ledgerId: z.string(), position: z.number().int(), type: z.string(), recordedAt: z.string(), actor: z.string(), requestId: z.string(),
  prevHash: z.string(), hash: z.string(), data: z.record(z.string(), z.unknown()),
}).openapi('Event');

const listEvents = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/events', operationId: 'listEvents',
  summary: 'The event feed: positions after+1 ... after+limit that exist, in order, with the head', ...ledgerTag('feed'),
  request: {
    params: LedgerParams,
    query: z.strictObject({
      after: Position.optional(),
      limit: z.string().regex(/^[1-9][0-9]{0,3}$/).refine((s) => Number(s) <= MAX_PAGE_SIZE, `at most ${MAX_PAGE_SIZE}`).optional(),
    }),
  },
  responses: { 200: json(z.object({ events: z.array(Event), head: z.number().int() }), 'The events'), ...PROBLEMS },
});

const streamEvents = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/events/stream', operationId: 'streamEvents',
  summary: 'The feed live, as Server-Sent Events (id = position); resumes from Last-Event-ID', ...ledgerTag('feed'),
  request: { params: LedgerParams, query: z.strictObject({ after: Position.optional() }) },
  responses: { 200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'The stream' }, ...PROBLEMS },
});

const Digest = z.object({
  position: z.number().int(), recordedAt: z.string(), hash: z.string(),
  treeSize: z.number().int().optional().openapi({ description: 'The Merkle tree over positions 1 to treeSize (the head): spec section 12' }),
  rootHash: z.string().optional().openapi({ description: 'Its root hash, lowercase hex' }),
  checkpoint: z.string().optional().openapi({ description: 'With a signing key: the tree head as a C2SP tlog-checkpoint signed note (docs/proofs.md)' }),
  verifierKey: z.string().optional().openapi({ description: 'With a signing key: the signed-note verifier key of the checkpoint' }),
}).openapi('Digest');

const getDigest = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/digest', operationId: 'getDigest',
  summary: 'The head of the hash chain: keep it outside the system to detect any later change', ...ledgerTag('feed'),
  request: { params: LedgerParams },
  responses: { 200: json(Digest, 'The digest'), ...PROBLEMS },
});

const verify = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/verify', operationId: 'verifyChain',
  summary: 'Re-checks the hash chain from position 1, and against a digest kept earlier if given (auditor)', ...ledgerTag('feed'),
  request: {
    params: LedgerParams,
    query: z.strictObject({ digestPosition: z.string().regex(/^[1-9][0-9]{0,15}$/, 'a position from 1').optional(), digestHash: z.string().regex(/^[0-9a-f]{64}$/).optional() }),
  },
  responses: { 200: json(z.object({ ok: z.boolean(), checkedThrough: z.number().int(), firstBadPosition: z.number().int().nullable() }), 'The verdict'), ...PROBLEMS },
});

export function presentEvent(e: RecordedEvent) {
  return {
    ledgerId: e.ledgerId, position: e.position, type: e.event.type, recordedAt: formatInstant(e.recordedAt), actor: e.actor, requestId: e.requestId,
    prevHash: e.prevHash, hash: e.hash, data: e.event.data,
  };
}

const PAGE = 500;
const POLL_MS = 200;
const HEARTBEAT_MS = 15_000;

export const feedRoutes = routesApp()
  .openapi(listEvents, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const ledger = await ledgerOr404(c, ledgerId);
    const after = Number(query.after ?? 0);
    const limit = pageSizeOr(query.limit, c.get('limits'));
    const events = await c.get('deps').store.eventsBetween(ledgerId, after + 1, after + limit);
    return jsonBytes(c, { events: events.map(presentEvent), head: Math.max(ledger.head, events.at(-1)?.position ?? 0) });
  })
  .openapi(streamEvents, async (c) => {
    const { ledgerId } = c.req.valid('param');
    await ledgerOr404(c, ledgerId);
    const lastEventId = c.req.header('Last-Event-ID');
    const resume = lastEventId !== undefined && /^(0|[1-9][0-9]{0,15})$/.test(lastEventId) ? Number(lastEventId) : undefined;
    let after = resume ?? Number(c.req.valid('query').after ?? 0);
    const { store, committer, shutdown } = c.get('deps');
    // One page in memory at a time, written with back-pressure: a slow consumer slows its own reads.
    return streamSSE(c, async (stream) => {
      // Woken by this process's commits of the ledger at once; other processes' are polled for.
      const ended = new AbortController();
      stream.onAbort(() => ended.abort());
      shutdown?.addEventListener('abort', () => ended.abort(), { once: true, signal: ended.signal });
      let quietSince = Date.now();
      while (!stream.aborted && !stream.closed && !shutdown?.aborted) {
        const events = await store.eventsBetween(ledgerId, after + 1, after + PAGE);
        for (const e of events) {
          await stream.writeSSE({ id: String(e.position), event: e.event.type, data: JSON.stringify(presentEvent(e)) });
          after = e.position;
        }
        if (events.length > 0) quietSince = Date.now();
        else if (Date.now() - quietSince >= HEARTBEAT_MS) {
          await stream.write(': heartbeat\n\n');
          quietSince = Date.now();
        }
        if (events.length < PAGE) await committer.nextCommit(ledgerId, POLL_MS, ended.signal);
      }
      ended.abort(); // lets go of the shutdown listener
    });
  })
  .openapi(getDigest, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const ledger = await ledgerOr404(c, ledgerId);
    const [head] = await c.get('deps').store.eventsBetween(ledgerId, ledger.head, ledger.head);
    if (!head) throw new ProblemError('NOT_FOUND', `Ledger ${ledgerId} has no events.`);
    return c.json({ position: head.position, recordedAt: formatInstant(head.recordedAt), hash: head.hash, ...(await treeHead(c, ledgerId, head.position)) }, 200);
  })
  .openapi(verify, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    if ((query.digestPosition === undefined) !== (query.digestHash === undefined)) {
      throw new ProblemError('VALIDATION_FAILED', 'Give digestPosition and digestHash together.', [{ path: 'digestHash', message: 'both or neither' }]);
    }
    const ledger = await ledgerOr404(c, ledgerId);
    const { store } = c.get('deps');
    let cursor: ChainCursor = CHAIN_START;
    let digestHashAt: string | undefined;
    // Up to the head, page after page: a short or empty page (a hole) is not the end of the log.
    while (cursor.position < ledger.head) {
      const events = await store.eventsBetween(ledgerId, cursor.position + 1, cursor.position + PAGE);
      const checked = checkChain(cursor, events);
      if (query.digestPosition !== undefined) digestHashAt ??= events.find((e) => e.position === Number(query.digestPosition))?.hash;
      const firstBadPosition = checked.firstBadPosition ?? (events.length === 0 ? cursor.position + 1 : null);
      if (firstBadPosition !== null) return c.json({ ok: false, checkedThrough: checked.cursor.position, firstBadPosition }, 200);
      cursor = checked.cursor;
    }
    // Against a digest kept outside: the log must still reach that position with that hash.
    if (query.digestPosition !== undefined && digestHashAt !== query.digestHash) {
      const position = Number(query.digestPosition);
      const firstBadPosition = position > cursor.position ? cursor.position + 1 : position;
      return c.json({ ok: false, checkedThrough: Math.min(cursor.position, firstBadPosition - 1), firstBadPosition }, 200);
    }
    return c.json({ ok: true, checkedThrough: cursor.position, firstBadPosition: null }, 200);
  });
