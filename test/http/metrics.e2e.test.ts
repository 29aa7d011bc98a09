import { randomBytes } from 'node:crypto';
import parsePrometheusTextFormat, { type ParsedFamily } from 'parse-prometheus-text-format';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../src/adapters/http/app.ts';
import { PrometheusMetrics } from '../../src/adapters/metrics/prometheus.ts';
import type { GroupCommitter } from '../../src/app/group-commit.ts';
import type { LedgerStore } from '../../src/app/ports.ts';
import { configFrom } from '../../src/entry/config.ts';
import { transfer } from '../support/http.ts';
import { call, startServer, stopAllServers, type Server } from '../support/server.ts';

// GET /metrics of the real Node entry (`npm start`), read over HTTP as Prometheus would and
// parsed by a Prometheus text-format parser: requests by route pattern and status, latency,
// group-commit sizes, the chain head of each ledger and the projector's lag.

/** A sample line of the text format: a name, labels with quoted values, a number. */
const SAMPLE_LINE = /^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|[+-]Inf)$/;

async function scrape(server: Server, key: string | null) {
  const response = await fetch(`http://127.0.0.1:${server.port}/metrics`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
  return { status: response.status, contentType: response.headers.get('content-type') ?? '', text: await response.text() };
}

function family(families: readonly ParsedFamily[], name: string): ParsedFamily {
  const found = families.find((f) => f.name === name);
  if (!found) throw new Error(`no metric family ${name} among ${families.map((f) => f.name).join(', ')}`);
  return found;
}

afterAll(() => {
  stopAllServers();
});

describe('GET /metrics of the Node entry (LEDGER_METRICS=admin, the default)', () => {
  const adminKey = `lk_${randomBytes(24).toString('base64url')}`;
  const ledgerId = `metrics-${randomBytes(3).toString('hex')}`;
  let server: Server;
  let readerKey: string;

  beforeAll(async () => {
    server = await startServer({ DATA_DIR: 'memory://', LEDGER_BOOTSTRAP_ADMIN_KEY: adminKey });
    expect((await call(server, adminKey, 'POST', '/v1/ledgers', { id: ledgerId, name: 'Metrics' })).status).toBe(201);
    for (const account of [{ id: 'bank', normalBalance: 'debit', currency: 'USD' }, { id: 'alice', normalBalance: 'credit', currency: 'USD' }]) {
      expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/accounts`, account)).status).toBe(201);
    }
    for (let i = 0; i < 5; i++) {
      const posted = await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions`, transfer(`t-${i}`, '2026-03-01T10:00:00Z', 'bank', 'alice', '1.00'));
      expect(posted.status).toBe(201);
    }
    expect((await call(server, adminKey, 'POST', `/v1/ledgers/${ledgerId}/transactions`, { postings: 'none' })).status).toBe(400);
    expect((await call(server, adminKey, 'GET', '/v1/ledgers/no-such-ledger-4711')).status).toBe(404);
    readerKey = (await call(server, adminKey, 'POST', '/v1/keys', { name: 'reader', role: 'reader', ledgerIds: [ledgerId] })).body.key as string;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('answers 401 without a key and 403 to a key that is not admin', async () => {
    const anonymous = await scrape(server, null);
    expect(anonymous.status).toBe(401);
    expect(JSON.parse(anonymous.text)).toMatchObject({ code: 'UNAUTHORIZED' });
    expect(anonymous.text).not.toContain('ledger_http_requests_total');
    const reader = await scrape(server, readerKey);
    expect(reader.status).toBe(403);
    expect(JSON.parse(reader.text)).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('serves the text format that a Prometheus parser reads: requests by route pattern and status, latency, commits, heads', async () => {
    const head = (await call(server, adminKey, 'GET', `/v1/ledgers/${ledgerId}`)).body.head as number;
    const scraped = await scrape(server, adminKey);
    expect(scraped.status).toBe(200);
    expect(scraped.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
    const bad = scraped.text.split('\n').filter((line) => line !== '' && !line.startsWith('# HELP ') && !line.startsWith('# TYPE ') && !SAMPLE_LINE.test(line));
    expect(bad, 'lines that are neither metadata nor samples').toEqual([]);
    const families = parsePrometheusTextFormat(scraped.text);

    const requests = family(families, 'ledger_http_requests_total');
    expect(requests.type).toBe('COUNTER');
    const count = (labels: Record<string, string>) => requests.metrics.find((m) => JSON.stringify(m.labels) === JSON.stringify(labels))?.value;
    expect(count({ method: 'POST', route: '/v1/ledgers/:ledgerId/transactions', status: '201' })).toBe('5');
    expect(count({ method: 'POST', route: '/v1/ledgers/:ledgerId/transactions', status: '400' })).toBe('1');
    expect(count({ method: 'POST', route: '/v1/ledgers/:ledgerId/accounts', status: '201' })).toBe('2');
    expect(count({ method: 'GET', route: '/v1/ledgers/:ledgerId', status: '404' })).toBe('1');
    // Route patterns, never paths: no ledger id, account or key reaches a label.
    for (const sample of requests.metrics) {
      expect(sample.labels?.route).not.toMatch(new RegExp(`${ledgerId}|no-such-ledger|alice|lk_`));
    }

    // The latency histogram has labels, which this parser folds together: its family and type
    // come from the parser, the count per series from its sample line.
    expect(family(families, 'ledger_http_request_duration_seconds').type).toBe('HISTOGRAM');
    expect(scraped.text).toContain('ledger_http_request_duration_seconds_count{method="POST",route="/v1/ledgers/:ledgerId/transactions",status="201"} 5\n');
    expect(scraped.text).toMatch(/ledger_http_request_duration_seconds_bucket\{le="\+Inf",method="POST",route="\/v1\/ledgers\/:ledgerId\/transactions",status="201"\} 5\n/);

    // Every event of this process went through the group committer: the sizes add up to the head.
    const commits = family(families, 'ledger_group_commit_events');
    expect(commits.type).toBe('HISTOGRAM');
    expect(Number(commits.metrics[0]!.sum)).toBe(head);
    expect(Number(commits.metrics[0]!.count)).toBeGreaterThan(0);
    expect(Number(commits.metrics[0]!.count)).toBeLessThanOrEqual(head);
    expect(commits.metrics[0]!.buckets?.['+Inf']).toBe(commits.metrics[0]!.count);

    // Every commit was an append one way or the other: in one round trip, or the slow way (with why).
    const appends = family(families, 'ledger_appends_total');
    expect(appends.type).toBe('COUNTER');
    const byWay = Object.fromEntries(appends.metrics.map((m) => [m.labels!.way!, Number(m.value)]));
    expect(byWay.unknown, 'the ledger and its accounts are opened the slow way').toBeGreaterThan(0);
    expect(Object.values(byWay).every((n) => Number.isInteger(n) && n >= 0)).toBe(true);

    const heads = family(families, 'ledger_chain_head_position');
    expect(heads.type).toBe('GAUGE');
    expect(heads.metrics.find((m) => m.labels?.ledger === ledgerId)?.value).toBe(String(head));

    expect(family(families, 'process_cpu_user_seconds_total').type).toBe('COUNTER');
    expect(family(families, 'ledger_projector_running').metrics[0]!.value).toBe('1');
  });

  it('shows the projector catching up: its lag comes down to 0 events', async () => {
    const lagOf = async () => {
      const families = parsePrometheusTextFormat((await scrape(server, adminKey)).text);
      return Number(family(families, 'ledger_projector_lag_events').metrics[0]!.value);
    };
    const deadline = Date.now() + 20_000;
    let lag = await lagOf();
    while (lag !== 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      lag = await lagOf();
    }
    expect(lag).toBe(0);
  });
});

describe('LEDGER_METRICS', () => {
  it('is admin by default, and open or off when set; anything else stops the start', () => {
    expect(configFrom({}).metrics).toBe('admin');
    expect(configFrom({ LEDGER_METRICS: 'open' }).metrics).toBe('open');
    expect(configFrom({ LEDGER_METRICS: 'off' }).metrics).toBe('off');
    expect(() => configFrom({ LEDGER_METRICS: 'yes' })).toThrow('LEDGER_METRICS');
  });

  it('open: anyone may read /metrics', async () => {
    // The route over the entry's metrics; the open route reads nothing of the database.
    const app = createApp({ store: {} as LedgerStore, committer: {} as GroupCommitter, metrics: new PrometheusMetrics({ access: 'open' }) });
    expect((await app.request('/health')).status).toBe(200);
    const answer = await app.request('/metrics');
    expect(answer.status).toBe(200);
    const families = parsePrometheusTextFormat(await answer.text());
    expect(family(families, 'ledger_http_requests_total').metrics).toContainEqual({ labels: { method: 'GET', route: '/health', status: '200' }, value: '1' });
  });

  it('off (no metrics given to the app, as on Workers): /metrics is 404', async () => {
    // The route reads nothing of the database: the app needs none for this answer.
    const app = createApp({ store: {} as LedgerStore, committer: {} as GroupCommitter });
    const answer = await app.request('/metrics');
    expect(answer.status).toBe(404);
    expect(await answer.json()).toMatchObject({ code: 'NOT_FOUND' });
  });
});

describe('/openapi.json', () => {
  it('lists the /v1 API, /v1/metrics included, and none of /health, /ready, /metrics or /docs: they are for operators', async () => {
    const app = createApp({ store: {} as LedgerStore, committer: {} as GroupCommitter });
    const paths = Object.keys(((await (await app.request('/openapi.json')).json()) as { paths: Record<string, unknown> }).paths);
    expect(paths).toContain('/v1/metrics');
    for (const path of ['/health', '/ready', '/metrics', '/docs']) expect(paths).not.toContain(path);
    expect(paths.filter((path) => !path.startsWith('/v1/'))).toEqual([]);
  });
});
