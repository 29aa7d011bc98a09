import { beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { createTreeStore } from '../../src/adapters/db/tree-store.ts';
import { createApp } from '../../src/adapters/http/app.ts';
import { GroupCommitter } from '../../src/app/group-commit.ts';
import { TreeKeeper } from '../../src/app/tree-keeper.ts';
import type { RecordedEvent } from '../../src/domain/events.ts';
import { eventLeafHash, fromHex, rootOf, toHex } from '../../src/app/merkle-tree.ts';
import { consistencyHolds, inclusionHolds, webCryptoSha256 } from '../../src/domain/merkle-proof.ts';
import { consistencyProof, inclusionProof } from '../../src/app/proofs.ts';
import { generateSignerKey, parseCheckpoint, signerFromKey, verifierFromKey, type NoteSigner } from '../../src/app/signed-note.ts';
import { describeOnEachDatabase, expectProblem, transfer, type Json } from '../support/http.ts';

// Spec section 12: the Merkle tree over a ledger's events, its inclusion and consistency proofs,
// and the signed tree head of the digest. Every proof is checked here with RFC 9162's algorithms
// against a tree built in memory from the feed's event hashes. The tree keeper
// (src/app/tree-keeper.ts) builds the tree behind the log: after a commit that crosses a multiple
// of 256 events, up to the last complete block of 16; a failing build is reported, never thrown.

let signer: NoteSigner;
beforeAll(async () => {
  signer = await signerFromKey((await generateSignerKey('ledger.test')).signerKey);
});

describeOnEachDatabase('Merkle proofs and signed checkpoints', (api) => {
  let ledgerId: string;
  let events: Json[];
  const leaves = () => events.map((e) => eventLeafHash(e.hash as string));

  beforeAll(async () => {
    ledgerId = await api.seedLedger();
    // 3 + 1 events so far; two batches make 87: blocks of 16 stored, and a tail after them.
    for (const count of [50, 33]) {
      const items = Array.from({ length: count }, (_, i) => transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}.25`));
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } });
      expect(answer.status, answer.text).toBe(200);
    }
    const feed = await api.call('GET', `/v1/ledgers/${ledgerId}/events?limit=1000`);
    events = feed.body.events as Json[];
    expect(events.length).toBe(87);
  });

  const get = (path: string, key?: string) => api.call('GET', `/v1/ledgers/${ledgerId}/${path}`, key ? { key } : {});

  it('the digest gives the tree head over every event (with a signing key, its checkpoint)', async () => {
    const digest = await get('digest');
    expect(digest.status, digest.text).toBe(200);
    expect(digest.body).toMatchObject({ position: 87, treeSize: 87, rootHash: toHex(rootOf(leaves())), verifierKey: signer.verifierKey });
    const unsigned = createApp({ store: createLedgerStore(api.database.db), committer: new GroupCommitter(createLedgerStore(api.database.db)), tree: createTreeStore(api.database.db) });
    const plain = await unsigned.request(`/v1/ledgers/${ledgerId}/digest`, { headers: { Authorization: `Bearer ${api.adminKey}` } });
    const { checkpoint: _, verifierKey: __, ...unsignedDigest } = digest.body;
    expect(await plain.json()).toEqual(unsignedDigest); // no signing key, no checkpoint
  });

  it('every inclusion proof, at several tree sizes, takes the event\'s leaf to the root', async () => {
    for (const treeSize of [1, 16, 33, 64, 86, 87]) {
      const root = rootOf(leaves().slice(0, treeSize));
      for (let position = 1; position <= treeSize; position += treeSize > 40 ? 7 : 1) {
        const answer = await get(`proofs/inclusion?position=${position}&treeSize=${treeSize}`);
        expect(answer.status, answer.text).toBe(200);
        const proof = answer.body;
        expect(proof).toMatchObject({ position, treeSize, leafHash: toHex(leaves()[position - 1]!), rootHash: toHex(root) });
        expect(await inclusionHolds(webCryptoSha256, position - 1, treeSize, fromHex(proof.leafHash), proof.auditPath.map(fromHex), root), `${position} in ${treeSize}`).toBe(true);
      }
    }
    const atHead = await get('proofs/inclusion?position=5');
    expect(atHead.body.treeSize).toBe(87);
  });

  it('every consistency proof shows the later tree extends the earlier', async () => {
    for (const [from, to] of [[1, 87], [16, 64], [17, 87], [31, 33], [64, 87], [87, 87], [5, 6]] as const) {
      const answer = await get(`proofs/consistency?from=${from}&to=${to}`);
      expect(answer.status, answer.text).toBe(200);
      const { fromRoot, toRoot, proof } = answer.body;
      expect(fromRoot).toBe(toHex(rootOf(leaves().slice(0, from))));
      expect(toRoot).toBe(toHex(rootOf(leaves().slice(0, to))));
      expect(await consistencyHolds(webCryptoSha256, from, to, fromHex(fromRoot), fromHex(toRoot), proof.map(fromHex)), `${from} to ${to}`).toBe(true);
    }
  });

  it('the same proofs from the events alone (no subtree stored yet), and from the stored tree', async () => {
    const fresh = await api.seedLedger();
    const items = Array.from({ length: 60 }, (_, i) => transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}`));
    expect((await api.call('POST', `/v1/ledgers/${fresh}/transactions/batch`, { body: { transactions: items } })).status).toBe(200);
    const freshLeaves = ((await api.call('GET', `/v1/ledgers/${fresh}/events?limit=1000`)).body.events as Json[]).map((e) => eventLeafHash(e.hash as string));
    expect(freshLeaves.length).toBe(64);
    const fromEvents = createTreeStore(api.database.db, { buildOnReadBlocks: 0 });
    const stored = createTreeStore(api.database.db);
    const check = async (tree: typeof stored) => {
      const inclusion = await inclusionProof(tree, fresh, 42, 63);
      expect(await inclusionHolds(webCryptoSha256, 41, 63, freshLeaves[41]!, inclusion.auditPath.map(fromHex), rootOf(freshLeaves.slice(0, 63)))).toBe(true);
      const consistency = await consistencyProof(tree, fresh, 19, 64);
      expect(await consistencyHolds(webCryptoSha256, 19, 64, rootOf(freshLeaves.slice(0, 19)), rootOf(freshLeaves), consistency.proof.map(fromHex))).toBe(true);
      return [inclusion, consistency];
    };
    const before = await check(fromEvents);
    expect(await fromEvents.build(fresh, 0)).toBe(0); // it built nothing
    expect(await stored.build(fresh, 1000)).toBe(64);
    expect(await check(stored)).toEqual(before);
  });

  it('stores every subtree as the root of its leaves, however many blocks each build makes', async () => {
    const uneven = await api.seedLedger();
    const items = Array.from({ length: 700 }, (_, i) => transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}`));
    expect((await api.call('POST', `/v1/ledgers/${uneven}/transactions/batch`, { body: { transactions: items } })).status).toBe(200);
    const unevenLeaves = ((await api.call('GET', `/v1/ledgers/${uneven}/events?limit=1000`)).body.events as Json[]).map((e) => eventLeafHash(e.hash as string));
    const tree = createTreeStore(api.database.db);
    // Builds that end at a left child, a right child, deep in a carry and at the last block.
    const covered = [];
    for (const blocks of [1, 2, 3, 5, 7, 12, 1000]) covered.push(await tree.build(uneven, blocks));
    const whole = Math.floor(unevenLeaves.length / 16);
    expect(covered).toEqual([16, 48, 96, 176, 288, 480, whole * 16]);
    const { rows } = await sql<{ level: number; index: string; hash: string }>`select level, index::text as index, encode(hash, 'hex') as hash
      from ledger_tree_nodes where ledger_id = ${uneven} order by level, index`.execute(api.database.db);
    let complete = 0; // every subtree of 16 leaves or more that the blocks built make whole, and no other
    for (let level = 4; 2 ** level <= whole * 16; level++) complete += Math.floor((whole * 16) / 2 ** level);
    expect(rows.length).toBe(complete);
    for (const row of rows) {
      const first = Number(row.index) * 2 ** row.level;
      expect(row.hash, `level ${row.level}, index ${row.index}`).toBe(toHex(rootOf(unevenLeaves.slice(first, first + 2 ** row.level))));
    }
  });

  it('answers 400 for a position or size out of range or malformed, and records nothing', async () => {
    for (const query of ['position=0&treeSize=5', 'position=6&treeSize=5', 'position=1&treeSize=88', 'position=x', 'treeSize=5', 'position=1&other=2', 'position=99999999999999999']) {
      expectProblem(await get(`proofs/inclusion?${query}`), 400, 'VALIDATION_FAILED');
    }
    for (const query of ['from=0&to=5', 'from=6&to=5', 'from=1&to=88', 'from=', 'to=5']) {
      expectProblem(await get(`proofs/consistency?${query}`), 400, 'VALIDATION_FAILED');
    }
    expect(await api.head(ledgerId)).toBe(87);
  });

  it('follows the digest\'s access: a reader key may not, a key of another ledger sees no ledger', async () => {
    const key = async (role: string, ledgerIds: string[]) => (await api.call('POST', '/v1/keys', { body: { name: role, role, ledgerIds } })).body.key as string;
    const reader = await key('reader', [ledgerId]);
    const other = await key('auditor', ['another-ledger']);
    const auditor = await key('auditor', [ledgerId]);
    for (const path of ['digest', 'proofs/inclusion?position=1', 'proofs/consistency?from=1']) {
      expectProblem(await get(path, reader), 403, 'FORBIDDEN');
      expectProblem(await get(path, other), 404, 'NOT_FOUND');
      expect((await get(path, auditor)).status).toBe(200);
    }
    expectProblem(await api.call('GET', '/v1/ledgers/no-such-ledger/proofs/inclusion?position=1'), 404, 'NOT_FOUND');
  });

  it('carries a checkpoint the verifier key opens: origin, tree size and root of the head', async () => {
    const ledgerId = await api.seedLedger();
    const digest = await api.call('GET', `/v1/ledgers/${ledgerId}/digest`);
    expect(digest.status, digest.text).toBe(200);
    const { checkpoint, verifierKey, treeSize, rootHash } = digest.body;
    expect(verifierKey).toBe(signer.verifierKey);
    const text = await (await verifierFromKey(verifierKey)).open(checkpoint);
    expect(text).not.toBeNull();
    expect(parseCheckpoint(text!)).toEqual({ origin: `ledger.test/ledgers/${ledgerId}`, treeSize, rootHash });
    expect(checkpoint).toMatch(new RegExp(`^ledger\\.test/ledgers/${ledgerId}\\n4\\n[A-Za-z0-9+/]{43}=\\n\\n\u2014 ledger\\.test [A-Za-z0-9+/]{91}=\\n$`));
  });
  const committed = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => ({ position: from + i }) as RecordedEvent);

  it('the tree keeper builds after a commit that crosses 256 events, and not after one that does not', async () => {
    const ledgerId = await api.seedLedger();
    for (const count of [250, 50]) {
      const items = Array.from({ length: count }, (_, i) => transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}.00`));
      expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } })).status).toBe(200);
    }
    const tree = createTreeStore(api.database.db);
    const keeper = new TreeKeeper(tree);
    keeper.committed(ledgerId, committed(5, 254)); // below 256: nothing to do
    await keeper.idle();
    expect(await tree.build(ledgerId, 0)).toBe(0); // 0 blocks: answers what is built, builds nothing
    keeper.committed(ledgerId, committed(255, 304));
    await keeper.idle();
    expect(await tree.build(ledgerId, 0)).toBe(304); // every complete block of the 304 events
    await keeper.close();
  });

  it('the tree keeper reports a failed build and goes on', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const keeper = new TreeKeeper({ build: async () => { calls += 1; throw new Error('the database is gone'); } }, (error) => errors.push(error));
    keeper.committed('a', committed(250, 260));
    keeper.committed('b', committed(500, 520));
    await keeper.idle();
    expect(calls).toBe(2);
    expect(errors.map(String)).toEqual(['Error: the database is gone', 'Error: the database is gone']);
  });

  it('is in the OpenAPI document', async () => {
    const doc = await api.app.request('/openapi.json');
    const paths = ((await doc.json()) as Json).paths as Json;
    expect(Object.keys(paths)).toEqual(expect.arrayContaining(['/v1/ledgers/{ledgerId}/proofs/inclusion', '/v1/ledgers/{ledgerId}/proofs/consistency']));
  });
}, { get signer() { return signer; } });
