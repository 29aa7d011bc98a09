import { execFile, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testApi, transfer, type Json, type TestApi } from '../support/http.ts';
import { PRIVATE_DATABASES } from '../support/private-database.ts';

// Spec section 7, issue acceptance: "A superuser who edits an amount, deletes an event, swaps two
// events or cuts the tail (with triggers disabled) is caught by verify and by the offline
// verifier at the exact position; a truncated tail is caught against an earlier digest."
// The tampering runs as the database owner, in one transaction that disables the append-only
// triggers, tampers and enables them again. On PostgreSQL the suite uses a database of its own,
// so that no other suite sees the triggers off or waits on the table lock.

const ROOT = new URL('../../', import.meta.url).pathname;
const NODE = join(ROOT, 'node_modules/.bin/node');
const VERIFY = join(ROOT, 'scripts/verify.ts');

/** A compact canonical JSON + SHA-256 per docs/hash-chain.md, to forge a consistent rewrite. */
function canonical(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const keys = Object.keys(value).filter((k) => (value as Json)[k] !== undefined).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((value as Json)[k])}`).join(',')}}`;
}
const hashOf = (e: Json) => createHash('sha256').update(canonical({
  ledgerId: e.ledgerId, position: e.position, type: e.type, recordedAt: e.recordedAt, actor: e.actor, requestId: e.requestId, data: e.data, prevHash: e.prevHash,
}), 'utf8').digest('hex');

const literal = (text: string) => `'${text.replace(/'/g, "''")}'`;

/** Runs the offline verifier as a child process. */
function offline(file: string, digest?: { position: number; hash: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const args = [VERIFY, file, ...(digest ? ['--digest', `${digest.hash}@${digest.position}`] : [])];
  return new Promise((resolve, reject) => {
    const child = spawn(NODE, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += String(chunk)));
    child.stderr.on('data', (chunk) => (stderr += String(chunk)));
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe.each(PRIVATE_DATABASES)('tampering with the log is caught on $name', (setup) => {
  let dispose: () => Promise<void>;
  let api: TestApi;
  let dir: string;
  beforeAll(async () => {
    const opened = await setup.open();
    dispose = opened.dispose;
    api = await testApi(opened.database);
    dir = await mkdtemp(join(tmpdir(), 'ledger-tamper-'));
  });
  afterAll(async () => {
    await dispose?.();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A fresh ledger of 12 events: 4 of setup, 6 transfers of different amounts, a correction (2). */
  async function story(): Promise<{ ledgerId: string; events: Json[] }> {
    const ledgerId = await api.seedLedger();
    for (let i = 1; i <= 6; i++) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer(`t${i}`, `2026-04-0${i}T10:00:00Z`, 'bank', 'alice', `${i * 100}.00`) });
      expect(answer.status, answer.text).toBe(201);
    }
    const corrected = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/t2/correct`, { body: { reason: 'typo', replacement: transfer('t2b', '2026-04-02T10:00:00Z', 'bank', 'alice', '250.00') } });
    expect(corrected.status, corrected.text).toBe(201);
    const events = await feed(ledgerId);
    expect(events.map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    return { ledgerId, events };
  }

  /** The feed, page by page over the range up to the head (a deleted position leaves a hole, not an end). */
  async function feed(ledgerId: string): Promise<Json[]> {
    const events: Json[] = [];
    const limit = (await api.head(ledgerId)) > 40 ? 1000 : 4;
    for (let after = 0; ; after += limit) {
      const page = await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=${after}&limit=${limit}`);
      expect(page.status, page.text).toBe(200);
      events.push(...page.body.events);
      if (after + limit >= page.body.head) return events;
    }
  }

  /** An NDJSON export written from the feed, one event per line, as scripts/export.ts writes it. */
  async function exported(ledgerId: string): Promise<string> {
    const file = join(dir, `${ledgerId}.ndjson`);
    await writeFile(file, (await feed(ledgerId)).map((e) => `${JSON.stringify(e)}\n`).join(''));
    return file;
  }

  /** Ledgers of 1204 events with a hole at 500 and at 1000, for the export below. */
  const bigLedgers: string[] = [];

  async function tamper(script: string): Promise<void> {
    await api.database.asOwner((run) => run(`begin; alter table events disable trigger user; ${script}; alter table events enable trigger user; commit`));
  }

  const verify = async (ledgerId: string, digest?: { position: number; hash: string }) => {
    const query = digest ? `?digestPosition=${digest.position}&digestHash=${digest.hash}` : '';
    const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/verify${query}`);
    expect(answer.status, answer.text).toBe(200);
    return answer.body;
  };

  /** Both verifiers name exactly `position` as the first bad one. */
  async function caughtAt(ledgerId: string, position: number, digest?: { position: number; hash: string }) {
    expect(await verify(ledgerId, digest)).toEqual({ ok: false, checkedThrough: position - 1, firstBadPosition: position });
    const result = await offline(await exported(ledgerId), digest);
    expect(result.stdout, result.stderr).toMatch(new RegExp(`^BAD at position ${position}:`));
    expect(result.code).toBe(1);
  }

  async function passes(ledgerId: string, head: number, digest?: { position: number; hash: string }) {
    expect(await verify(ledgerId, digest)).toEqual({ ok: true, checkedThrough: head, firstBadPosition: null });
    const result = await offline(await exported(ledgerId), digest);
    expect(result.stdout, result.stderr).toMatch(new RegExp(`^OK: verified positions 1 to ${head}, head hash [0-9a-f]{64}`));
    expect(result.code).toBe(0);
  }

  it('passes an untampered ledger, against its digest and an earlier one, and refuses a wrong digest', async () => {
    const { ledgerId, events } = await story();
    const digest = (await api.call('GET', `/v1/ledgers/${ledgerId}/digest`)).body as { position: number; hash: string };
    expect(digest).toMatchObject({ position: 12, hash: events[11]!.hash });
    await passes(ledgerId, 12);
    await passes(ledgerId, 12, digest);
    await passes(ledgerId, 12, { position: 5, hash: events[4]!.hash });
    // The right position with another hash, and a digest past the end of the log.
    await caughtAt(ledgerId, 12, { position: 12, hash: events[10]!.hash });
    await caughtAt(ledgerId, 5, { position: 5, hash: 'f'.repeat(64) });
    await caughtAt(ledgerId, 13, { position: 20, hash: events[11]!.hash });
    // Bad arguments, and a file that is not there, are exit 2, not a verdict.
    const file = await exported(ledgerId);
    for (const args of [[file, '--digest', 'nothash@3'], [file, '--digest'], [file, '--other', 'x'], [join(dir, 'missing.ndjson')]]) {
      const child = spawn(NODE, [VERIFY, ...args], { cwd: ROOT, stdio: 'ignore' });
      expect(await new Promise((resolve) => child.once('close', resolve)), args.join(' ')).toBe(2);
    }
    // The export itself edited: the same instant spelt another way, or a position as a string, is not what was hashed.
    const lines = events.map((e) => JSON.stringify(e));
    for (const [edited, at] of [[{ ...events[6]!, recordedAt: events[6]!.recordedAt.replace(/Z$/, '+00:00') }, 7], [{ ...events[8]!, position: '9' }, 9]] as const) {
      const altered = join(dir, `${ledgerId}-altered.ndjson`);
      await writeFile(altered, lines.map((line, i) => (i === at - 1 ? JSON.stringify(edited) : line)).join('\n'));
      const result = await offline(altered);
      expect(result.stdout, result.stderr).toMatch(new RegExp(`^BAD at position ${at}:`));
      expect(result.code).toBe(1);
    }
  });

  it('refuses the tampering itself while the triggers are on, even to the owner', async () => {
    const { ledgerId } = await story();
    await expect(api.database.asOwner((run) => run(`update events set actor = 'x' where ledger_id = ${literal(ledgerId)} and position = 7`))).rejects.toThrow(/append-only/);
    await expect(api.database.asOwner((run) => run(`delete from events where ledger_id = ${literal(ledgerId)} and position = 12`))).rejects.toThrow(/append-only/);
    await passes(ledgerId, 12);
  });

  it('catches an edited amount at its position', async () => {
    const { ledgerId } = await story();
    await tamper(`update events set data = jsonb_set(data, '{postings,0,amount}', '"999.00"') where ledger_id = ${literal(ledgerId)} and position = 7`);
    const events = await feed(ledgerId);
    expect(events[6]!.data.postings[0].amount).toBe('999.00');
    await caughtAt(ledgerId, 7);
  });

  it('catches a recorded time moved by one microsecond, and an actor rewritten', async () => {
    const first = await story();
    await tamper(`update events set recorded_at = recorded_at + interval '1 microsecond' where ledger_id = ${literal(first.ledgerId)} and position = 9`);
    await caughtAt(first.ledgerId, 9);
    const second = await story();
    await tamper(`update events set actor = 'key_someone_else' where ledger_id = ${literal(second.ledgerId)} and position = 3`);
    await caughtAt(second.ledgerId, 3);
  });

  it('catches a deleted event at its position', async () => {
    const { ledgerId } = await story();
    await tamper(`delete from events where ledger_id = ${literal(ledgerId)} and position = 6`);
    expect((await feed(ledgerId)).map((e) => e.position)).toEqual([1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 12]);
    await caughtAt(ledgerId, 6);
  });

  it('catches two events swapped, by contents or by positions, at the first of them', async () => {
    const byContents = await story();
    await tamper(`
      update events e set data = o.data, type = o.type
        from events o
       where e.ledger_id = ${literal(byContents.ledgerId)} and o.ledger_id = e.ledger_id
         and ((e.position = 7 and o.position = 8) or (e.position = 8 and o.position = 7))`);
    const swapped = await feed(byContents.ledgerId);
    expect([swapped[6]!.data.id, swapped[7]!.data.id]).toEqual(['t4', 't3']);
    await caughtAt(byContents.ledgerId, 7);

    // Across types: an account opening and a transaction change places.
    const acrossTypes = await story();
    await tamper(`
      update events e set data = o.data, type = o.type
        from events o
       where e.ledger_id = ${literal(acrossTypes.ledgerId)} and o.ledger_id = e.ledger_id
         and ((e.position = 4 and o.position = 5) or (e.position = 5 and o.position = 4))`);
    expect((await feed(acrossTypes.ledgerId)).slice(3, 5).map((e) => e.type)).toEqual(['TransactionRecorded', 'AccountOpened']);
    await caughtAt(acrossTypes.ledgerId, 4);

    // Whole rows renumbered, hashes and all.
    const byPositions = await story();
    const where = `ledger_id = ${literal(byPositions.ledgerId)}`;
    await tamper(`
      update events set position = 1000000 where ${where} and position = 7;
      update events set position = 7 where ${where} and position = 8;
      update events set position = 8 where ${where} and position = 1000000`);
    const renumbered = await feed(byPositions.ledgerId);
    expect([renumbered[6]!.hash, renumbered[7]!.hash]).toEqual([byPositions.events[7]!.hash, byPositions.events[6]!.hash]);
    await caughtAt(byPositions.ledgerId, 7);
  });

  it('catches a deletion at the last position of a page of the check, and a hole longer than a page', async () => {
    // verify reads the log 500 positions at a time, the offline export 1000 at a time: a hole that
    // ends a page, or spans one, must not look like the end of the log.
    const big = async () => {
      const ledgerId = await api.seedLedger();
      for (const [from, count] of [[0, 1000], [1000, 200]] as const) {
        const items = Array.from({ length: count }, (_, i) => transfer(`b${from + i}`, '2026-04-01T10:00:00Z', 'bank', 'alice', '0.01'));
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { atomic: true, transactions: items } });
        expect(answer.status, answer.text).toBe(200);
      }
      expect(await api.head(ledgerId)).toBe(1204);
      return ledgerId;
    };
    const pageEnd = await big();
    bigLedgers.push(pageEnd);
    await tamper(`delete from events where ledger_id = ${literal(pageEnd)} and position = 500`);
    await caughtAt(pageEnd, 500);
    const exportPageEnd = await big();
    bigLedgers.push(exportPageEnd);
    await tamper(`delete from events where ledger_id = ${literal(exportPageEnd)} and position = 1000`);
    await caughtAt(exportPageEnd, 1000);
    const hole = await big();
    await tamper(`delete from events where ledger_id = ${literal(hole)} and position between 500 and 1150`);
    await caughtAt(hole, 500);
  });

  it('exports past a hole with scripts/export.ts, so that the offline verifier sees it', async () => {
    expect(bigLedgers).toHaveLength(2);
    // The in-process app over real HTTP, for the export command.
    const server = serve({ fetch: api.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    try {
      const env = { ...process.env, LEDGER_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, LEDGER_KEY: api.adminKey };
      for (const [ledgerId, hole] of [[bigLedgers[1]!, 1000], [bigLedgers[0]!, 500]] as const) {
        const { stdout } = await promisify(execFile)(NODE, ['scripts/export.ts', ledgerId], { cwd: ROOT, env, maxBuffer: 64 * 1024 * 1024 });
        const file = join(dir, `${ledgerId}-export.ndjson`);
        await writeFile(file, stdout);
        const result = await offline(file);
        expect(result.stdout, `the export of the ledger with a hole at ${hole}`).toMatch(new RegExp(`^BAD at position ${hole}:`));
        expect(stdout.trim().split('\n').map((line) => JSON.parse(line).position as number).at(-1), `the export of the ledger with a hole at ${hole} reaches the head`).toBe(1204);
      }
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('cannot see a cut tail by itself, and catches it against a digest kept before the cut', async () => {
    const { ledgerId, events } = await story();
    const digest = (await api.call('GET', `/v1/ledgers/${ledgerId}/digest`)).body as { position: number; hash: string };
    expect(digest.position).toBe(12);
    await tamper(`delete from events where ledger_id = ${literal(ledgerId)} and position > 10`);
    expect(await api.head(ledgerId)).toBe(10);
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}/digest`)).body).toMatchObject({ position: 10, recordedAt: events[9]!.recordedAt, hash: events[9]!.hash, treeSize: 10 });
    // Alone, the log is a consistent shorter log.
    await passes(ledgerId, 10);
    // An earlier digest inside what is left still matches.
    await passes(ledgerId, 10, { position: 8, hash: events[7]!.hash });
    // The digest kept before the cut names the new head + 1.
    await caughtAt(ledgerId, 11, digest);
  });

  it('cannot see a consistent rewrite by itself, and catches it against a digest kept before', async () => {
    const { ledgerId, events } = await story();
    const digest = (await api.call('GET', `/v1/ledgers/${ledgerId}/digest`)).body as { position: number; hash: string };
    // Rewrite the amount at 6 and re-chain every hash from there, as a careful forger would.
    const forged: Json[] = events.map((e) => ({ ...e, data: structuredClone(e.data) }));
    forged[5]!.data.postings[0].amount = '1.00';
    forged[5]!.data.postings[1].amount = '1.00';
    for (let i = 5; i < forged.length; i++) {
      forged[i]!.prevHash = forged[i - 1]!.hash;
      forged[i]!.hash = hashOf(forged[i]!);
    }
    await tamper(forged.slice(5).map((e) => `update events set data = ${literal(JSON.stringify(e.data))}::jsonb, prev_hash = ${literal(e.prevHash)}, hash = ${literal(e.hash)}
       where ledger_id = ${literal(ledgerId)} and position = ${e.position}`).join(';\n'));
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}/digest`)).body.hash).toBe(forged[11]!.hash);
    await passes(ledgerId, 12);
    await passes(ledgerId, 12, { position: 5, hash: events[4]!.hash });
    await caughtAt(ledgerId, 12, digest);
  });
});
