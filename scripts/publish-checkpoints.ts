// Keeps each ledger's signed checkpoints outside the service (docs/proofs.md, "Keeping
// checkpoints outside"), in a directory that only grows and can be mirrored anywhere:
//   LEDGER_URL=http://localhost:3000 LEDGER_KEY=lk_... npm run --silent checkpoints:publish -- --dir DIR --key VERIFIER_KEY <ledgerId>...
// For each ledger: the digest's checkpoint, verified with the verifier key given here, shown by a
// consistency proof to extend the latest checkpoint in DIR/<ledgerId>/, is written to
// DIR/<ledgerId>/<tree size, 16 digits>, once. Exits 0 when all are published or already were,
// 1 when one is BAD (a signature, or a tree that does not extend the last one kept), 2 on bad arguments.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { checkConsistency } from '../src/app/proof-check.ts';
import type { ConsistencyProof } from '../src/domain/merkle-proof.ts';
import { openCheckpoint, verifierFromKey, type Checkpoint, type NoteVerifier } from '../src/app/signed-note.ts';

const USAGE = 'usage: LEDGER_URL=... LEDGER_KEY=... npm run --silent checkpoints:publish -- --dir DIR --key VERIFIER_KEY <ledgerId>...';
let args;
try {
  args = parseArgs({ allowPositionals: true, options: { dir: { type: 'string' }, key: { type: 'string' } } });
} catch (error) {
  console.error(`${(error as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values: { dir, key }, positionals: ledgerIds } = args;
const base = process.env.LEDGER_URL ?? 'http://localhost:3000';
const apiKey = process.env.LEDGER_KEY;
if (!dir || !key || !apiKey || ledgerIds.length === 0) {
  console.error(USAGE);
  process.exit(2);
}
const verifier = await verifierFromKey(key).catch((error: unknown) => {
  console.error(`--key: ${(error as Error).message}`);
  return process.exit(2);
});

async function get<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`, { headers: { Authorization: `Bearer ${apiKey}` } });
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

const fileName = (size: number) => String(size).padStart(16, '0');

/** Publishes one ledger's checkpoint; answers the line to print, and whether it is OK. */
async function publish(ledgerId: string, verifier: NoteVerifier): Promise<{ ok: boolean; line: string }> {
  const folder = join(dir!, ledgerId);
  const digest = await get<{ checkpoint?: string }>(`/v1/ledgers/${encodeURIComponent(ledgerId)}/digest`);
  if (!digest.checkpoint) return { ok: false, line: `BAD: ${ledgerId}: the digest carries no checkpoint (the service has no LEDGER_SIGNING_KEY)` };
  const checkpoint = await openCheckpoint(digest.checkpoint, verifier, ledgerId);
  if (typeof checkpoint === 'string') return { ok: false, line: `BAD: ${ledgerId}: ${checkpoint}` };
  mkdirSync(folder, { recursive: true });
  const kept = readdirSync(folder).filter((name) => /^[0-9]{16}$/.test(name)).sort();
  const latest = kept.at(-1);
  if (latest !== undefined) {
    const previous = await openCheckpoint(readFileSync(join(folder, latest), 'utf8'), verifier, ledgerId) as Checkpoint;
    if (previous.treeSize > checkpoint.treeSize) return { ok: false, line: `BAD: ${ledgerId}: the service's tree (size ${checkpoint.treeSize}) is smaller than the one kept (size ${previous.treeSize})` };
    const proof = await get<ConsistencyProof>(`/v1/ledgers/${encodeURIComponent(ledgerId)}/proofs/consistency?from=${previous.treeSize}&to=${checkpoint.treeSize}`);
    const why = await checkConsistency(proof, previous, checkpoint);
    if (why) return { ok: false, line: `BAD: ${ledgerId}: ${why}` };
    if (previous.treeSize === checkpoint.treeSize) return { ok: true, line: `${ledgerId}: size ${checkpoint.treeSize} already kept` };
  }
  writeFileSync(join(folder, fileName(checkpoint.treeSize)), digest.checkpoint, { flag: 'wx' });
  return { ok: true, line: `${ledgerId}: kept the checkpoint of size ${checkpoint.treeSize}` };
}

let failed = false;
for (const ledgerId of ledgerIds) {
  try {
    const { ok, line } = await publish(ledgerId, verifier);
    console.log(line);
    failed ||= !ok;
  } catch (error) {
    console.log(`BAD: ${ledgerId}: ${(error as Error).message}`);
    failed = true;
  }
}
process.exit(failed ? 1 : 0);
