import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSignerKey } from '../../src/app/signed-note.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// Spec section 12 end to end: the server as `npm start` runs it with LEDGER_SIGNING_KEY signs its
// checkpoints; `npm run checkpoints:publish` keeps them in a directory, checking each extends the
// last; `npm run verify` and the Python verifier written from docs/proofs.md alone
// (scripts/verify_proofs.py, standard library only) check inclusion and consistency proofs
// against them, with no database, and refuse altered ones.

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');

interface Run { code: number; stdout: string; stderr: string }

function run(command: string, args: readonly string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(command, args, { cwd: ROOT, env: { ...process.env, ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : -1) : 0, stdout, stderr });
    });
  });
}

// One server (PGlite): what is checked here happens in the scripts, with no database; the routes
// themselves run on both databases in proofs.e2e.test.ts and proofs-tamper.int.test.ts.
const SERVERS: { name: string; env: Record<string, string> }[] = [{ name: 'PGlite', env: { DATA_DIR: 'memory://' } }];

describe.each(SERVERS)('offline verification of proofs against signed checkpoints ($name)', ({ env }) => {
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  let server: Server;
  let keys: { signerKey: string; verifierKey: string };
  let dir: string;
  let ledgerId: string;
  const api = (path: string) => call(server, adminKey, 'GET', `/v1/ledgers/${ledgerId}${path}`);
  const publish = () => run(NODE, ['scripts/publish-checkpoints.ts', '--dir', join(dir, 'kept'), '--key', keys.verifierKey, ledgerId], {
    LEDGER_URL: `http://127.0.0.1:${server.port}`, LEDGER_KEY: adminKey,
  });
  const write = async (name: string, value: unknown) => {
    const file = join(dir, name);
    await writeFile(file, typeof value === 'string' ? value : JSON.stringify(value));
    return file;
  };
  const verifyTs = (...args: string[]) => run(NODE, ['scripts/verify.ts', ...args]);
  const verifyPy = (...args: string[]) => run('python3', ['scripts/verify_proofs.py', ...args]);
  const transfers = async (count: number) => {
    const transactions = Array.from({ length: count }, (_, i) => ({
      effectiveAt: '2026-03-01T10:00:00Z', postings: [{ accountId: 'bank', direction: 'debit', amount: `${i}.10` }, { accountId: 'alice', direction: 'credit', amount: `${i}.10` }],
    }));
    expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions })).status).toBe(200);
  };

  beforeAll(async () => {
    keys = await generateSignerKey('ledger.test');
    dir = await mkdtemp(join(tmpdir(), 'ledger-proofs-'));
    server = await startServer({ ...env, LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey, LEDGER_SIGNING_KEY: keys.signerKey });
    ledgerId = `proofs-${randomBytes(4).toString('hex')}`;
    expect((await call(server, adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Proofs' })).status).toBe(201);
    for (const [id, normalBalance] of [['bank', 'debit'], ['alice', 'credit']]) {
      expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/accounts`, { id, normalBalance, currency: 'USD' })).status).toBe(201);
    }
  });
  afterAll(async () => {
    await server?.stop();
    stopAllServers();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('publishes checkpoints that only grow, and both verifiers check proofs against them', async () => {
    await transfers(20); // 23 events
    const first = await publish();
    expect(first.stdout, first.stderr).toContain('kept the checkpoint of size 23');
    expect((await publish()).stdout).toContain('size 23 already kept');
    await transfers(30); // 53 events
    expect((await publish()).stdout).toContain('kept the checkpoint of size 53');
    const kept = (await readdir(join(dir, 'kept', ledgerId))).sort();
    expect(kept).toEqual(['0000000000000023', '0000000000000053']);
    const [older, newer] = kept.map((name) => join(dir, 'kept', ledgerId, name));
    expect((await api('/digest')).body.checkpoint).toBe(await readFile(newer!, 'utf8'));

    // Inclusion: an event of the feed, its proof at the newer checkpoint.
    const event = (await api('/events?after=16&limit=1')).body.events[0] as Json;
    const inclusion = await write('inclusion.json', (await api('/proofs/inclusion?position=17&treeSize=53')).body);
    const eventFile = await write('event.json', event);
    for (const verify of [verifyTs, verifyPy]) {
      const ok = await verify('inclusion', inclusion, '--checkpoint', newer!, '--key', keys.verifierKey, '--event', eventFile);
      expect(ok.stdout, ok.stderr).toMatch(/^OK: position 17 is in the tree of size 53/);
      expect(ok.code).toBe(0);
    }
    // Consistency: the older checkpoint to the newer.
    const consistency = await write('consistency.json', (await api('/proofs/consistency?from=23&to=53')).body);
    for (const verify of [verifyTs, verifyPy]) {
      const ok = await verify('consistency', consistency, '--checkpoint', older!, '--checkpoint', newer!, '--key', keys.verifierKey);
      expect(ok.stdout, ok.stderr).toMatch(/^OK: the tree of size 53 extends the tree of size 23/);
      expect(ok.code).toBe(0);
    }

    // Refused: another event, a changed audit path, the wrong checkpoint, another key, a forged note.
    const proof = JSON.parse(await readFile(inclusion, 'utf8')) as Json;
    const changed = await write('changed.json', { ...proof, auditPath: proof.auditPath.map((h: string, i: number) => (i === 2 ? `${h.slice(0, 63)}${h.endsWith('0') ? '1' : '0'}` : h)) });
    const other = await write('other-event.json', (await api('/events?after=17&limit=1')).body.events[0]);
    const otherKey = (await generateSignerKey('ledger.test')).verifierKey;
    const note = await readFile(newer!, 'utf8');
    const forged = await write('forged', note.replace(/\n53\n/, '\n54\n'));
    const cases: [string, string[]][] = [
      ['another event', ['inclusion', inclusion, '--checkpoint', newer!, '--key', keys.verifierKey, '--event', other]],
      ['a changed path', ['inclusion', changed, '--checkpoint', newer!, '--key', keys.verifierKey]],
      ['a checkpoint of another size', ['inclusion', inclusion, '--checkpoint', older!, '--key', keys.verifierKey]],
      ['another key', ['inclusion', inclusion, '--checkpoint', newer!, '--key', otherKey]],
      ['a forged note', ['inclusion', inclusion, '--checkpoint', forged, '--key', keys.verifierKey]],
      ['swapped checkpoints', ['consistency', consistency, '--checkpoint', newer!, '--checkpoint', older!, '--key', keys.verifierKey]],
    ];
    for (const [what, args] of cases) {
      for (const verify of [verifyTs, verifyPy]) {
        const bad = await verify(...args);
        expect(bad.stdout, `${what}: ${bad.stdout}${bad.stderr}`).toMatch(/^BAD/);
        expect(bad.code, what).toBe(1);
      }
    }
  });

  it('checks an export against every kept checkpoint and the inclusion proofs of its events', async () => {
    const events = (await api('/events?limit=1000')).body.events as Json[];
    const exported = await write('export.ndjson', events.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const proofs = [];
    for (const position of [1, 23, 40, 53]) proofs.push(JSON.stringify((await api(`/proofs/inclusion?position=${position}&treeSize=53`)).body));
    const proofsFile = await write('proofs.ndjson', `${proofs.join('\n')}\n`);
    const ok = await verifyTs(exported, '--checkpoint', join(dir, 'kept', ledgerId), '--key', keys.verifierKey, '--proofs', proofsFile);
    expect(ok.stdout, ok.stderr).toMatch(/^OK: verified positions 1 to 53, head hash [0-9a-f]{64}, proven by 2 signed checkpoint\(s\) through 53/);
    expect(ok.code).toBe(0);
    // An export cut short of a checkpoint cannot prove it.
    const cut = await write('cut.ndjson', events.slice(0, 40).map((e) => `${JSON.stringify(e)}\n`).join(''));
    const short = await verifyTs(cut, '--checkpoint', join(dir, 'kept', ledgerId), '--key', keys.verifierKey);
    expect(short.stdout).toMatch(/^BAD at position 24: a checkpoint was signed for tree size 53, but the export ends at 40; the checkpoint of size 23 proves positions 1 to 23/);
  });
});
