import { createHash } from 'node:crypto';
import { expect, it } from 'vitest';
import { openDatabase } from '../../src/entry/open-database.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { describeOnEachDatabase, expectProblem, testApi, transfer, type Json, type TestApi } from '../support/http.ts';

// Spec section 6 (the event feed) and 7 (the hash chain, the digest, verify): the feed pages
// exactly and repeats the same bytes; concurrent writers on several API stacks are seen by a
// polling consumer exactly once, in order; every event's hash is re-computed by an independent
// verifier written below from docs/hash-chain.md alone (it shares no code with src/).

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A small seeded PRNG (mulberry32), so that a failing interleaving can be replayed by its seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The independent verifier: docs/hash-chain.md, "Definition" and "Canonical JSON", and nothing
// else. Strings are escaped by hand (the rules JSON.stringify follows, ECMA-262 QuoteJSONString),
// object keys are compared code unit by code unit, and SHA-256 is node:crypto's.
// ---------------------------------------------------------------------------------------------

const SHORT_ESCAPES: Record<number, string> = { 0x08: '\\b', 0x09: '\\t', 0x0a: '\\n', 0x0c: '\\f', 0x0d: '\\r', 0x22: '\\"', 0x5c: '\\\\' };

function quote(s: string): string {
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const unit = s.charCodeAt(i);
    const next = i + 1 < s.length ? s.charCodeAt(i + 1) : -1;
    if (SHORT_ESCAPES[unit] !== undefined) out += SHORT_ESCAPES[unit];
    else if (unit < 0x20) out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else if (unit >= 0xd800 && unit <= 0xdbff && next >= 0xdc00 && next <= 0xdfff) {
      out += s[i]! + s[i + 1]!;
      i += 1;
    } else if (unit >= 0xd800 && unit <= 0xdfff) out += `\\u${unit.toString(16).padStart(4, '0')}`; // a lone surrogate
    else out += s[i]!;
  }
  return `${out}"`;
}

/** Orders two keys by their UTF-16 code units, as docs/hash-chain.md says. */
function byCodeUnits(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const d = a.charCodeAt(i) - b.charCodeAt(i);
    if (d !== 0) return d;
  }
  return a.length - b.length;
}

function canonical(value: unknown): string {
  if (value === null) return 'null';
  if (value === true) return 'true';
  if (value === false) return 'false';
  if (typeof value === 'string') return quote(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`no canonical form for ${value}`);
    return Object.is(value, -0) ? '0' : String(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object') {
    const members = Object.keys(value).filter((k) => (value as Json)[k] !== undefined).sort(byCodeUnits);
    return `{${members.map((k) => `${quote(k)}:${canonical((value as Json)[k])}`).join(',')}}`;
  }
  throw new Error(`no canonical form for a ${typeof value}`);
}

const ZEROS = '0'.repeat(64);
const WIRE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

function hashOf(e: Json): string {
  const encoded = canonical({
    ledgerId: e.ledgerId, position: e.position, type: e.type, recordedAt: e.recordedAt,
    actor: e.actor, requestId: e.requestId, data: e.data, prevHash: e.prevHash,
  });
  return createHash('sha256').update(Buffer.from(encoded, 'utf8')).digest('hex');
}

/** Every problem with a ledger's feed as a hash chain from position 1; empty when it verifies. */
function independentlyVerify(events: readonly Json[]): string[] {
  const problems: string[] = [];
  let prev = ZEROS;
  events.forEach((e, i) => {
    if (e.position !== i + 1) problems.push(`event ${i}: position ${e.position}, expected ${i + 1}`);
    if (e.prevHash !== prev) problems.push(`position ${e.position}: prevHash ${e.prevHash}, expected ${prev}`);
    if (!WIRE_TIME.test(e.recordedAt)) problems.push(`position ${e.position}: recordedAt ${e.recordedAt} is not UTC with 6 fraction digits`);
    const expected = hashOf(e);
    if (e.hash !== expected) problems.push(`position ${e.position} (${e.type}): hash ${e.hash}, independently ${expected}`);
    prev = e.hash;
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------

async function readAll(api: TestApi, ledgerId: string, key?: string): Promise<{ events: Json[]; head: number }> {
  const events: Json[] = [];
  for (let after = 0; ;) {
    const page = await api.call('GET', `/v1/ledgers/${ledgerId}/events?after=${after}&limit=1000`, key ? { key } : {});
    expect(page.status, page.text).toBe(200);
    events.push(...page.body.events);
    if (page.body.events.length === 0) return { events, head: page.body.head };
    after = page.body.events.at(-1).position;
  }
}

describeOnEachDatabase('the event feed, the digest and the hash chain', (api) => {
  const created = async (method: string, path: string, body: unknown, key?: string) => {
    const answer = await api.call(method, path, { body, ...(key ? { key } : {}) });
    expect(answer.status, `${method} ${path}: ${answer.text}`).toBe(201);
    return answer.body;
  };
  const newKey = async (role: string, ledgerIds: string[]) => created('POST', '/v1/keys', { name: `${role} key`, role, ledgerIds });

  it('pages exactly, repeats the same bytes, bounds limit and answers the head', async () => {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    for (let i = 1; i <= 26; i++) await created('POST', `${path}/transactions`, transfer(`p${i}`, `2026-04-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`, 'bank', 'alice', `${i}.00`));
    const head = await api.head(ledgerId);
    expect(head).toBe(4 + 26);

    const pages: { text: string; events: Json[] }[] = [];
    for (let after = 0; ; after += 7) {
      const page = await api.call('GET', `${path}/events?after=${after}&limit=7`);
      expect(page.status, page.text).toBe(200);
      expect(page.body.head).toBe(head);
      expect(page.body.events.map((e: Json) => e.position)).toEqual(Array.from({ length: Math.max(0, Math.min(7, head - after)) }, (_, i) => after + 1 + i));
      pages.push({ text: JSON.stringify(page.body.events), events: page.body.events });
      if (page.body.events.length === 0) break;
    }
    expect(pages.map((p) => p.events.length)).toEqual([7, 7, 7, 7, 2, 0]);
    const paged = pages.flatMap((p) => p.events);
    expect(paged.map((e) => e.position)).toEqual(Array.from({ length: head }, (_, i) => i + 1));
    const whole = await readAll(api, ledgerId);
    expect(whole.head).toBe(head);
    expect(JSON.stringify(whole.events)).toBe(JSON.stringify(paged));

    // Every event has exactly the fields of section 6 (plus ledgerId), and the types are those named there.
    for (const e of paged) {
      expect(Object.keys(e).sort()).toEqual(['actor', 'data', 'hash', 'ledgerId', 'position', 'prevHash', 'recordedAt', 'requestId', 'type']);
      expect(e.ledgerId).toBe(ledgerId);
    }
    expect(paged.map((e) => e.type)).toEqual(['LedgerCreated', 'AccountOpened', 'AccountOpened', 'AccountOpened', ...Array(26).fill('TransactionRecorded')]);

    // The same range read again, after more writes and (on PostgreSQL) through another stack: the same bytes.
    await created('POST', `${path}/transactions`, transfer('later', '2026-04-02T10:00:00Z', 'bank', 'alice', '1.00'));
    const readers: TestApi[] = [api];
    if (api.database.kind === 'postgres') readers.push(await testApi(await openDatabase({ databaseUrl: process.env.DATABASE_URL })));
    try {
      for (const reader of readers) {
        for (const [i, page] of pages.entries()) {
          const again = await reader.call('GET', `${path}/events?after=${i * 7}&limit=7`);
          expect(again.status).toBe(200);
          expect(again.body.head).toBe(head + 1);
          // A full page is a closed range; the last partial one has since grown by the new event at its end.
          const shown = i < 4 ? again.body.events : again.body.events.slice(0, page.events.length);
          expect(JSON.stringify(shown)).toBe(page.text);
        }
        // A range that overlaps pages differently gives the same events as the slices of the whole.
        const odd = await reader.call('GET', `${path}/events?after=3&limit=11`);
        expect(JSON.stringify(odd.body.events)).toBe(JSON.stringify(paged.slice(3, 14)));
      }
    } finally {
      for (const reader of readers.slice(1)) await reader.database.close();
    }

    // Past the head: nothing, and the head. Bounds of limit: 1 ... 1000.
    expect((await api.call('GET', `${path}/events?after=${head + 50}&limit=7`)).body).toEqual({ events: [], head: head + 1 });
    expect((await api.call('GET', `${path}/events?after=0&limit=1`)).body.events.map((e: Json) => e.position)).toEqual([1]);
    expect((await api.call('GET', `${path}/events?after=0&limit=1000`)).body.events).toHaveLength(head + 1);
    expect((await api.call('GET', `${path}/events`)).body.events).toHaveLength(head + 1); // default limit 100
    for (const query of ['limit=0', 'limit=1001', 'limit=-1', 'limit=abc', 'limit=1.5', 'after=-1', 'after=x', 'after=1e3', 'cursor=abc']) {
      expectProblem(await api.call('GET', `${path}/events?${query}`), 400, 'VALIDATION_FAILED');
    }
    expectProblem(await api.call('GET', `/v1/ledgers/${uniqueLedgerId('nobody')}/events`), 404, 'NOT_FOUND');
  });

  it('lets writers and auditors follow the feed, not readers; verify is for auditors and admins', async () => {
    const ledgerId = await api.seedLedger();
    const other = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const [reader, writer, auditor, elsewhere] = await Promise.all([
      newKey('reader', [ledgerId]), newKey('writer', [ledgerId]), newKey('auditor', [ledgerId]), newKey('auditor', [other]),
    ]);
    for (const route of ['events?after=0&limit=7', 'digest']) {
      expectProblem(await api.call('GET', `${path}/${route}`, { key: reader.key }), 403, 'FORBIDDEN');
      expect((await api.call('GET', `${path}/${route}`, { key: writer.key })).status).toBe(200);
      expect((await api.call('GET', `${path}/${route}`, { key: auditor.key })).status).toBe(200);
      expectProblem(await api.call('GET', `${path}/${route}`, { key: elsewhere.key }), 404, 'NOT_FOUND');
      expectProblem(await api.call('GET', `${path}/${route}`, { key: null }), 401, 'UNAUTHORIZED');
    }
    expectProblem(await api.call('GET', `${path}/events/stream`, { key: reader.key }), 403, 'FORBIDDEN');
    for (const key of [reader.key, writer.key]) expectProblem(await api.call('GET', `${path}/verify`, { key }), 403, 'FORBIDDEN');
    expectProblem(await api.call('GET', `${path}/verify`, { key: elsewhere.key }), 404, 'NOT_FOUND');
    for (const key of [auditor.key, api.adminKey]) {
      const verdict = await api.call('GET', `${path}/verify`, { key });
      expect(verdict.status, verdict.text).toBe(200);
      expect(verdict.body).toEqual({ ok: true, checkedThrough: 4, firstBadPosition: null });
    }
    // A digest parameter alone, or malformed, is refused.
    expectProblem(await api.call('GET', `${path}/verify?digestPosition=2`), 400, 'VALIDATION_FAILED');
    expectProblem(await api.call('GET', `${path}/verify?digestHash=${'a'.repeat(64)}`), 400, 'VALIDATION_FAILED');
    expectProblem(await api.call('GET', `${path}/verify?digestPosition=2&digestHash=${'A'.repeat(64)}`), 400, 'VALIDATION_FAILED');
    // There is no position 0 to hold a digest of (it used to answer checkedThrough -1, firstBadPosition 0).
    expectProblem(await api.call('GET', `${path}/verify?digestPosition=0&digestHash=${'0'.repeat(64)}`), 400, 'VALIDATION_FAILED');
  });

  it('shows 8 concurrent writers on several stacks to a polling consumer exactly once, in order, and nothing else', { timeout: 120_000 }, async () => {
    const seed = Number(process.env.FEED_SEED ?? Date.now() % 1_000_000);
    const random = prng(seed);
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const seeded = await api.head(ledgerId);
    // On PostgreSQL, writers spread over four in-process stacks (own pools, own group committers)
    // on one database; PGlite is one process, so its writers share the one stack.
    const stacks: TestApi[] = [api];
    if (api.database.kind === 'postgres') {
      for (let i = 0; i < 3; i++) stacks.push(await testApi(await openDatabase({ databaseUrl: process.env.DATABASE_URL })));
    }
    const WRITERS = 8;
    const keys = await Promise.all(Array.from({ length: WRITERS }, () => newKey('writer', [ledgerId])));
    const auditor = await newKey('auditor', [ledgerId]);

    /** What each writer got back: position → [actor, what the event must be]. */
    const committed = new Map<number, { actor: string; type: string; id: string }>();
    const refusedIds = new Set<string>();
    const counts = { recorded: 0, refused: 0, replayed: 0 };
    const record = (position: number, actor: string, id: string) => {
      expect(committed.has(position), `position ${position} answered twice`).toBe(false);
      committed.set(position, { actor, type: 'TransactionRecorded', id });
      counts.recorded += 1;
    };

    let writersDone = false;
    const writer = async (w: number) => {
      const stack = stacks[w % stacks.length]!;
      const { id: actor, key } = keys[w]!;
      const mine: string[] = [];
      const sent = new Map<string, Json>();
      const day = () => `2026-04-${String(1 + Math.floor(random() * 28)).padStart(2, '0')}T10:00:00Z`;
      for (let n = 0; n < 14; n++) {
        await sleep(random() * 12);
        const roll = random();
        const id = `w${w}-${n}`;
        if (roll < 0.45 || mine.length === 0) {
          const body = transfer(id, day(), 'bank', 'alice', `${1 + Math.floor(random() * 500)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`);
          sent.set(id, body);
          const answer = await stack.call('POST', `${path}/transactions`, { key, body });
          expect(answer.status, answer.text).toBe(201);
          record(answer.body.position, actor, id);
          mine.push(id);
        } else if (roll < 0.6) {
          const answer = await stack.call('POST', `${path}/transactions`, { key, body: transfer(id, day(), 'bank', `nobody-${w}`, '5.00') });
          expectProblem(answer, 422, 'UNKNOWN_ACCOUNT');
          refusedIds.add(id);
          counts.refused += 1;
        } else if (roll < 0.7) {
          const body = { id, effectiveAt: day(), postings: [{ accountId: 'bank', direction: 'debit', amount: '5.00' }, { accountId: 'alice', direction: 'credit', amount: '4.99' }] };
          expectProblem(await stack.call('POST', `${path}/transactions`, { key, body }), 422, 'UNBALANCED');
          refusedIds.add(id);
          counts.refused += 1;
        } else if (roll < 0.8) {
          // A correction of one of its own entries: two events at consecutive positions.
          const original = mine.shift()!;
          const answer = await stack.call('POST', `${path}/transactions/${original}/correct`, { key, body: { reason: `fix ${original}`, replacement: transfer(id, '2026-04-15T10:00:00Z', 'bank', 'alice', '1.00') } });
          expect(answer.status, answer.text).toBe(201);
          expect(answer.body.replacement.position).toBe(answer.body.reversal.position + 1);
          record(answer.body.reversal.position, actor, answer.body.reversal.id);
          record(answer.body.replacement.position, actor, id);
        } else if (roll < 0.9) {
          // A batch of one good and one refused item: only the good one is recorded.
          const answer = await stack.call('POST', `${path}/transactions/batch`, { key, body: { transactions: [transfer(`${id}-a`, day(), 'bank', 'alice', '2.00'), transfer(`${id}-b`, day(), 'ghost', 'alice', '2.00')] } });
          expect(answer.status, answer.text).toBe(200);
          expect(answer.body.results.map((r: Json) => r.status)).toEqual([201, 422]);
          record(answer.body.results[0].transaction.position, actor, `${id}-a`);
          refusedIds.add(`${id}-b`);
          counts.refused += 1;
        } else {
          // An idempotent replay of one of its own entries records nothing.
          const again = mine.at(-1)!;
          const replay = await stack.call('POST', `${path}/transactions`, { key, body: sent.get(again) });
          expect(replay.status, replay.text).toBe(200);
          expect(replay.headers.get('idempotent-replayed')).toBe('true');
          counts.replayed += 1;
        }
      }
    };

    /** Polls after=<checkpoint>&limit=N until the writers are done and the head is reached. */
    const consumer = async (stack: TestApi, limit: number) => {
      const seen: Json[] = [];
      const violations: string[] = [];
      let checkpoint = 0;
      let polls = 0;
      for (;;) {
        polls += 1;
        const done = writersDone; // read before the page: a page read after this saw everything
        const page = await stack.call('GET', `${path}/events?after=${checkpoint}&limit=${limit}`, { key: auditor.key });
        if (page.status !== 200) throw new Error(`consumer: ${page.status} ${page.text}`);
        for (const e of page.body.events as Json[]) {
          if (e.position !== checkpoint + 1) violations.push(`after ${checkpoint} came ${e.position}`);
          seen.push(e);
          checkpoint = e.position;
        }
        if (page.body.events.length > limit) violations.push(`a page of ${page.body.events.length} events for limit ${limit}`);
        if (page.body.head < checkpoint) violations.push(`head ${page.body.head} behind the checkpoint ${checkpoint}`);
        if (done && page.body.events.length === 0 && page.body.head === checkpoint) break;
        if (page.body.events.length < limit) await sleep(random() * 5);
      }
      return { seen, violations, polls };
    };

    const started = performance.now();
    const consumers = [consumer(stacks.at(-1)!, 7), consumer(api, 1)];
    try {
      await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w)));
    } finally {
      writersDone = true;
    }
    const [first, second] = await Promise.all(consumers);
    const elapsed = performance.now() - started;
    for (const stack of stacks.slice(1)) await stack.database.close();

    const context = `seed ${seed}, ${JSON.stringify(counts)}, ${stacks.length} stacks, ${Math.round(elapsed)} ms, polls ${first!.polls}/${second!.polls}`;
    console.log(`feed concurrency on ${api.database.kind}: ${context}`);
    expect(first!.violations, context).toEqual([]);
    expect(second!.violations, context).toEqual([]);
    expect(counts.refused, context).toBeGreaterThan(0);

    const final = await readAll(api, ledgerId);
    expect(final.head).toBe(seeded + counts.recorded);
    expect(final.events.map((e) => e.position)).toEqual(Array.from({ length: final.head }, (_, i) => i + 1));
    // Both consumers saw exactly the log, byte for byte.
    expect(JSON.stringify(first!.seen)).toBe(JSON.stringify(final.events));
    expect(JSON.stringify(second!.seen)).toBe(JSON.stringify(final.events));
    // Every position past the seed is one a writer was given, with that writer's key and the entry it wrote; nothing refused is there.
    expect([...committed.keys()].sort((a, b) => a - b)).toEqual(final.events.slice(seeded).map((e) => e.position));
    for (const e of final.events.slice(seeded)) {
      const expected = committed.get(e.position)!;
      expect({ position: e.position, actor: e.actor, type: e.type, id: e.data.id }).toEqual({ position: e.position, ...expected });
    }
    const ids = new Set(final.events.map((e) => e.data.id));
    for (const id of refusedIds) expect(ids.has(id), `refused ${id} is in the log`).toBe(false);
    // Recorded time never goes back along the log; and the chain holds, independently checked.
    for (let i = 1; i < final.events.length; i++) expect(final.events[i]!.recordedAt >= final.events[i - 1]!.recordedAt).toBe(true);
    expect(independentlyVerify(final.events)).toEqual([]);
    expect((await api.call('GET', `${path}/verify`)).body).toEqual({ ok: true, checkedThrough: final.head, firstBadPosition: null });
  });

  it('hashes every event exactly as docs/hash-chain.md says, checked by an independent verifier', async () => {
    // The document's own example, encoded by the independent canonical JSON.
    expect(canonical({
      ledgerId: 'acme', position: 1, type: 'LedgerCreated', recordedAt: '2026-03-01T10:00:00.000000Z', actor: 'key_x', requestId: 'r1',
      data: { ledgerId: 'acme', name: 'Acme', timezone: 'UTC' }, prevHash: ZEROS,
    })).toBe('{"actor":"key_x","data":{"ledgerId":"acme","name":"Acme","timezone":"UTC"},"ledgerId":"acme","position":1,"prevHash":"0000000000000000000000000000000000000000000000000000000000000000","recordedAt":"2026-03-01T10:00:00.000000Z","requestId":"r1","type":"LedgerCreated"}');
    // The hand-written escaping agrees with JSON.stringify, which the document refers to.
    const awkward = ['plain', 'q"b\\s/', '\u0000\u0001\u0008\u0009\u000a\u000b\u000c\u000d\u001f\u007f', '\u2028\u2029', 'é😀\ud83d', '\udc00x', '👩‍👩‍👧'];
    for (const s of awkward) expect(quote(s)).toBe(JSON.stringify(s));
    // UTF-16 order differs from code point order above the BMP: U+FF21 sorts after U+1F600's surrogates.
    expect(canonical({ '\uff21': 1, '😀': 2, b: 3, B: 4, '': 5 })).toBe('{"":5,"B":4,"b":3,"😀":2,"Ａ":1}');

    const ledgerId = uniqueLedgerId('hash');
    const path = `/v1/ledgers/${ledgerId}`;
    const tricky = {
      ключ: 'значение',
      键: ['数组', { 深: { 更深: [1, 2.5, -3, 0.1, 1e21, 1e-7, 123456789012, true, false, null] } }],
      '😀': 'an astral key', '\uff21': 'a fullwidth key', a: 'ascii', B: 'upper', '': 'the empty key',
      'é': 'precomposed', 'e\u0301': 'combining',
      quote: 'she said "hi" \\ and / slashes',
      controls: 'tab\tnewline\ncr\rbell\u0007esc\u001bdel\u007f',
      separators: 'line\u2028para\u2029',
      rtl: 'مرحبا بالعالم', zwj: '👩‍👩‍👧 family', html: '<script>&amp;</script>',
      nested: { empty: {}, list: [], deep: [[[{ x: 'y', n: null }]]] },
    };
    await created('POST', '/v1/ledgers', { id: ledgerId, name: 'Grüße — 账本 📒 "quoted"', timezone: 'Europe/Paris' });
    await created('POST', `${path}/assets`, { code: 'PTS', scale: 3 });
    await created('POST', `${path}/accounts`, { id: 'bank', name: 'Banque générale ☃', normalBalance: 'debit', currency: 'USD', metadata: tricky });
    await created('POST', `${path}/accounts`, { id: 'alice', name: 'Ålice Ünïcödé', normalBalance: 'credit', currency: 'USD', metadata: { tags: ['vip', '客户'], limits: { daily: '100.00' } } });
    await created('POST', `${path}/accounts`, { id: 'merchant', normalBalance: 'credit', currency: 'USD', noOverdraft: false });
    await created('POST', `${path}/accounts`, { id: 'points:pool', normalBalance: 'debit', currency: 'PTS' });
    await created('POST', `${path}/accounts`, { id: 'points:alice', normalBalance: 'credit', currency: 'PTS' });
    await created('POST', `${path}/accounts`, { id: 'temp', normalBalance: 'credit', currency: 'USD' });
    await created('POST', `${path}/periods/close`, { through: '2026-03-31' });
    await created('POST', `${path}/transactions`, {
      ...transfer('dep-1', '2026-04-01T12:00:00+02:00', 'bank', 'alice', '10000.00'),
      description: 'Dépôt initial — 初回入金 💶\n"line two"\t\\', metadata: { invoice: 'INV-7', source: { system: 'Σύστημα', refs: [1, '2', { three: 3 }] }, tricky },
    });
    await created('POST', `${path}/transactions`, { id: 'pts-1', effectiveAt: '2026-04-02', description: 'points', postings: [{ accountId: 'points:pool', direction: 'debit', amount: '1.234', currency: 'PTS' }, { accountId: 'points:alice', direction: 'credit', amount: '1.234' }] });
    await created('POST', `${path}/transactions/pts-1/reverse`, { reason: 'doublon — ошибка 🙈', id: 'pts-1-rev' });
    await created('POST', `${path}/transactions/dep-1/correct`, { reason: 'should have been 1,000 (١٠٠٠)', replacement: { ...transfer('dep-1b', '2026-04-01T10:00:00Z', 'bank', 'alice', '1000.00'), description: 'corrigé ✓', metadata: { 'ü': { 'ß': ['ẞ'] } } } });
    await created('POST', `${path}/transactions`, { ...transfer('auth-1', '2026-11-01T10:00:00Z', 'alice', 'merchant', '50.00'), status: 'pending', expiresAt: '2099-01-01T00:00:00Z', description: 'carte ••• 4242' });
    const posted = await api.call('POST', `${path}/transactions/auth-1/post`, { body: { postings: [{ accountId: 'alice', direction: 'debit', amount: '30.00' }, { accountId: 'merchant', direction: 'credit', amount: '30.00' }] } });
    expect(posted.status, posted.text).toBe(201);
    await created('POST', `${path}/transactions`, { ...transfer('auth-2', '2026-11-01T10:00:00Z', 'alice', 'merchant', '20.00'), status: 'pending', expiresAt: '2099-01-01T00:00:00Z' });
    const voided = await api.call('POST', `${path}/transactions/auth-2/void`, { body: { reason: 'annulé par le client ✗' } });
    expect(voided.status, voided.text).toBe(201);
    const closed = await api.call('POST', `${path}/accounts/temp/close`, { body: {} });
    expect([200, 201], closed.text).toContain(closed.status);
    // A raw body: escapes the client chose, a duplicate key (the last wins) and a long integer that JavaScript writes back as given.
    const raw = await api.call('POST', `${path}/transactions`, { rawBody: '{"id":"raw-1","effectiveAt":"2026-04-03T00:00:00Z","description":"\\u00e9\\ud83d\\ude00\\/","metadata":{"k":1,"k":2,"big":12345678901234567000,"f":1.50,"e":1E2},"postings":[{"accountId":"bank","direction":"debit","amount":"1.00"},{"accountId":"alice","direction":"credit","amount":"1.00"}]}' });
    expect(raw.status, raw.text).toBe(201);

    const { events, head } = await readAll(api, ledgerId);
    expect(events.map((e) => e.type)).toEqual([
      'LedgerCreated', 'AssetDeclared', 'AccountOpened', 'AccountOpened', 'AccountOpened', 'AccountOpened', 'AccountOpened', 'AccountOpened',
      'PeriodClosed', 'TransactionRecorded', 'TransactionRecorded', 'TransactionRecorded', 'TransactionRecorded', 'TransactionRecorded',
      'TransactionRecorded', 'HoldPosted', 'TransactionRecorded', 'HoldVoided', 'AccountClosed', 'TransactionRecorded',
    ]);
    expect(head).toBe(events.length);
    expect(independentlyVerify(events)).toEqual([]);

    // What was hashed is what was sent: unicode and nesting survive storage exactly.
    const bank = events.find((e) => e.type === 'AccountOpened' && e.data.accountId === 'bank')!;
    expect(bank.data.metadata).toEqual(tricky);
    expect(canonical(bank.data.metadata)).toBe(canonical(tricky));
    const dep = events.find((e) => e.data.id === 'dep-1')!;
    expect(dep.data.description).toBe('Dépôt initial — 初回入金 💶\n"line two"\t\\');
    expect(dep.data.effectiveAt).toBe('2026-04-01T10:00:00.000000Z');
    expect(events.find((e) => e.data.id === 'pts-1-rev')!.data).toMatchObject({ reverses: 'pts-1', reason: 'doublon — ошибка 🙈' });
    expect(events.find((e) => e.data.id === 'dep-1b')!.data).toMatchObject({ corrects: 'dep-1', metadata: { 'ü': { 'ß': ['ẞ'] } } });
    expect(events.find((e) => e.type === 'HoldVoided')!.data).toMatchObject({ holdId: 'auth-2', reason: 'annulé par le client ✗' });
    expect(events.find((e) => e.type === 'HoldPosted')!.data).toMatchObject({ holdId: 'auth-1' });
    expect(events.find((e) => e.type === 'PeriodClosed')!.data).toEqual({ through: '2026-03-31' });
    expect(events.find((e) => e.type === 'AssetDeclared')!.data).toEqual({ code: 'PTS', scale: 3 });
    expect(events[0]!.data).toEqual({ ledgerId, name: 'Grüße — 账本 📒 "quoted"', timezone: 'Europe/Paris' });
    expect(events.at(-1)!.data).toMatchObject({ description: 'é😀/', metadata: { k: 2, big: 12345678901234567000, f: 1.5, e: 100 } });

    // Tampering with any field the document names changes the hash the verifier computes.
    const sample = events[9]!;
    for (const change of [{ position: 99 }, { type: 'TransactionVoided' }, { recordedAt: sample.recordedAt.replace(/\d(?=Z$)/, (d: string) => String((Number(d) + 1) % 10)) }, { actor: 'key_other' }, { requestId: 'r-other' }, { ledgerId: 'other' }, { prevHash: 'f'.repeat(64) }, { data: { ...sample.data, description: `${sample.data.description} ` } }]) {
      expect(hashOf({ ...sample, ...change }), JSON.stringify(Object.keys(change))).not.toBe(sample.hash);
    }

    // The digest is the head of that chain.
    const digest = await api.call('GET', `${path}/digest`);
    expect(digest.status, digest.text).toBe(200);
    const last = events.at(-1)!;
    expect(digest.body).toEqual({ position: last.position, recordedAt: last.recordedAt, hash: last.hash, treeSize: last.position, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
  });

  it('answers the digest of the head as the feed shows it, as the ledger grows', async () => {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const [auditor, writer] = [await newKey('auditor', [ledgerId]), await newKey('writer', [ledgerId])];
    for (let i = 0; i < 3; i++) {
      const { events, head } = await readAll(api, ledgerId, auditor.key);
      const last = events.at(-1)!;
      for (const key of [auditor.key, writer.key, api.adminKey]) {
        const digest = await api.call('GET', `${path}/digest`, { key });
        expect(digest.status, digest.text).toBe(200);
        expect(digest.body).toEqual({ position: head, recordedAt: last.recordedAt, hash: last.hash, treeSize: head, rootHash: expect.stringMatching(/^[0-9a-f]{64}$/) });
      }
      const byDigest = await api.call('GET', `${path}/verify?digestPosition=${head}&digestHash=${last.hash}`, { key: auditor.key });
      expect(byDigest.body).toEqual({ ok: true, checkedThrough: head, firstBadPosition: null });
      await created('POST', `${path}/transactions`, transfer(`d${i}`, '2026-04-01T10:00:00Z', 'bank', 'alice', '3.00'), writer.key);
    }
  });
});
