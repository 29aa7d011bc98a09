import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { chromium, type Browser, type Page, type Route } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSignerKey } from '../../src/app/signed-note.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { transfer } from '../support/http.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// The console's transaction screen proves each event of the transaction in the ledger's Merkle
// tree (spec section 12), in the browser: the inclusion proof from the route, the leaf from the
// event's hash, the root of the digest's checkpoint, its Ed25519 signature with WebCrypto. The
// real server (`npm start` with a signing key, on PostgreSQL when DATABASE_URL is set, else on
// PGlite), the Debian package's Chromium. A proof or a checkpoint altered on its way to the page
// (playwright's page.route) must show as failed. Without a signing key (the unsigned root of the
// digest): test/http/console.e2e.test.ts.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

interface Setup { server: Server; ledgerId: string; auditorKey: string }
/** The little of the browser's globals the page functions use (the tests compile without the DOM library). */
type BrowserGlobals = { getComputedStyle(element: unknown): { color: string } };

/** A ledger with a hold captured after 40 other entries: the hold's two events are positions 4 and 45 of a tree of 45. */
async function seed(server: Server, adminKey: string): Promise<Setup> {
  const ledgerId = uniqueLedgerId('console-proofs');
  const L = `/v1/ledgers/${ledgerId}`;
  const post = async (path: string, body: unknown) => {
    const answer = await call(server, adminKey, 'POST', path, body);
    expect(answer.status, JSON.stringify(answer.body)).toBeLessThan(300);
    return answer.body;
  };
  await post('/v1/ledgers', { id: ledgerId, name: 'Proofs', timezone: 'UTC' });
  for (const id of ['bank', 'alice']) await post(`${L}/accounts`, { id, normalBalance: id === 'bank' ? 'debit' : 'credit', currency: 'USD' });
  await post(`${L}/transactions`, { ...transfer('card-1', '2099-03-02T09:00:00Z', 'alice', 'bank', '300.00'), status: 'pending', expiresAt: '2099-03-09T00:00:00Z' });
  await post(`${L}/transactions/batch`, { transactions: Array.from({ length: 40 }, (_, i) => transfer(undefined, '2099-03-01T10:00:00Z', 'bank', 'alice', `${i + 1}.00`)) });
  await post(`${L}/transactions/card-1/post`, { effectiveAt: '2099-03-06T08:00:00Z', postings: [{ accountId: 'alice', direction: 'debit', amount: '250.00' }, { accountId: 'bank', direction: 'credit', amount: '250.00' }] });
  const auditorKey = (await post('/v1/keys', { name: 'auditor', role: 'auditor', ledgerIds: [ledgerId] })).key as string;
  return { server, ledgerId, auditorKey };
}

describe.skipIf(!haveChromium)(`the console proves a transaction's events in the signed tree, in Chromium${haveChromium ? '' : ' (skipped: no /usr/bin/chromium)'}`, () => {
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  let signed: Setup;
  let verifierKey: string;
  let browser: Browser;

  beforeAll(async () => {
    const key = await generateSignerKey('ledger.test');
    verifierKey = key.verifierKey;
    const database: Record<string, string> = process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : { DATA_DIR: 'memory://' };
    signed = await seed(await startServer({ ...database, LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey, LEDGER_SIGNING_KEY: key.signerKey }), adminKey);
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
    await signed?.server.stop();
    stopAllServers();
  });

  const digestOf = async (setup: Setup) => (await call(setup.server, setup.auditorKey, 'GET', `/v1/ledgers/${setup.ledgerId}/digest`)).body;

  /**
   * Card-1's page for the auditor, each route of `tamper` answered by the server but altered on
   * its way to the page; its proof lines once the page has settled, and the page's errors. The
   * transaction panel is photographed into test-results/screenshots/console-proofs-<shot>.png.
   * `givenKeys`: the verifier key the auditor types in ('': none, the page uses the digest's),
   * the page shown again with each next one; `runs` has the lines of each, `lines` the last.
   */
  async function proofLines(setup: Setup, shot: string, tamper: Record<string, (body: Json) => void> = {}, givenKeys = ['']) {
    const context = await browser.newContext();
    const errors: string[] = [];
    await context.route('**/*', (route) => {
      if (new URL(route.request().url()).host === `127.0.0.1:${setup.server.port}`) return route.fallback();
      errors.push(`request to another host: ${route.request().url()}`);
      return route.abort();
    });
    const page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    for (const [path, change] of Object.entries(tamper)) {
      await page.route(`**/v1/ledgers/${setup.ledgerId}/${path}**`, async (route: Route) => {
        const response = await route.fetch();
        const body = (await response.json()) as Json;
        change(body);
        await route.fulfill({ response, json: body });
      });
    }
    await page.goto(`http://127.0.0.1:${setup.server.port}/console`);
    await page.fill('#key', setup.auditorKey);
    await page.click('#sign-in-form button[type=submit]');
    await settled(page);
    await page.fill('#ledger-id', setup.ledgerId);
    await page.click('#ledger-form button[type=submit]');
    await settled(page);
    await page.click('#nav a[href="#transaction"]');
    await page.fill('#transaction-id', 'card-1');
    const runs = [];
    for (const givenKey of givenKeys) {
      await page.fill('#verifier-key', givenKey);
      await page.click('#transaction-form button[type=submit]'); // the lines are emptied at once, drawn once checked
      await page.waitForSelector('#transaction-proofs li', { state: 'attached' });
      await settled(page);
      runs.push(await page.locator('#transaction-proofs li').evaluateAll((items) => items.map((li) => ({
        position: Number(li.getAttribute('data-position')), verdict: li.getAttribute('data-verdict'), text: li.textContent ?? '',
        time: li.querySelector('time')?.getAttribute('datetime') ?? null, color: (globalThis as unknown as BrowserGlobals).getComputedStyle(li).color,
      }))));
    }
    await mkdir(SCREENSHOTS, { recursive: true });
    await page.locator('#transaction-panel').screenshot({ path: `${SCREENSHOTS}console-proofs-${shot}.png` });
    await context.close();
    return { runs, lines: runs.at(-1)!, errors };
  }
  const settled = (page: Page) => page.waitForSelector('body[data-pending="0"]', { state: 'attached' });

  it('shows each event included in the tree signed at the head\'s time, with the right size, its proof and signature checked', async () => {
    const digest = await digestOf(signed);
    expect(digest.treeSize).toBe(45);
    // First as the digest gives the key, then (the same page, shown again) with the key the auditor holds.
    const { runs, errors } = await proofLines(signed, 'signed', {}, ['', verifierKey]);
    const [lines, withKey] = [runs[0]!, runs[1]!];
    expect(lines.map((l) => [l.position, l.verdict])).toEqual([[4, 'verified'], [45, 'verified']]);
    for (const line of lines) {
      expect(line.text).toMatch(new RegExp(`^Position ${line.position}: included in the tree signed at \\S+ \\S+ UTC \\(size 45\\)\\.`));
      expect(line.text).toContain(`the checkpoint's Ed25519 signature verifies with ${verifierKey} (the digest's own key: compare it with the one you were given).`);
      expect(line.time).toBe(digest.recordedAt);
    }
    const proof = (await call(signed.server, signed.auditorKey, 'GET', `/v1/ledgers/${signed.ledgerId}/proofs/inclusion?position=4&treeSize=45`)).body;
    expect(lines[0]!.text).toContain(`the audit path (${proof.auditPath.length} hashes) leads from this event's hash to the signed root`);
    expect(withKey.map((l) => [l.position, l.verdict])).toEqual([[4, 'verified'], [45, 'verified']]);
    for (const line of withKey) expect(line.text).toContain(`the checkpoint's Ed25519 signature verifies with ${verifierKey} (the key you gave).`);
    expect(errors).toEqual([]);
  });

  it('says which part fails when a byte of the audit path, the event\'s leaf or the checkpoint\'s signature is changed on the way, or the key given is not the signer\'s', async () => {
    const flipFirstByte = (hex: string) => `${(parseInt(hex.slice(0, 2), 16) ^ 1).toString(16).padStart(2, '0')}${hex.slice(2)}`;
    const path = await proofLines(signed, 'audit-path', { 'proofs/inclusion': (proof) => void (proof.auditPath[2] = flipFirstByte(proof.auditPath[2])) });
    expect(path.lines.map((l) => l.verdict)).toEqual(['failed', 'failed']);
    expect(path.lines[0]!.text).toBe('Position 4: proof does not verify: the inclusion proof: the audit path does not lead from position 4 to the root of the tree of size 45.');
    expect(path.lines[0]!.color).toBe('rgb(179, 38, 30)'); // --bad
    expect(path.errors).toEqual([]);

    const leaf = await proofLines(signed, 'leaf', { 'proofs/inclusion': (proof) => void (proof.leafHash = flipFirstByte(proof.leafHash)) });
    expect(leaf.lines.map((l) => l.text)).toEqual([4, 45].map((p) => `Position ${p}: proof does not verify: the inclusion proof: the event's leaf hash is not the proof's.`));

    const signature = await proofLines(signed, 'signature', {
      // A character of the signature's base64 past its 4-byte key hash: the key is the right one, its signature is not.
      digest: (digest) => void (digest.checkpoint = digest.checkpoint.replace(/( \S{20})(\S)(\S+\n)$/, (_: string, a: string, c: string, b: string) => `${a}${c === 'A' ? 'B' : 'A'}${b}`)),
    });
    const keyHash = verifierKey.split('+')[1];
    expect(signature.lines.map((l) => l.text)).toEqual([4, 45].map((p) => `Position ${p}: proof does not verify: the checkpoint's signature: the checkpoint carries no valid signature of ledger.test+${keyHash}.`));

    // Nothing altered, but the auditor gives the key they hold, and the service signs with another.
    const stranger = (await generateSignerKey('ledger.test')).verifierKey;
    const otherKey = await proofLines(signed, 'other-key', {}, [stranger]);
    expect(otherKey.lines.map((l) => l.text)).toEqual([4, 45].map((p) => `Position ${p}: proof does not verify: the checkpoint's signature: the checkpoint carries no valid signature of ledger.test+${stranger.split('+')[1]}.`));
  });
});
