// "Included in the tree signed at ... (size N)" for each event of a transaction (spec section 12,
// docs/proofs.md), checked here in the browser with the code every other verifier runs
// (src/app/proof-check.ts and signed-note.ts over WebCrypto): the checkpoint's Ed25519 signature
// with the verifier key the auditor gave (#verifier-key), else the digest's, then for each event
// the leaf made from its own hash and the audit path of the inclusion route, up to the signed
// root. Without a signing key the root is the digest's, and the line says the tree is not signed.
import { checkInclusion } from '../app/proof-check.ts';
import { openCheckpoint, verifierFromKey, type Checkpoint } from '../app/signed-note.ts';
import type { InclusionProof } from '../domain/merkle-proof.ts';
import { track } from './api.ts';
import { $, el } from './dom.ts';
import type { LogEvent, Session } from './model.ts';
import { ledgerPath } from './overview.ts';
import { timeNode } from './times.ts';

/** `GET .../digest`: the head, and the tree head (spec section 12). */
export interface Digest {
  readonly position: number;
  readonly recordedAt: string;
  readonly hash: string;
  readonly treeSize?: number;
  readonly rootHash?: string;
  readonly checkpoint?: string;
  readonly verifierKey?: string;
}

/** The tree the events are proven in: its size and root (signed or not), and when its last event was recorded. */
export interface TreeHead {
  readonly tree: Checkpoint;
  readonly recordedAt: string;
  /** The key whose signature of the checkpoint verified; null when the service signs none. */
  readonly verifierKey: string | null;
  /** Whether the auditor gave that key (else it is the digest's own). */
  readonly keyGiven: boolean;
}

/** A failed check: which part, and why. */
export interface Failure {
  readonly part: string;
  readonly why: string;
}

const failed = (part: string, why: string): Failure => ({ part, why });

/** The digest's tree head, its checkpoint verified (with `givenKey`, else the digest's key) when it has one; or the part that failed. */
async function treeHeadOf(digest: Digest, ledgerId: string, givenKey: string): Promise<TreeHead | Failure> {
  if (digest.treeSize === undefined || digest.rootHash === undefined) return failed('the digest', 'this service serves no Merkle tree');
  if (digest.checkpoint === undefined) {
    return { tree: { origin: '', treeSize: digest.treeSize, rootHash: digest.rootHash }, recordedAt: digest.recordedAt, verifierKey: null, keyGiven: false };
  }
  const verifierKey = givenKey || digest.verifierKey || '';
  let checkpoint: Checkpoint | string;
  try {
    checkpoint = await openCheckpoint(digest.checkpoint, await verifierFromKey(verifierKey), ledgerId);
  } catch (error) {
    return failed('the checkpoint\'s signature', `it cannot be checked: ${(error as Error).message}`);
  }
  if (typeof checkpoint === 'string') return failed('the checkpoint\'s signature', checkpoint);
  if (checkpoint.treeSize !== digest.position) return failed('the checkpoint', `it is of tree size ${checkpoint.treeSize}, the digest's head is position ${digest.position}`);
  return { tree: checkpoint, recordedAt: digest.recordedAt, verifierKey, keyGiven: givenKey !== '' };
}

const isFailure = (value: object): value is Failure => 'why' in value;

/** A line of #transaction-proofs: [data-position] and [data-verdict] (verified or failed). */
function line(event: LogEvent, verdict: 'verified' | 'failed', className: string, children: Parameters<typeof el>[2]): HTMLLIElement {
  const item = el('li', className, [`Position ${event.position}: `, ...(children ?? [])]);
  item.dataset.position = String(event.position);
  item.dataset.verdict = verdict;
  return item;
}

const failureLine = (event: LogEvent, failure: Failure) => line(event, 'failed', 'bad', [`proof does not verify: ${failure.part}: ${failure.why}.`]);

function inclusionLine(event: LogEvent, head: TreeHead, proof: InclusionProof): HTMLLIElement {
  const path = `Checked in this browser: the audit path (${proof.auditPath.length} hashes) leads from this event's hash to the`;
  if (head.verifierKey) {
    return line(event, 'verified', 'good', ['included in the tree signed at ', timeNode(head.recordedAt), ` (size ${head.tree.treeSize}).`,
      el('span', 'sub', [`${path} signed root, and the checkpoint's Ed25519 signature verifies with ${head.verifierKey}`,
        head.keyGiven ? ' (the key you gave).' : ' (the digest\'s own key: compare it with the one you were given).'])]);
  }
  return line(event, 'verified', 'good', [`included in the tree of size ${head.tree.treeSize} (its last event recorded at `, timeNode(head.recordedAt), '; not signed).',
    el('span', 'sub', [`${path} digest's root `, el('span', 'hash', [head.tree.rootHash]), '. The service signs no checkpoint: the root is only as good as the digest it came from.'])]);
}

/** Each event's inclusion proof, fetched and checked against the tree head: a failure when it does not verify. */
async function proveEvent(session: Session, event: LogEvent, head: TreeHead): Promise<Failure | InclusionProof> {
  const answer = await session.api.get<InclusionProof>(ledgerPath(session, '/proofs/inclusion'), { position: event.position, treeSize: head.tree.treeSize });
  if (answer.problem || !answer.body) return failed('the inclusion proof', answer.problem ?? 'no answer');
  const why = await checkInclusion(answer.body, head.tree, event.hash);
  return why ? failed('the inclusion proof', why) : answer.body;
}

async function proveEvents(session: Session, events: readonly LogEvent[]): Promise<HTMLLIElement[]> {
  if (!globalThis.crypto?.subtle) {
    return events.map((e) => failureLine(e, failed('this page', 'the browser gives WebCrypto to secure pages only (HTTPS, or localhost): nothing was checked')));
  }
  const digest = await session.api.get<Digest>(ledgerPath(session, '/digest'));
  const givenKey = $<HTMLInputElement>('verifier-key').value.trim();
  const head = digest.body ? await treeHeadOf(digest.body, session.ledger!.id, givenKey) : failed('the digest', digest.problem ?? 'no answer');
  return Promise.all(events.map(async (event) => {
    if (isFailure(head)) return failureLine(event, head);
    const proven = await proveEvent(session, event, head);
    return isFailure(proven) ? failureLine(event, proven) : inclusionLine(event, head, proven);
  }));
}

/** Draws the verdict of each event in #transaction-proofs; `isCurrent` says whether the screen still shows them. */
export async function showInclusion(session: Session, events: readonly LogEvent[], isCurrent: () => boolean): Promise<void> {
  const lines = await track(proveEvents(session, events));
  if (isCurrent()) $('transaction-proofs').replaceChildren(...lines);
}
