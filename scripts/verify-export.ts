// The export part of `npm run verify` (scripts/verify.ts): one pass over the NDJSON feed.
import { accessSync, constants, createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CHAIN_START, checkChain } from '../src/app/hash-chain.ts';
import { eventFromFeedJson } from '../src/app/feed-json.ts';
import { eventLeafHash, GrowingTree, toHex } from '../src/app/merkle-tree.ts';
import { checkInclusion } from '../src/app/proof-check.ts';
import type { InclusionProof } from '../src/domain/merkle-proof.ts';
import type { Checkpoint } from '../src/app/signed-note.ts';
import type { RecordedEvent } from '../src/domain/events.ts';

export interface ExportChecks {
  readonly digest: { hash: string; position: number } | undefined;
  /** The signed checkpoints to check the export against, opened for its ledger (BAD otherwise). */
  readonly checkpoints: ((ledgerId: string) => Promise<Checkpoint[]>) | undefined;
  /** NDJSON of inclusion proofs (GET .../proofs/inclusion), each for the tree size of one of the checkpoints. */
  readonly proofsFile: string | undefined;
}

type Usage = (message: string) => never;

/** The signed notes of these paths: a file is one note, a directory every file in it (sorted). */
export function checkpointNotes(paths: readonly string[], usage: Usage): { file: string; note: string }[] {
  try {
    const files = paths.flatMap((path) => (statSync(path).isDirectory() ? readdirSync(path).sort().map((name) => join(path, name)) : [path]));
    return files.filter((file) => statSync(file).isFile()).map((file) => ({ file, note: readFileSync(file, 'utf8') }));
  } catch (error) {
    return usage(`cannot read a checkpoint: ${(error as Error).message}`);
  }
}

async function* lines(file: string): AsyncGenerator<{ line: string; lineNumber: number }> {
  let lineNumber = 0;
  for await (const line of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    lineNumber += 1;
    if (line.trim() !== '') yield { line, lineNumber };
  }
}

async function readProofs(file: string, usage: Usage): Promise<Map<number, InclusionProof[]>> {
  const proofs = new Map<number, InclusionProof[]>();
  try {
    for await (const { line } of lines(file)) {
      const proof = JSON.parse(line) as InclusionProof;
      proofs.set(proof.position, [...(proofs.get(proof.position) ?? []), proof]);
    }
  } catch (error) {
    usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  return proofs;
}

/** What an export's pass found: the first bad position with why, or how far it checked. */
interface Finding { position: number; why: string }

/** What the signed checkpoints and the inclusion proofs prove of the export's positions. */
interface Proven {
  /** Positions 1 to this are proven by a checkpoint whose root the export's first events make. */
  through: number;
  /** The first checkpoint (by size) that the export's first events do not make the root of. */
  failing: Checkpoint | null;
  /** Positions whose inclusion proof verifies, and those whose proof fails (with why). */
  readonly passed: Set<number>;
  readonly failed: Map<number, string>;
}

/**
 * Checks the export: the chain, then the digest, the checkpoints (each root over the export's
 * first events) and the inclusion proofs of its events. A position is proven when a checkpoint
 * of a size at or past it is proven, or when its own inclusion proof verifies; the verdict names
 * the first break of the chain or the first position that cannot be proven.
 */
export async function verifyExport(file: string, checks: ExportChecks, usage: Usage): Promise<{ ok: boolean; message: string }> {
  try {
    accessSync(file, constants.R_OK);
  } catch (error) {
    usage(`cannot read ${file}: ${(error as Error).message}`);
  }
  const proofs = checks.proofsFile === undefined ? new Map<number, InclusionProof[]>() : await readProofs(checks.proofsFile, usage);
  let signed: Map<number, Checkpoint> | undefined;
  let cursor = CHAIN_START;
  let hashAtDigest: string | undefined;
  const proven: Proven = { through: 0, failing: null, passed: new Set(), failed: new Map() };
  const findings: Finding[] = [];
  const tree = new GrowingTree();
  for await (const { line, lineNumber } of lines(file)) {
    let event: RecordedEvent;
    try {
      event = eventFromFeedJson(line);
    } catch (error) {
      findings.push({ position: cursor.position + 1, why: `line ${lineNumber}: ${(error as Error).message}` });
      break;
    }
    if (checks.checkpoints && !signed) signed = new Map((await checks.checkpoints(event.ledgerId)).map((c) => [c.treeSize, c]));
    const checked = checkChain(cursor, [event]);
    if (checked.firstBadPosition !== null) {
      findings.push({ position: checked.firstBadPosition, why: `the chain breaks there (verified through ${cursor.position})` });
      break;
    }
    cursor = checked.cursor;
    if (checks.digest && cursor.position === checks.digest.position) hashAtDigest = cursor.hash;
    tree.push(eventLeafHash(event.hash));
    const checkpoint = signed?.get(tree.size);
    if (checkpoint && !proven.failing) {
      if (toHex(tree.root()) === checkpoint.rootHash) proven.through = tree.size;
      else proven.failing = checkpoint;
    }
    for (const proof of proofs.get(event.position) ?? []) {
      const against = signed?.get(proof.treeSize);
      const why = against ? await checkInclusion(proof, against, event.hash) : `no checkpoint of tree size ${proof.treeSize} was given`;
      if (why) proven.failed.set(event.position, why);
      else proven.passed.add(event.position);
    }
  }
  for (const checkpoint of signed?.values() ?? []) {
    if (checkpoint.treeSize > cursor.position) proven.failing ??= checkpoint;
  }
  return verdict(cursor, [...findings, ...unproven(proven, cursor.position)], checks, hashAtDigest, signed, proven.through);
}

/** The first position the checkpoints and proofs leave unproven, when any check failed. */
function unproven(proven: Proven, exported: number): Finding[] {
  const { through, failing, passed, failed } = proven;
  const provenBy = through === 0 ? 'no checkpoint proves an earlier one' : `the checkpoint of size ${through} proves positions 1 to ${through}`;
  const findings: Finding[] = [...failed].filter(([position]) => position > through)
    .map(([position, why]) => ({ position, why: `its inclusion proof fails: ${why}; ${provenBy}` }));
  if (failing) {
    let position = through + 1;
    while (passed.has(position)) position += 1;
    const why = failing.treeSize > exported
      ? `a checkpoint was signed for tree size ${failing.treeSize}, but the export ends at ${exported}`
      : `the first ${failing.treeSize} events do not make the root signed for tree size ${failing.treeSize}`;
    findings.push({ position, why: `${why}; ${provenBy}${position > through + 1 ? `, inclusion proofs ${through + 1} to ${position - 1}` : ''}` });
  }
  // A proof that fails for a position a checkpoint proves anyway: still a lie of the service.
  if (findings.length === 0) findings.push(...[...failed].map(([position, why]) => ({ position, why: `its inclusion proof fails: ${why} (${provenBy})` })));
  return findings;
}

function verdict(cursor: { position: number; hash: string }, findings: Finding[], checks: ExportChecks, hashAtDigest: string | undefined, signed: Map<number, Checkpoint> | undefined, provenThrough: number) {
  if (checks.digest && hashAtDigest !== checks.digest.hash && !findings.some((f) => f.position <= checks.digest!.position)) {
    const { hash, position } = checks.digest;
    findings.push({ position: position > cursor.position ? cursor.position + 1 : position, why: `the export does not match the digest ${hash}@${position} (verified through ${cursor.position})` });
  }
  if (cursor.position === 0 && findings.length === 0) findings.push({ position: 1, why: 'the export holds no event (every ledger starts with LedgerCreated)' });
  if (findings.length > 0) {
    const first = findings.reduce((a, b) => (b.position < a.position ? b : a));
    return { ok: false, message: `BAD at position ${first.position}: ${first.why}` };
  }
  const checkpoints = signed?.size ?? 0;
  const extras = [checks.digest ? `matching the digest at ${checks.digest.position}` : '', checkpoints > 0 ? `proven by ${checkpoints} signed checkpoint(s) through ${provenThrough}` : '']
    .filter(Boolean).join(', ');
  return { ok: true, message: `OK: verified positions 1 to ${cursor.position}, head hash ${cursor.hash}${extras ? `, ${extras}` : ''}` };
}
