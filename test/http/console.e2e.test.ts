import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transfer } from '../support/http.ts';
import { call, startServer, stopAllServers, type Json, type Server } from '../support/server.ts';

// The auditor console (spec section 9) in a real browser: the Debian package's Chromium, never a
// downloaded one. The server is the real one (`npm start`) on an in-memory PGlite.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);

describe.skipIf(!haveChromium)(`the auditor console in Chromium${haveChromium ? '' : ` (skipped: ${CHROMIUM} is missing; apt-get install chromium)`}`, () => {
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  const ledgerId = 'console';
  let server: Server;
  let browser: Browser;
  let auditorKey: string;
  let readerKey: string;
  const seeded: Json = {};

  const api = async (path: string, key = adminKey) => {
    const answer = await call(server, key, 'GET', `/v1/ledgers/${ledgerId}${path}`);
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };
  const post = async (path: string, body: unknown) => {
    const answer = await call(server, adminKey, 'POST', path, body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body;
  };

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey });
    await post('/v1/ledgers', { id: ledgerId, name: 'Console', timezone: 'UTC' });
    for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
      await post(`/v1/ledgers/${ledgerId}/accounts`, account);
    }
    const L = `/v1/ledgers/${ledgerId}`;
    seeded.deposit = await post(`${L}/transactions`, transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '10000.00'));
    seeded.second = await post(`${L}/transactions`, transfer('dep-2', '2026-03-10T00:00:00Z', 'bank', 'alice', '500.00'));
    seeded.correction = await post(`${L}/transactions/dep-1/correct`, {
      reason: 'keyed 10,000 instead of 1,000', replacement: transfer('dep-1b', '2026-03-01T10:00:00Z', 'bank', 'alice', '1000.00'),
    });
    seeded.close = await post(`${L}/periods/close`, { through: '2026-03-31' });
    auditorKey = (await post('/v1/keys', { name: 'auditor', role: 'auditor', ledgerIds: [ledgerId] })).key;
    readerKey = (await post('/v1/keys', { name: 'reader', role: 'reader', ledgerIds: [ledgerId] })).key;
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    stopAllServers();
  });

  /** A fresh tab (its own sessionStorage) that records every console error and page error. */
  async function openConsole(): Promise<{ page: Page; errors: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    const errors: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error' || message.type() === 'warning') errors.push(`${message.type()}: ${message.text()} at ${message.location().url}`);
    });
    page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
    const response = await page.goto(`http://127.0.0.1:${server.port}/console`);
    expect(response!.status()).toBe(200);
    expect(response!.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response!.headers()['x-content-type-options']).toBe('nosniff');
    return { page, errors };
  }
  const settled = (page: Page) => page.waitForSelector('body[data-pending="0"]', { state: 'attached' });
  const text = async (page: Page, selector: string) => (await page.locator(selector).textContent())?.trim() ?? '';

  async function signInAndPick(page: Page, key: string) {
    await page.fill('#key', key);
    await page.click('#sign-in-form button[type=submit]');
    await settled(page);
    await page.fill('#ledger-id', ledgerId);
    await page.click('#ledger-form button[type=submit]');
    await settled(page);
    await page.selectOption('#account', 'alice');
    await settled(page);
  }
  async function showAt(page: Page, coordinates: { position?: number; recordedAsOf?: string; effectiveAsOf: string }) {
    if (coordinates.position !== undefined) await page.fill('#recorded-position', String(coordinates.position));
    await page.fill('#recorded-as-of', coordinates.recordedAsOf ?? '');
    await page.fill('#effective-as-of', coordinates.effectiveAsOf);
    await page.click('#show');
    await settled(page);
  }
  async function expectBalanceAsApi(page: Page, query: string) {
    const expected = await api(`/accounts/alice/balance?${query}`);
    expect(await text(page, '[data-field=ledgerBalance]')).toBe(`${expected.ledgerBalance} USD`);
    expect(await text(page, '[data-field=availableBalance]')).toBe(`${expected.availableBalance} USD`);
    expect(await text(page, '[data-field="posted.credits"]')).toBe(expected.posted.credits);
    expect(await text(page, '[data-field="asOf.position"]')).toBe(String(expected.asOf.position));
    expect(await text(page, '[data-field="asOf.effectiveAt"]')).toBe(expected.asOf.effectiveAt);
    return expected;
  }

  it('shows an auditor the balances, history, reversals, restatements and the chain', async () => {
    const { page, errors } = await openConsole();
    await signInAndPick(page, auditorKey);
    const head = (await api('')).head as number;
    expect(await page.locator('#recorded-position').getAttribute('max')).toBe(String(head));

    // Two pairs of timelines: before the correction was known (slider), and after it (a timestamp).
    await showAt(page, { position: seeded.second.position, effectiveAsOf: '2026-03-05' });
    const then = await expectBalanceAsApi(page, `recordedAsOfPosition=${seeded.second.position}&effectiveAsOf=2026-03-05`);
    expect(then.ledgerBalance).toBe('10000.00');
    await showAt(page, { recordedAsOf: seeded.correction.reversal.recordedAt, effectiveAsOf: '2026-03-31' });
    const now = await expectBalanceAsApi(page, `recordedAsOf=${encodeURIComponent(seeded.correction.reversal.recordedAt)}&effectiveAsOf=2026-03-31`);
    expect(now.ledgerBalance).toBe('1500.00');

    // One line per knowledge layer: the three commits that touched alice; the lines part.
    const paths = page.locator('#history path.layer');
    expect(await paths.count()).toBe(3);
    expect(await page.locator('#history-legend li').count()).toBe(3);
    const shapes = await paths.evaluateAll((nodes) => nodes.map((node) => node.getAttribute('d')));
    expect(new Set(shapes).size).toBe(3);
    expect(await page.locator('#history path.layer.current').getAttribute('data-recorded-at')).toBe(seeded.correction.reversal.recordedAt);

    // Reversals side by side, as the API gives them.
    const [reversal] = (await api('/reversals', auditorKey)).items as Json[];
    const row = page.locator('#reversals tr');
    expect(await row.count()).toBe(1);
    const cells = (await row.locator('td').allTextContents()).map((cell) => cell.trim());
    expect(cells[0]).toContain('dep-1');
    expect(cells[1]).toContain(reversal!.reversal.id);
    expect(cells[2]).toContain('dep-1b');
    expect(cells[3]).toBe('keyed 10,000 instead of 1,000');
    expect(cells[4]).toBe(reversal!.actor);
    expect(cells[5]).toBe(reversal!.recordedAt);
    expect(cells[6]).toBe('2026-03-01T10:00:00.000000Z');

    // Restatements between the second deposit and now: the correction, and alice before/after.
    await page.fill('#restate-from', seeded.second.recordedAt);
    await page.click('#restatements-form button[type=submit]');
    await settled(page);
    const restated = await api(`/restatements?recordedFrom=${encodeURIComponent(seeded.second.recordedAt)}`, auditorKey);
    const entryIds = (await page.locator('#restated-entries tr td:first-child').allTextContents()).map((t) => t.trim());
    expect(entryIds).toEqual(restated.entries.map((t: Json) => `${t.id}${t.reason ?? t.description ?? ''}`));
    expect(entryIds.join(' ')).toContain('dep-1b');
    const alice = page.locator('#restated-accounts tr', { hasText: 'alice' });
    const aliceExpected = restated.accounts.find((a: Json) => a.accountId === 'alice');
    expect((await alice.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['alice', 'USD', aliceExpected.before, aliceExpected.after]);
    expect(aliceExpected).toMatchObject({ before: '10500.00', after: '1500.00' });

    // The chain verifies up to the head, with the digest beside it.
    const digest = await api('/digest', auditorKey);
    expect(await text(page, '#chain-panel [data-status]')).toBe(`The hash chain verifies up to the head: positions 1 to ${head}.`);
    expect(await text(page, '[data-field="digest.hash"]')).toBe(digest.hash);

    await page.screenshot({ path: '/tmp/console.png', fullPage: true });
    expect(errors).toEqual([]);
    await page.context().close();
  });

  it('shows a reader the balances and history, and which panels need an auditor key', async () => {
    const { page, errors } = await openConsole();
    await signInAndPick(page, readerKey);
    await showAt(page, { position: seeded.deposit.position, effectiveAsOf: '2026-03-31' });
    await expectBalanceAsApi(page, `recordedAsOfPosition=${seeded.deposit.position}&effectiveAsOf=2026-03-31`);
    expect(await page.locator('#history path.layer').count()).toBe(3);
    for (const panel of ['reversals', 'restatements', 'chain']) {
      expect(await page.locator(`#${panel}-panel`).getAttribute('data-access')).toBe('needs-auditor');
      expect(await page.locator(`#${panel}-panel .needs-auditor`).isVisible()).toBe(true);
      expect(await text(page, `#${panel}-panel .needs-auditor`)).toContain('needs an auditor key');
      expect(await page.locator(`#${panel}-panel .panel-body`).isVisible()).toBe(false);
    }
    // The page asked for no auditor report: no 403 anywhere.
    expect(errors).toEqual([]);
    await page.context().close();
  });
});
