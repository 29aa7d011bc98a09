// Verifies, with no database, what a ledger gave (docs/hash-chain.md, docs/proofs.md):
//   npm run verify -- export.ndjson [--digest HASH@POSITION] [--checkpoint FILE_OR_DIR ... --key VERIFIER_KEY [--proofs PROOFS.ndjson]]
//     an exported feed (NDJSON, one event per line as GET .../events gives them): the hash chain
//     from position 1, a digest kept earlier, signed checkpoints kept earlier (their roots over
//     the export's first events), and inclusion proofs of its events against those checkpoints;
//   npm run verify -- inclusion PROOF.json --checkpoint FILE --key VERIFIER_KEY [--event EVENT.json]
//   npm run verify -- consistency PROOF.json --checkpoint OLDER [--checkpoint NEWER] --key VERIFIER_KEY
//     one proof as GET .../proofs/inclusion or .../proofs/consistency gives it, against signed checkpoints.
// Prints the verdict (OK: ... or BAD at position N: ...); exits 0 when it verifies, 1 when it does not, 2 on bad arguments.
import { parseArgs } from 'node:util';
import { readFileSync } from 'node:fs';
import { checkConsistency, checkInclusion } from '../src/app/proof-check.ts';
import type { ConsistencyProof, InclusionProof } from '../src/domain/merkle-proof.ts';
import { openCheckpoint, verifierFromKey, type Checkpoint } from '../src/app/signed-note.ts';
import { checkpointNotes, verifyExport } from './verify-export.ts';

const USAGE = `usage: npm run verify -- <export.ndjson> [--digest HASH@POSITION] [--checkpoint FILE_OR_DIR ... --key VERIFIER_KEY [--proofs PROOFS.ndjson]]
       npm run verify -- inclusion <proof.json> --checkpoint FILE --key VERIFIER_KEY [--event EVENT.json]
       npm run verify -- consistency <proof.json> --checkpoint OLDER [--checkpoint NEWER] --key VERIFIER_KEY`;

function usage(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function bad(message: string): never {
  console.log(message);
  process.exit(1);
}

function readJson<T>(file: string): T {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (error) {
    return usage(`cannot read ${file}: ${(error as Error).message}`);
  }
}

let parsed;
try {
  parsed = parseArgs({
    allowPositionals: true,
    options: { digest: { type: 'string' }, checkpoint: { type: 'string', multiple: true }, key: { type: 'string' }, proofs: { type: 'string' }, event: { type: 'string' } },
  });
} catch (error) {
  usage((error as Error).message);
}
const { values, positionals } = parsed;
const verifier = values.key === undefined ? undefined : await verifierFromKey(values.key).catch((error: unknown) => usage(`--key: ${(error as Error).message}`));
if ((values.checkpoint !== undefined) !== (verifier !== undefined)) usage('--checkpoint and --key go together');

/** The signed checkpoints of these files (a directory: every file in it), or BAD. */
async function checkpoints(paths: readonly string[], ledgerId?: string): Promise<Checkpoint[]> {
  const opened: Checkpoint[] = [];
  for (const { file, note } of checkpointNotes(paths, usage)) {
    const checkpoint = await openCheckpoint(note, verifier!, ledgerId);
    if (typeof checkpoint === 'string') bad(`BAD: ${file}: ${checkpoint}`);
    opened.push(checkpoint);
  }
  return opened;
}

const [mode, proofFile] = positionals;
if (mode === 'inclusion' || mode === 'consistency') {
  if (!proofFile || positionals.length > 2 || !verifier || values.digest !== undefined || values.proofs !== undefined) usage(`${mode}: a proof file, --checkpoint and --key`);
  const [older, newer, ...more] = await checkpoints(values.checkpoint!);
  if (mode === 'inclusion') {
    if (newer) usage('inclusion: one --checkpoint');
    const proof = readJson<InclusionProof>(proofFile);
    const event = values.event === undefined ? undefined : readJson<{ position: number; hash: string }>(values.event);
    if (event && event.position !== proof.position) bad(`BAD at position ${proof.position}: the event given is at position ${event.position}`);
    const why = await checkInclusion(proof, older!, event?.hash);
    if (why) bad(`BAD at position ${proof.position}: ${why}`);
    console.log(`OK: position ${proof.position} is in the tree of size ${older!.treeSize} signed for ${older!.origin}${event ? ', with that event' : ''}`);
  } else {
    if (more.length > 0 || values.event !== undefined) usage('consistency: one or two --checkpoint, no --event');
    const proof = readJson<ConsistencyProof>(proofFile);
    const why = await checkConsistency(proof, older!, newer);
    if (why) bad(`BAD at position ${Math.min(proof.from, proof.to)}: ${why}`);
    console.log(`OK: the tree of size ${proof.to} extends the tree of size ${proof.from} signed for ${older!.origin}${newer ? ' (both signed)' : ''}`);
  }
} else {
  if (!mode || positionals.length > 1 || values.event !== undefined) usage('expected one export file');
  if (values.proofs !== undefined && !verifier) usage('--proofs needs --checkpoint and --key');
  const digest = values.digest === undefined ? undefined : /^([0-9a-f]{64})@([1-9][0-9]*)$/.exec(values.digest);
  if (values.digest !== undefined && !digest) usage('--digest takes HASH@POSITION');
  const verdict = await verifyExport(mode, {
    digest: digest ? { hash: digest[1]!, position: Number(digest[2]) } : undefined,
    checkpoints: verifier ? (ledgerId) => checkpoints(values.checkpoint!, ledgerId) : undefined,
    proofsFile: values.proofs,
  }, usage);
  console.log(verdict.message);
  process.exit(verdict.ok ? 0 : 1);
}
