// The export part of `npm run verify` (scripts/verify.ts): one pass over the NDJSON feed.
import { accessSync, constants, createReadStream, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CHAIN_START, checkChain } from '../src/app/hash-chain.ts';
import { eventFromFeedJson } from '../src/app/feed-json.ts';
import { eventLeafHash, GrowingTree, toHex } from '../src/app/merkle-tree.ts';
import { checkInclusion } from '../src/app/proof-check.ts';
import type { InclusionProof } from '../src/app/proofs.ts';
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

/**
 * Checks the export: the chain, then the digest, the checkpoints (each root over the export's
 * first events: positions up to the largest that matches, below the first that does not, are
 * proven) and the inclusion proofs of its events. The verdict names the first position that
 * cannot be proven (or breaks the chain).
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
  let provenThrough = 0;
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
    if (checkpoint && toHex(tree.root()) !== checkpoint.rootHash) {
      findings.push({ position: provenThrough + 1, why: `the first ${tree.size} events do not make the root signed for tree size ${tree.size}; ${provenThrough === 0 ? 'no earlier checkpoint proves any' : `the checkpoint of size ${provenThrough} proves positions 1 to ${provenThrough}`}` });
    } else if (checkpoint && findings.length === 0) provenThrough = tree.size;
    for (const proof of proofs.get(event.position) ?? []) {
      const against = signed?.get(proof.treeSize);
      const why = against ? checkInclusion(proof, against, event.hash) : `no checkpoint of tree size ${proof.treeSize} was given for its proof`;
      if (why) findings.push({ position: event.position, why: `its inclusion proof fails: ${why}` });
    }
  }
  return verdict(cursor, findings, checks, hashAtDigest, signed, provenThrough);
}

function verdict(cursor: { position: number; hash: string }, findings: Finding[], checks: ExportChecks, hashAtDigest: string | undefined, signed: Map<number, Checkpoint> | undefined, provenThrough: number) {
  if (checks.digest && hashAtDigest !== checks.digest.hash && !findings.some((f) => f.position <= checks.digest!.position)) {
    const { hash, position } = checks.digest;
    findings.push({ position: position > cursor.position ? cursor.position + 1 : position, why: `the export does not match the digest ${hash}@${position} (verified through ${cursor.position})` });
  }
  for (const checkpoint of signed?.values() ?? []) {
    if (checkpoint.treeSize > cursor.position) findings.push({ position: cursor.position + 1, why: `a checkpoint was signed for tree size ${checkpoint.treeSize}, but the export ends at ${cursor.position}` });
  }
  if (cursor.position === 0 && findings.length === 0) findings.push({ position: 1, why: 'the export holds no event (every ledger starts with LedgerCreated)' });
  if (findings.length > 0) {
    const first = findings.reduce((a, b) => (b.position < a.position ? b : a));
    return { ok: false, message: `BAD at position ${first.position}: ${first.why}` };
  }
  const proofCount = [...signed?.values() ?? []].length;
  const extras = [checks.digest ? `matching the digest at ${checks.digest.position}` : '', proofCount > 0 ? `proven by ${proofCount} signed checkpoint(s) through ${provenThrough}` : '']
    .filter(Boolean).join(', ');
  return { ok: true, message: `OK: verified positions 1 to ${cursor.position}, head hash ${cursor.hash}${extras ? `, ${extras}` : ''}` };
}
