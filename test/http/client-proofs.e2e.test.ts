import { beforeAll, expect, it } from 'vitest';
import { createTreeStore } from '../../src/adapters/db/tree-store.ts';
import { generateSignerKey, signerFromKey, type NoteSigner } from '../../src/app/signed-note.ts';
import { followFeed, memoryCheckpointStore } from '../../src/client/feed-follower.ts';
import { ledgerClient } from '../../src/client/ledger-client.ts';
import { ProofFailed, ProofVerifier } from '../../src/client/proof-verifier.ts';
import { describeOnEachDatabase, transfer } from '../support/http.ts';

// The typed client and the feed follower check what they read against signed checkpoints
// (spec section 12), trusting only the verifier key: each page of the feed is proven in a signed
// tree that extends the one trusted before; an event rewritten by a superuser afterwards is not.

let signer: NoteSigner;
beforeAll(async () => {
  signer = await signerFromKey((await generateSignerKey('ledger.test')).signerKey);
});

describeOnEachDatabase('the client and the feed follower verify proofs', (api) => {
  const client = () => ledgerClient({ baseUrl: 'http://ledger.test', apiKey: api.adminKey, fetch: (url, init) => Promise.resolve(api.app.request(String(url), init)) });
  const grow = async (ledgerId: string, count: number) => {
    const items = Array.from({ length: count }, (_, i) => transfer(undefined, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}.00`));
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: items } })).status).toBe(200);
  };

  it('follows a growing feed page by page, each page proven in a checkpoint that extends the last', async () => {
    const ledgerId = await api.seedLedger();
    await grow(ledgerId, 30);
    const proofs = await ProofVerifier.create(client(), ledgerId, signer.verifierKey);
    const handled: number[] = [];
    const checkpoints = memoryCheckpointStore();
    const follow = () => followFeed({ client: client(), ledgerId, checkpoints, pageSize: 10, untilCaughtUp: true, proofs, handle: async (events) => void handled.push(...events.map((e) => e.position)) });
    expect((await follow()).position).toBe(34);
    expect(proofs.checkpoint?.treeSize).toBe(34);
    await grow(ledgerId, 20);
    expect((await follow()).position).toBe(54);
    expect(handled).toEqual(Array.from({ length: 54 }, (_, i) => i + 1));
    expect(proofs.checkpoint?.treeSize).toBe(54);
    // Another key's checkpoints prove nothing.
    const stranger = await ProofVerifier.create(client(), ledgerId, (await generateSignerKey('ledger.test')).verifierKey);
    await expect(stranger.proveEvent({ position: 1, hash: '0'.repeat(64) })).rejects.toThrow(/no valid signature/);
  });

  it('refuses an event a superuser rewrote after the checkpoint its reader trusts', async () => {
    const ledgerId = await api.seedLedger();
    await grow(ledgerId, 40);
    const proofs = await ProofVerifier.create(client(), ledgerId, signer.verifierKey);
    await createTreeStore(api.database.db).build(ledgerId, 100);
    const feed = await client().events(ledgerId, 0);
    expect((await proofs.proveEvent(feed.events[29]!)).treeSize).toBe(44);
    // The owner, triggers off, rewrites event 30's hash (as a forger re-chaining from there would).
    await api.database.asOwner((run) => run(`begin; alter table events disable trigger user;
      update events set hash = repeat('ab', 32) where ledger_id = '${ledgerId}' and position = 30;
      alter table events enable trigger user; commit`));
    const rewritten = (await client().events(ledgerId, 29, 1)).events[0]!;
    const failure = await proofs.proveEvent(rewritten).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(ProofFailed);
    expect((failure as ProofFailed).position).toBe(30);
  });
}, { get signer() { return signer; } });
