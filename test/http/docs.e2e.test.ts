import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, stopAllServers, type Server } from '../support/server.ts';

// /docs in a real browser with every other host cut off: the API reference must come whole from
// the service (swagger-ui-dist in the package), as on a machine without internet.
const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const SCREENSHOTS = new URL('../../test-results/screenshots/', import.meta.url).pathname;

describe.skipIf(!haveChromium)(`/docs offline in Chromium${haveChromium ? '' : ` (skipped: ${CHROMIUM} is missing)`}`, () => {
  let server: Server;
  let browser: Browser;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: `lk_${randomBytes(24).toString('base64url')}` });
    browser = await chromium.launch({ executablePath: CHROMIUM });
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    stopAllServers();
  });

  it('renders the operations from the service alone, under a policy of self only', async () => {
    const origin = `http://127.0.0.1:${server.port}`;
    const context = await browser.newContext({ viewport: { width: 1280, height: 1600 } });
    const elsewhere: string[] = [];
    await context.route('**/*', (route) => {
      if (new URL(route.request().url()).origin === origin) return route.continue();
      elsewhere.push(route.request().url());
      return route.abort('internetdisconnected');
    });
    const page = await context.newPage();
    page.setDefaultTimeout(20_000);
    const problems: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${message.text()} at ${message.location().url}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('requestfailed', (request) => problems.push(`failed: ${request.url()}`));

    const response = await page.goto(`${origin}/docs`);
    expect(response!.status()).toBe(200);
    const policy = response!.headers()['content-security-policy'] ?? '';
    expect(policy).toContain("script-src 'self'");
    expect(policy).toContain("default-src 'none'");
    expect(policy).not.toContain('unsafe');

    // An operation of the document, its summary as /openapi.json gives it, rendered by Swagger UI.
    const summary = 'Record a transaction (posted, or pending: a hold); its id is its idempotency key';
    await page.getByText(summary).first().waitFor({ state: 'visible' });
    expect(await page.locator('.opblock-summary-path', { hasText: '/v1/ledgers/{ledgerId}/accounts/{accountId}/balance' }).count()).toBeGreaterThan(0);
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    await page.locator('.opblock-summary', { hasText: summary }).first().click();
    await page.locator('.opblock.is-open').first().waitFor({ state: 'visible' });

    await mkdir(SCREENSHOTS, { recursive: true });
    await page.screenshot({ path: `${SCREENSHOTS}docs.png`, fullPage: false });
    expect(elsewhere, 'requests to other hosts').toEqual([]);
    expect(problems, 'console errors, page errors, failed requests (a policy violation is a console error)').toEqual([]);
    await context.close();
  });

  it('serves Swagger UI\'s files as the installed package has them', async () => {
    const resolve = createRequire(import.meta.url).resolve;
    for (const [path, file, type] of [
      ['/docs/swagger-ui-bundle.js', 'swagger-ui-dist/swagger-ui-bundle.js', 'text/javascript'],
      ['/docs/swagger-ui.css', 'swagger-ui-dist/swagger-ui.css', 'text/css'],
    ] as const) {
      const answer = await fetch(`http://127.0.0.1:${server.port}${path}`);
      expect(answer.status, path).toBe(200);
      expect(answer.headers.get('content-type')).toContain(type);
      expect(await answer.text()).toBe(await readFile(resolve(file), 'utf8'));
    }
    expect((await fetch(`http://127.0.0.1:${server.port}/docs/index.html`)).status).toBe(404);
  });
});
