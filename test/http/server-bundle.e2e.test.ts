import { appendFile, mkdir, mkdtemp, rm, stat, unlink, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../scripts/build-server.ts';
// @ts-expect-error -- a JavaScript module of the launcher's, without types
import { BUNDLE_INPUTS, bundleIsCurrent } from '../../src/entry/bundle-current.js';
import { call, startServer, stopAllServers } from '../support/server.ts';

// `npm start` (src/entry/start.js) runs the server's bundle (scripts/build-server.ts) while every
// file that went into it is as it was, and the sources otherwise. The bundle must serve as the
// sources do (its modules find their files by their source's place: sql/, PGlite's thread), and
// a bundle built from other files than these must never run.

const ROOT = new URL('../../', import.meta.url);
const OWN_BUNDLE = `build/server-test-${process.pid}/`;
const isCurrent = bundleIsCurrent as (bundleDir: URL, root: URL) => boolean;
const dirs: string[] = [];

afterAll(async () => {
  stopAllServers();
  await rm(new URL(OWN_BUNDLE, ROOT), { recursive: true, force: true });
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('the server bundle', () => {
  it('is current as built, and serves a write and a balance as the sources do', { timeout: 120_000 }, async () => {
    await buildServer(new URL(OWN_BUNDLE, ROOT).pathname);
    expect(isCurrent(new URL(OWN_BUNDLE, ROOT), ROOT)).toBe(true);
    const dataDir = await mkdtemp(join(tmpdir(), 'ledger-bundle-data-'));
    dirs.push(dataDir);
    const key = 'lk_bundle_test_admin_key_0123456789';
    // A new data directory: the template copied by PGlite's thread, found by its source's place.
    const server = await startServer({ DATA_DIR: join(dataDir, 'data'), LEDGER_BOOTSTRAP_ADMIN_KEY: key }, `${OWN_BUNDLE}node.js`);
    try {
      expect((await call(server, key, 'POST', '/v1/ledgers', { id: 'bundled', name: 'Bundled' })).status).toBe(201);
      for (const [id, normalBalance] of [['cash', 'debit'], ['revenue', 'credit']]) {
        expect((await call(server, key, 'POST', '/v1/ledgers/bundled/accounts', { id, normalBalance, currency: 'USD' })).status).toBe(201);
      }
      const postings = [{ accountId: 'cash', direction: 'debit', amount: '12.34' }, { accountId: 'revenue', direction: 'credit', amount: '12.34' }];
      expect((await call(server, key, 'POST', '/v1/ledgers/bundled/transactions', { id: 'sale-1', postings })).status).toBe(201);
      const balance = await call(server, key, 'GET', '/v1/ledgers/bundled/accounts/cash/balance');
      expect(balance.status).toBe(200);
      expect(balance.body.ledgerBalance).toBe('12.34');
    } finally {
      await server.stop();
    }
  });

  it('is not current once a file that went into it is changed, touched, or gone, or without its list', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ledger-bundle-'));
    dirs.push(dir);
    const root = pathToFileURL(`${dir}/`);
    const bundle = new URL('bundle/', root);
    await writeFile(join(dir, 'a.ts'), 'export const a = 1;\n');
    await writeFile(join(dir, 'b.ts'), 'export const b = 2;\n');
    const listed = async () => {
      const entries = await Promise.all(['a.ts', 'b.ts'].map(async (path) => [path, [(await stat(join(dir, path))).size, (await stat(join(dir, path))).mtimeMs]]));
      await writeFile(join(dir, 'bundle', BUNDLE_INPUTS as string), JSON.stringify(Object.fromEntries(entries)));
    };
    expect(isCurrent(bundle, root)).toBe(false); // no bundle
    await mkdir(join(dir, 'bundle'));
    await listed();
    expect(isCurrent(bundle, root)).toBe(true);

    await appendFile(join(dir, 'a.ts'), '// edited\n');
    expect(isCurrent(bundle, root)).toBe(false);
    await listed();
    expect(isCurrent(bundle, root)).toBe(true);
    const { mtime } = await stat(join(dir, 'b.ts'));
    await utimes(join(dir, 'b.ts'), mtime, new Date(mtime.getTime() + 1000)); // same bytes, written again (a checkout)
    expect(isCurrent(bundle, root)).toBe(false);
    await listed();
    await unlink(join(dir, 'b.ts'));
    expect(isCurrent(bundle, root)).toBe(false);
  });
});
