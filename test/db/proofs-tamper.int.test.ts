import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTreeStore } from '../../src/adapters/db/tree-store.ts';
import { hashEvent } from '../../src/app/hash-chain.ts';
import { eventFromFeedJson } from '../../src/app/feed-json.ts';
import { checkConsistency, checkInclusion } from '../../src/app/proof-check.ts';
import type { ConsistencyProof, InclusionProof } from '../../src/domain/merkle-proof.ts';
import { generateSignerKey, openCheckpoint, signerFromKey, verifierFromKey, type Checkpoint, type NoteSigner, type NoteVerifier } from '../../src/app/signed-note.ts';
import { testApi, transfer, type Json, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// Issue 18's acceptance: a superuser (the database owner, the append-only triggers disabled) who
// edits a posting, deletes an event, reorders events, or truncates the log and regrows it makes
// the proofs against checkpoints signed before fail, and `npm run verify` names the first
// position that cannot be proven. Each story keeps two signed checkpoints, at 16 and 40 events,
// and grows to 48. Two forgers: one who leaves the Merkle tree alone (the changed events then
// fail their inclusion proofs; the tree itself still proves the old history consistent), and one
// who also rebuilds the tree from the changed events (then every inclusion proof at size 40 and
// every consistency proof from 40 fails).

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** A forger re-chains what they change, with the service's own hashing (docs/hash-chain.md). */
const hashOf = (e: Json) => hashEvent(eventFromFeedJson(JSON.stringify(e)));

function offline(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, ['scripts/verify.ts', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

describe.each(PRIVATE_DATABASES)('tampering against signed checkpoints on $name', (setup) => {
  let dispose: () => Promise<void>;
  let api: TestApi;
  let signer: NoteSigner;
  let verifier: NoteVerifier;
  let dir: string;
  beforeAll(async () => {
    const opened = await setup.open();
    dispose = opened.dispose;
    signer = await signerFromKey((await generateSignerKey('ledger.test')).signerKey);
    verifier = await verifierFromKey(signer.verifierKey);
    api = await testApi(opened.database, { signer });
    dir = await mkdtemp(join(tmpdir(), 'ledger-proofs-tamper-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const get = async (path: string) => api.call('GET', path);
  const grow = async (ledgerId: string, count: number, tag: string) => {
    const items = Array.from({ length: count }, (_, i) => transfer(`${tag}${i}`, '2026-04-01T10:00:00Z', 'bank', 'alice', `${i + 1}.00`));
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { atomic: true, transactions: items } });
    expect(answer.status, answer.text).toBe(200);
  };
  const signedHead = async (ledgerId: string) => (await get(`/v1/ledgers/${ledgerId}/digest`)).body.checkpoint as string;

  /** A ledger of 48 events, with checkpoints signed at 16 and at 40, its tree built. */
  async function story() {
    const ledgerId = await api.seedLedger();
    await grow(ledgerId, 12, 'a');
    const at16 = await signedHead(ledgerId);
    await grow(ledgerId, 24, 'b');
    const at40 = await signedHead(ledgerId);
    await grow(ledgerId, 8, 'c');
    expect(await api.head(ledgerId)).toBe(48);
    expect(await createTreeStore(api.database.db).build(ledgerId, 100)).toBe(48);
    const notes = [at16, at40];
    const [older, newer] = await Promise.all(notes.map(async (note) => (await openCheckpoint(note, verifier, ledgerId)) as Checkpoint));
    expect([older!.treeSize, newer!.treeSize]).toEqual([16, 40]);
    return { ledgerId, notes, checkpoint: newer!, events: (await get(`/v1/ledgers/${ledgerId}/events?limit=100`)).body.events as Json[] };
  }

  async function tamper(script: string, tables = ['events']): Promise<void> {
    const toggle = (on: boolean) => tables.map((t) => `alter table ${t} ${on ? 'enable' : 'disable'} trigger user`).join('; ');
    await api.database.asOwner((run) => run(`begin; ${toggle(false)}; ${script}; ${toggle(true)}; commit`));
  }

  /** The forger who also rebuilds the tree: the ledger's stored subtrees dropped, built again from the events as they are now. */
  async function rebuildTree(ledgerId: string) {
    await tamper(`delete from ledger_tree_nodes where ledger_id = ${literal(ledgerId)}`, ['ledger_tree_nodes']);
    await createTreeStore(api.database.db).build(ledgerId, 100);
  }

  /** Positions 1 to 40 whose inclusion proof at size 40, for the event the feed now gives there, verifies against the checkpoint signed at 40. */
  async function provable(ledgerId: string, checkpoint: Checkpoint): Promise<number[]> {
    const events = (await get(`/v1/ledgers/${ledgerId}/events?limit=100`)).body.events as Json[];
    const proven: number[] = [];
    for (let position = 1; position <= 40; position++) {
      const event = events.find((e) => e.position === position);
      const proof = await get(`/v1/ledgers/${ledgerId}/proofs/inclusion?position=${position}&treeSize=40`);
      if (event && proof.status === 200 && (await checkInclusion(proof.body as InclusionProof, checkpoint, event.hash)) === null) proven.push(position);
    }
    return proven;
  }

  /** Whether the service's consistency proof from 40 to its head verifies against the checkpoint signed at 40. */
  async function consistentWith(ledgerId: string, checkpoint: Checkpoint): Promise<boolean> {
    const proof = await get(`/v1/ledgers/${ledgerId}/proofs/consistency?from=40`);
    return proof.status === 200 && (await checkConsistency(proof.body as ConsistencyProof, checkpoint)) === null;
  }

  /** `npm run verify` over the export, the two checkpoints and the service's inclusion proofs at 40: its verdict. */
  async function audit(ledgerId: string, notes: string[]): Promise<string> {
    const folder = join(dir, ledgerId);
    await mkdir(join(folder, 'checkpoints'), { recursive: true });
    await Promise.all(notes.map((note, i) => writeFile(join(folder, 'checkpoints', String(i)), note)));
    const events = (await get(`/v1/ledgers/${ledgerId}/events?limit=100`)).body.events as Json[];
    await writeFile(join(folder, 'export.ndjson'), events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const proofs: string[] = [];
    for (let position = 1; position <= 40; position++) {
      const proof = await get(`/v1/ledgers/${ledgerId}/proofs/inclusion?position=${position}&treeSize=40`);
      if (proof.status === 200) proofs.push(JSON.stringify(proof.body));
    }
    await writeFile(join(folder, 'proofs.ndjson'), proofs.map((p) => `${p}\n`).join(''));
    const result = await offline([join(folder, 'export.ndjson'), '--checkpoint', join(folder, 'checkpoints'), '--key', signer.verifierKey, '--proofs', join(folder, 'proofs.ndjson')]);
    expect(result.code, result.stdout).toBe(result.stdout.startsWith('OK') ? 0 : 1);
    return result.stdout;
  }

  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

  it('proves an untouched ledger: every inclusion proof, the consistency proof, the audit', async () => {
    const { ledgerId, notes, checkpoint } = await story();
    expect(await provable(ledgerId, checkpoint)).toEqual(range(1, 40));
    expect(await consistentWith(ledgerId, checkpoint)).toBe(true);
    expect(await audit(ledgerId, notes)).toMatch(/^OK: verified positions 1 to 48, .*proven by 2 signed checkpoint\(s\) through 40/);
  });

  it('an edited posting, re-chained by a careful forger: its position and every later one cannot be proven', async () => {
    const { ledgerId, notes, checkpoint, events } = await story();
    const forged: Json[] = events.map((e) => ({ ...e, data: structuredClone(e.data) }));
    forged[19]!.data.postings[0].amount = '999.00';
    forged[19]!.data.postings[1].amount = '999.00';
    for (let i = 19; i < forged.length; i++) {
      forged[i]!.prevHash = forged[i - 1]!.hash;
      forged[i]!.hash = hashOf(forged[i]!);
    }
    await tamper(forged.slice(19).map((e) => `update events set data = ${literal(JSON.stringify(e.data))}::jsonb, prev_hash = ${literal(e.prevHash)}, hash = ${literal(e.hash)}
       where ledger_id = ${literal(ledgerId)} and position = ${e.position}`).join(';\n'));
    // The chain alone sees nothing: it was re-chained.
    expect((await get(`/v1/ledgers/${ledgerId}/verify`)).body).toEqual({ ok: true, checkedThrough: 48, firstBadPosition: null });
    expect(await provable(ledgerId, checkpoint)).toEqual(range(1, 19));
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 20: its inclusion proof fails/);
    // The tree left alone still proves the old history consistent; rebuilt from the forgery, nothing holds.
    expect(await consistentWith(ledgerId, checkpoint)).toBe(true);
    await rebuildTree(ledgerId);
    expect(await provable(ledgerId, checkpoint)).toEqual([]);
    expect(await consistentWith(ledgerId, checkpoint)).toBe(false);
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 17: .*the checkpoint of size 16 proves positions 1 to 16/);
  });

  it('a deleted event: its position cannot be proven', async () => {
    const { ledgerId, notes, checkpoint } = await story();
    await tamper(`delete from events where ledger_id = ${literal(ledgerId)} and position = 25`);
    // The tree still proves its neighbours (their block keeps its leaf hashes), not the event that is gone.
    expect(await provable(ledgerId, checkpoint)).toEqual([...range(1, 24), ...range(26, 40)]);
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 25: the chain breaks there/);
    await rebuildTree(ledgerId); // the build stops at the hole: no proof over it can be made
    expectNoProof(await get(`/v1/ledgers/${ledgerId}/proofs/inclusion?position=3&treeSize=40`), 25);
    expect(await provable(ledgerId, checkpoint)).toEqual([]);
    expect(await consistentWith(ledgerId, checkpoint)).toBe(false);
  });

  it('two events swapped, rows and hashes: the first of them cannot be proven', async () => {
    const { ledgerId, notes, checkpoint } = await story();
    const where = `ledger_id = ${literal(ledgerId)}`;
    await tamper(`
      update events set position = 1000000 where ${where} and position = 30;
      update events set position = 30 where ${where} and position = 31;
      update events set position = 31 where ${where} and position = 1000000`);
    expect(await provable(ledgerId, checkpoint)).toEqual([...range(1, 29), ...range(32, 40)]);
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 30:/);
    await rebuildTree(ledgerId);
    expect(await provable(ledgerId, checkpoint)).toEqual([]);
    expect(await consistentWith(ledgerId, checkpoint)).toBe(false);
  });

  it('the log truncated and grown again: the first new position cannot be proven', async () => {
    const { ledgerId, notes, checkpoint } = await story();
    const cut = ['events', 'postings', 'transactions', 'balance_checkpoints'];
    await tamper(cut.map((table) => `delete from ${table} where ledger_id = ${literal(ledgerId)} and position > 24`).join('; '), cut);
    expect(await api.head(ledgerId)).toBe(24);
    await grow(ledgerId, 24, 'regrown'); // through the service, triggers on: 25 to 48 again, other events
    expect(await api.head(ledgerId)).toBe(48);
    expect((await get(`/v1/ledgers/${ledgerId}/verify`)).body.ok).toBe(true);
    expect(await provable(ledgerId, checkpoint)).toEqual(range(1, 24));
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 25: its inclusion proof fails/);
    expect(await consistentWith(ledgerId, checkpoint)).toBe(true); // the tree, left alone, is the old one
    await rebuildTree(ledgerId);
    expect(await provable(ledgerId, checkpoint)).toEqual([]);
    expect(await consistentWith(ledgerId, checkpoint)).toBe(false);
    expect(await audit(ledgerId, notes)).toMatch(/^BAD at position 17: /);
  });
});

function expectNoProof(answer: { status: number; body: Json }, position: number) {
  expect(answer.status).toBe(404);
  expect(answer.body.detail).toContain(`no event at position ${position}`);
}
