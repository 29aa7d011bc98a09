import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { consistencyProof, inclusionProof, MissingLeaf, treeRoot, type TreeReader } from '../../../app/proofs.ts';
import { checkpointText, ledgerOrigin } from '../../../app/signed-note.ts';
import { route } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { ledgerOr404 } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { routesApp } from '../request-validation.ts';
import { ProblemError } from '../problem.ts';
import { LedgerId } from '../schemas.ts';

const LedgerParams = z.object({ ledgerId: LedgerId });
const Size = z.string().regex(/^[1-9][0-9]{0,15}$/, 'a whole number from 1').refine((s) => Number.isSafeInteger(Number(s)), 'too large');
const Hex = z.string().openapi({ description: '32 bytes as lowercase hex', example: '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d' });

const InclusionProof = z.object({
  position: z.number().int(), treeSize: z.number().int(), leafHash: Hex, rootHash: Hex, auditPath: z.array(Hex),
}).openapi('InclusionProof');

const ConsistencyProof = z.object({
  from: z.number().int(), to: z.number().int(), fromRoot: Hex, toRoot: Hex, proof: z.array(Hex),
}).openapi('ConsistencyProof');

const getInclusion = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/proofs/inclusion', operationId: 'getInclusionProof',
  summary: 'The audit path of the event at a position in the Merkle tree of the first treeSize events (RFC 9162 2.1.3; docs/proofs.md)', ...ledgerTag('feed'),
  request: { params: LedgerParams, query: z.strictObject({ position: Size, treeSize: Size.optional().openapi({ description: 'the head when not given' }) }) },
  responses: { 200: json(InclusionProof, 'The inclusion proof'), ...PROBLEMS },
});

const getConsistency = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/proofs/consistency', operationId: 'getConsistencyProof',
  summary: 'The proof that the tree of the first `to` events extends that of the first `from` (RFC 9162 2.1.4; docs/proofs.md)', ...ledgerTag('feed'),
  request: { params: LedgerParams, query: z.strictObject({ from: Size, to: Size.optional().openapi({ description: 'the head when not given' }) }) },
  responses: { 200: json(ConsistencyProof, 'The consistency proof'), ...PROBLEMS },
});

type Ctx = Context<AppEnv>;

function treeOf(c: Ctx): TreeReader {
  const tree = c.get('deps').tree;
  if (!tree) throw new ProblemError('NOT_FOUND', 'This service does not serve proofs.');
  return tree;
}

/** A proof over a leaf with no event (a hole in the log) cannot be given: 404, naming it. */
async function proven<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof MissingLeaf) throw new ProblemError('NOT_FOUND', `No proof: ${error.message}.`);
    throw error;
  }
}

/** A size of the query, at most `most`: or 400 naming the field. */
function sizeAtMost(field: string, text: string | undefined, fallback: number, least: number, most: number): number {
  const value = text === undefined ? fallback : Number(text);
  if (value < least || value > most) {
    const message = value > most ? `at most ${most}` : `at least ${least}`;
    throw new ProblemError('VALIDATION_FAILED', `${field} must be from ${least} to ${most}.`, [{ path: field, message }]);
  }
  return value;
}

/**
 * The tree head for `GET .../digest` (spec section 12): size and root of the tree of the first
 * `treeSize` events, and with a signing key the signed checkpoint and the key to verify it.
 */
export async function treeHead(c: Ctx, ledgerId: string, treeSize: number) {
  const tree = c.get('deps').tree;
  if (!tree) return {};
  const rootHash = await proven(treeRoot(tree, ledgerId, treeSize));
  const signer = c.get('deps').signer;
  if (!signer) return { treeSize, rootHash };
  const checkpoint = await signer.sign(checkpointText({ origin: ledgerOrigin(signer.name, ledgerId), treeSize, rootHash }));
  return { treeSize, rootHash, checkpoint, verifierKey: signer.verifierKey };
}

export const proofRoutes = routesApp()
  .openapi(getInclusion, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const ledger = await ledgerOr404(c, ledgerId);
    const treeSize = sizeAtMost('treeSize', query.treeSize, ledger.head, 1, ledger.head);
    const position = sizeAtMost('position', query.position, 0, 1, treeSize);
    return c.json(await proven(inclusionProof(treeOf(c), ledgerId, position, treeSize)), 200);
  })
  .openapi(getConsistency, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const ledger = await ledgerOr404(c, ledgerId);
    const to = sizeAtMost('to', query.to, ledger.head, 1, ledger.head);
    const from = sizeAtMost('from', query.from, 0, 1, to);
    return c.json(await proven(consistencyProof(treeOf(c), ledgerId, from, to)), 200);
  });
