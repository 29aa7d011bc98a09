import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { commandFromJson } from '../../src/app/command-json.ts';
import { eventFromFeedJson } from '../../src/app/feed-json.ts';
import { replayRejection } from '../../src/app/replay.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { parseTimestamp } from '../../src/domain/time.ts';
import { describeOnEachDatabase, expectProblem, transfer, type Json, type TestApi } from '../support/http.ts';

// Issue 6: every write refused for a business reason (409, 422) is kept with its actor, request
// id, code and the position it was judged at; folding the log to that position and deciding the
// same commands gives the same refusal. Malformed and misdirected requests are not kept.

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');

const ACCOUNTS = [
  { id: 'bank', normalBalance: 'debit', currency: 'USD' },
  { id: 'alice', normalBalance: 'credit', currency: 'USD', noOverdraft: true },
  { id: 'merchant', normalBalance: 'credit', currency: 'USD' },
];

async function keyFor(api: TestApi, role: string, ledgerId: string): Promise<{ id: string; key: string }> {
  const created = await api.call('POST', '/v1/keys', { body: { name: `${role} of ${ledgerId}`, role, ledgerIds: [ledgerId] } });
  expect(created.status, created.text).toBe(201);
  return created.body as { id: string; key: string };
}

/** The whole feed, as `npm run export` writes it. */
async function feed(api: TestApi, ledgerId: string, key: string): Promise<Json[]> {
  const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=0&limit=1000`, { key });
  expect(answer.status, answer.text).toBe(200);
  return answer.body.events as Json[];
}

/** Replays a logged rejection against the feed, optionally judging it at another position. */
function replay(events: readonly Json[], logged: Json, position = logged.position as number) {
  return replayRejection(events.map((e) => eventFromFeedJson(JSON.stringify(e))), {
    position, recordedAt: parseTimestamp(logged.recordedAt)!, commands: (logged.commands as unknown[]).map(commandFromJson),
  });
}

function runReplayScript(feedFile: string, rejectionFile: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, ['scripts/replay.ts', feedFile, rejectionFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.once('close', (code) => resolve({ code, stdout }));
  });
}

describeOnEachDatabase('the rejection log', (api) => {
  it('keeps a reversal refused in a closed period with the position it was judged at, and replaying to it refuses again', async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS });
    const writer = await keyFor(api, 'writer', ledgerId);
    const auditor = await keyFor(api, 'auditor', ledgerId);
    const write = (path: string, body: unknown, requestId: string) =>
      api.call('POST', `/v1/ledgers/${ledgerId}${path}`, { key: writer.key, body, headers: { 'X-Request-Id': requestId } });

    expect((await write('/transactions', transfer('dep-1', '2026-01-10T09:00:00Z', 'bank', 'alice', '100.00'), 'req-deposit')).status).toBe(201);
    expect((await write('/periods/close', { through: '2026-01-31' }, 'req-close')).status).toBe(201);
    const judgedAt = await api.head(ledgerId);
    expectProblem(await write('/transactions/dep-1/reverse', { reason: 'duplicate' }, 'req-reverse'), 409, 'PERIOD_CLOSED');
    expect(await api.head(ledgerId)).toBe(judgedAt);

    const log = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections`, { key: auditor.key });
    expect(log.status, log.text).toBe(200);
    expect(log.body.items).toHaveLength(1);
    const [logged] = log.body.items as Json[];
    expect(logged).toMatchObject({
      position: judgedAt, actor: writer.id, requestId: 'req-reverse',
      problem: { status: 409, code: 'PERIOD_CLOSED', detail: expect.stringContaining('2026-01-31') },
      commands: [{ type: 'ReverseTransaction', reversal: { originalId: 'dep-1', reason: 'duplicate' } }],
    });
    expect(parseTimestamp(logged!.recordedAt)).toBeDefined();

    // Folded to the position it was judged at, the same command is refused with the same code;
    // one position earlier, before the period close, it would have been recorded.
    const events = await feed(api, ledgerId, auditor.key);
    const again = replay(events, logged!);
    expect(isRejection(again) && again.code).toBe('PERIOD_CLOSED');
    const beforeClose = replay(events, logged!, judgedAt - 1);
    expect(isRejection(beforeClose), JSON.stringify(beforeClose)).toBe(false);

    // The same with no code of ours: the export and the log item, through `npm run replay`.
    const dir = await mkdtemp(join(tmpdir(), 'ledger-replay-'));
    try {
      const feedFile = join(dir, 'export.ndjson');
      await writeFile(feedFile, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
      await writeFile(join(dir, 'rejection.json'), JSON.stringify(logged));
      const reproduced = await runReplayScript(feedFile, join(dir, 'rejection.json'));
      expect(reproduced.stdout).toMatch(new RegExp(`^REPRODUCED at position ${judgedAt}: PERIOD_CLOSED`));
      expect(reproduced.code).toBe(0);
      await writeFile(join(dir, 'earlier.json'), JSON.stringify({ ...logged, position: judgedAt - 1 }));
      const differs = await runReplayScript(feedFile, join(dir, 'earlier.json'));
      expect(differs.stdout).toMatch(/^DIFFERENT at position \d+: logged PERIOD_CLOSED, replay gives accepted/);
      expect(differs.code).toBe(1);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps 409s and 422s, with the earlier items of an atomic batch, and neither 400s nor 404s nor access refusals', async () => {
    const ledgerId = await api.seedLedger({ accounts: ACCOUNTS });
    const writer = await keyFor(api, 'writer', ledgerId);
    const auditor = await keyFor(api, 'auditor', ledgerId);
    const reader = await keyFor(api, 'reader', ledgerId);
    const post = (path: string, body: unknown) => api.call('POST', `/v1/ledgers/${ledgerId}${path}`, { key: writer.key, body });

    expect((await post('/transactions', transfer('t1', '2026-02-01T00:00:00Z', 'alice', 'merchant', '0.00'))).status).toBe(400);
    expect((await post('/transactions', transfer('t1', '2026-02-01T00:00:00Z', 'bank', 'alice', '50.00'))).status).toBe(201);
    expectProblem(await post('/transactions', transfer('t1', '2026-02-01T00:00:00Z', 'bank', 'alice', '60.00')), 409, 'IDEMPOTENCY_CONFLICT');
    const headBeforeOverdraft = await api.head(ledgerId);
    expectProblem(await post('/transactions', transfer('t2', '2026-02-02T00:00:00Z', 'alice', 'merchant', '80.00')), 422, 'INSUFFICIENT_FUNDS');
    expectProblem(await post('/transactions/nope/reverse', { reason: 'typo' }), 404, 'NOT_FOUND');
    expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { key: reader.key, body: transfer('t3', '2026-02-03T00:00:00Z', 'bank', 'alice', '1.00') }), 403, 'FORBIDDEN');
    const headBeforeBatch = await api.head(ledgerId);
    const batch = await post('/transactions/batch', { atomic: true, transactions: [
      transfer('a1', '2026-02-03T00:00:00Z', 'alice', 'merchant', '30.00'),
      transfer('a2', '2026-02-04T00:00:00Z', 'alice', 'merchant', '30.00'),
    ] });
    expect(batch.body.results.map((r: Json) => r.problem?.code)).toEqual(['INSUFFICIENT_FUNDS', 'INSUFFICIENT_FUNDS']);
    expect(await api.head(ledgerId)).toBe(headBeforeBatch);

    const log = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections`, { key: auditor.key });
    expect(log.status, log.text).toBe(200);
    const items = log.body.items as Json[];
    expect(items.map((i) => [i.problem.code, i.position, i.commands.length])).toEqual([
      ['IDEMPOTENCY_CONFLICT', headBeforeOverdraft, 1],
      ['INSUFFICIENT_FUNDS', headBeforeOverdraft, 1],
      // The second item of the atomic batch was refused, judged after the first, which was then not recorded.
      ['INSUFFICIENT_FUNDS', headBeforeBatch, 2],
    ]);
    expect(items.every((i) => i.actor === writer.id)).toBe(true);
    expect(items[2]!.commands.map((c: Json) => c.transaction.id)).toEqual(['a1', 'a2']);
    expect(items.map((i) => i.seq)).toEqual([...items.map((i) => i.seq)].sort((a, b) => a - b));

    const events = await feed(api, ledgerId, auditor.key);
    for (const logged of items.slice(1)) {
      const again = replay(events, logged);
      expect(isRejection(again) && again.code, JSON.stringify(logged)).toBe('INSUFFICIENT_FUNDS');
    }

    // Filtered by code, paged, and pinned to a position: judged at positions up to it.
    const byCode = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections?code=IDEMPOTENCY_CONFLICT`, { key: auditor.key });
    expect(byCode.body.items.map((i: Json) => i.seq)).toEqual([items[0]!.seq]);
    const first = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections?limit=2`, { key: auditor.key });
    const rest = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections?cursor=${first.body.nextCursor}`, { key: auditor.key });
    expect([...first.body.items, ...rest.body.items].map((i: Json) => i.seq)).toEqual(items.map((i) => i.seq));
    expect(rest.body.nextCursor).toBeNull();
    const pinned = await api.call('GET', `/v1/ledgers/${ledgerId}/rejections?recordedAsOfPosition=${headBeforeOverdraft - 1}`, { key: auditor.key });
    expect(pinned.body.items).toEqual([]);

    // Auditors read it; writers and readers do not.
    expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/rejections`, { key: writer.key }), 403, 'FORBIDDEN');
    expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/rejections`, { key: reader.key }), 403, 'FORBIDDEN');
    expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/rejections?code=bad-code`, { key: auditor.key }), 400, 'VALIDATION_FAILED');
  });
});
