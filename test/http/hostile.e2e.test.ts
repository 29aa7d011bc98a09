import fc from 'fast-check';
import type { z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { unstorableJson } from '../../src/adapters/http/json-guard.ts';
import { DEFAULT_LIMITS } from '../../src/adapters/http/limits.ts';
import {
  BatchBody, ClosePeriodBody, CorrectBody, CreateKeyBody, CreateLedgerBody, DeclareAssetBody, ENTITY_ID_PATTERN, LEDGER_ID_PATTERN,
  OpenAccountBody, PostHoldBody, ReverseBody, TransactionBody, VoidHoldBody,
} from '../../src/adapters/http/schemas.ts';
import { uniqueLedgerId } from '../support/databases.ts';
import { describeOnEachDatabase, expectProblem, type Answer, type Json, type TestApi } from '../support/http.ts';

// Spec section 5: "No client input, however malformed, gets a 5xx, and a refused write records
// nothing. Unknown fields are refused." A fast-check corpus of hostile requests to every write
// route and to the reads' query strings: each is a valid request with exactly one hostile part
// (a field of the wrong type or grammar, an unknown or server-owned field, a missing field, JSON
// that is not JSON or nests too deep or holds what PostgreSQL cannot store, a body over the limit,
// a bad path segment, key, Idempotency-Key or Content-Type, or a business rule broken on purpose).
// Every answer is a 4xx problem+json, and nothing is recorded: the head and the event feed stay
// byte for byte the same, and no ledger or key appears. The generator checks itself: a body
// mutation must make the body one that JSON parsing, the JSON guard or the route's own schema
// refuses, and any other hostile part rides on a body they accept.
//
// Run more cases with HOSTILE_WRITE_RUNS / HOSTILE_READ_RUNS; replay a failure with HOSTILE_SEED.

const WRITE_RUNS = Number(process.env.HOSTILE_WRITE_RUNS ?? 25);
const READ_RUNS = Number(process.env.HOSTILE_READ_RUNS ?? 6);
const MIN_REQUESTS = 300;
const MAX_BODY = DEFAULT_LIMITS.maxBodyBytes;
// A request that wrongly succeeds has effects, so shrinking (which sends it again) would report a
// later answer, not the first: the first failing request is reported as it was sent.
const RUN = { endOnFailure: true, ...(process.env.HOSTILE_SEED === undefined ? {} : { seed: Number(process.env.HOSTILE_SEED) }) };

/** The codes of spec section 5 a refusal may carry, with their statuses (never UNAVAILABLE: no input earns a 5xx). */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  VALIDATION_FAILED: 400, UNAUTHORIZED: 401, FORBIDDEN: 403, NOT_FOUND: 404, IDEMPOTENCY_CONFLICT: 409, ALREADY_REVERSED: 409,
  NOT_REVERSIBLE: 409, HOLD_NOT_PENDING: 409, HOLD_EXPIRED: 409, PERIOD_CLOSED: 409, ACCOUNT_CLOSED: 409, PAYLOAD_TOO_LARGE: 413,
  UNBALANCED: 422, CURRENCY_MISMATCH: 422, SCALE_EXCEEDED: 422, UNKNOWN_ACCOUNT: 422, INSUFFICIENT_FUNDS: 422, RATE_LIMITED: 429,
};

// ---------------------------------------------------------------------------------------------
// JSON text the corpus writes: what JSON.stringify cannot say, and bodies built only when sent.

/** A JSON token written as is: NaN, 1e400, -0, a 61-digit number, or a whole malformed text. */
class Raw {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  [fc.toStringMethod](): string {
    return `raw(${JSON.stringify(this.text.length > 80 ? `${this.text.slice(0, 80)}...` : this.text)})`;
  }
}

/** `depth` nested objects or arrays. */
class Deep {
  readonly depth: number;
  readonly shape: 'object' | 'array';
  constructor(depth: number, shape: 'object' | 'array') {
    this.depth = depth;
    this.shape = shape;
  }
  [fc.toStringMethod](): string {
    return `deep(${this.shape} x${this.depth})`;
  }
}

/** A string field that grows, when sent, until its body is over the body limit. */
class Fill {
  readonly char: string;
  constructor(char: string) {
    this.char = char;
  }
  [fc.toStringMethod](): string {
    return `fill(${JSON.stringify(this.char)})`;
  }
}

/** A body sent `extra` bytes past the body limit: padded with whitespace (still valid JSON), or grown through its Fill. */
class Oversize {
  readonly body: unknown;
  readonly how: 'pad-after' | 'pad-before' | 'fill';
  readonly extra: number;
  constructor(body: unknown, how: Oversize['how'], extra: number) {
    this.body = body;
    this.how = how;
    this.extra = extra;
  }
  [fc.toStringMethod](): string {
    return `oversize(${this.how}, limit + 1 + ${this.extra} bytes, ${fc.stringify(this.body)})`;
  }
}

const raw = (text: string) => new Raw(text);

function jsonText(value: unknown, fill = ''): string {
  if (value instanceof Raw) return value.text;
  if (value instanceof Deep) {
    return value.shape === 'array' ? `${'['.repeat(value.depth)}${']'.repeat(value.depth)}` : `${'{"a":'.repeat(value.depth)}1${'}'.repeat(value.depth)}`;
  }
  if (value instanceof Fill) return JSON.stringify(fill);
  if (Array.isArray(value)) return `[${value.map((v) => jsonText(v, fill)).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${jsonText(v, fill)}`).join(',')}}`;
  }
  // JSON.stringify writes U+0000 and lone surrogates as \u escapes, as a hostile client would.
  return JSON.stringify(value);
}

function fillOf(value: unknown): Fill | undefined {
  if (value instanceof Fill) return value;
  if (value === null || typeof value !== 'object' || value instanceof Raw || value instanceof Deep) return undefined;
  for (const child of Object.values(value)) {
    const found = fillOf(child);
    if (found) return found;
  }
  return undefined;
}

/** The text sent for a body. */
function bodyText(value: unknown): string {
  if (!(value instanceof Oversize)) return jsonText(value);
  const target = MAX_BODY + 1 + value.extra;
  if (value.how !== 'fill') {
    const text = jsonText(value.body);
    const pad = ' '.repeat(target - Buffer.byteLength(text));
    return value.how === 'pad-before' ? pad + text : text + pad;
  }
  const { char } = fillOf(value.body)!;
  const count = Math.ceil((target - Buffer.byteLength(jsonText(value.body))) / Buffer.byteLength(char));
  return jsonText(value.body, char.repeat(count));
}

/** An object with an own `__proto__` key, which JSON.parse keeps and an assignment would not. */
function withProtoKey(value: unknown): Json {
  const object: Json = {};
  Object.defineProperty(object, '__proto__', { value, enumerable: true, writable: true, configurable: true });
  return object;
}

type Path = readonly (string | number)[];

function edit(base: Json, path: Path, change: (parent: Json, key: string | number) => void): Json {
  const copy = structuredClone(base);
  let parent: Json = copy;
  for (const key of path.slice(0, -1)) parent = parent[key];
  change(parent, path[path.length - 1]!);
  return copy;
}

const setAt = (base: Json, path: Path, value: unknown) =>
  edit(base, path, (parent, key) => Object.defineProperty(parent, key, { value, enumerable: true, writable: true, configurable: true }));
const dropAt = (base: Json, path: Path) => edit(base, path, (parent, key) => delete parent[key]);

/** Whether the service refuses this body before any handler runs: not JSON, not storable or too deep, or refused by the route's schema. */
function refusedBeforeHandler(text: string, schema: z.ZodType | undefined): boolean {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return true;
  }
  if (unstorableJson(parsed)) return true;
  return schema !== undefined && !schema.safeParse(parsed).success;
}

/** A path segment as a hostile client writes it: percent-encoded, lone surrogates as the (invalid) UTF-8 bytes they would take. */
function segment(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    out += code >= 0xd800 && code <= 0xdfff
      ? [0xe0 | (code >> 12), 0x80 | ((code >> 6) & 0x3f), 0x80 | (code & 0x3f)].map((b) => `%${b.toString(16).toUpperCase()}`).join('')
      : encodeURIComponent(ch);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Hostile values, by what a field holds. Each pool is refused by the field's grammar.

const DIGITS_61 = `1${'0'.repeat(60)}`;
const SIGNIFICANT_49 = `${'1'.repeat(30)}.${'1'.repeat(19)}`;

/** Tokens that make the whole text something other than JSON. */
const NOT_JSON = ['NaN', 'Infinity', '-Infinity', 'undefined', '0x10', '01', '.5', '+1', '1.', 'True', 'None', "'x'", '"unterminated', '1e', '--1', '\u00a01'].map(raw);

const WRONG_TYPES = {
  string: [null, 0, 42, -1.5, true, false, [], {}, ['x'], { value: 'x' }, raw('-0'), raw('1e400'), raw(DIGITS_61), raw('1e3')],
  number: ['2', '', null, true, false, [], {}, [2], { value: 2 }],
  boolean: ['true', 'false', 1, 0, null, 'yes', [], {}, raw('-0')],
  array: ['x', 1, null, true, {}, { 0: 'x', length: 1 }],
  object: ['x', 1, null, true, [], [{}]],
} as const;

/** Characters no id may hold: controls, bidi overrides, joiners, combining marks, homoglyphs, separators, URL syntax. */
const HOSTILE_CHARS = [
  '\u0000', '\u0007', '\u202e', '\u200d', '\u200b', '\u0301', '\ufeff', '\u00a0', '\ud800', '\udfff', '\u0430', '\u0131', '\u00df', '\u{1f600}',
  '/', '\\', '%', ' ', '\t', '\n', '"', "'", '#', '?', '&', '=', '+', ',', ';', '@', '!', '$', '*', '(', ')', '~', '`', '|', '<', '>', '^', '{', '[',
];

const HOSTILE_IDS = [
  '', ' ', 'a b', ' bank', 'bank ', '../bank', '..', '.', '%2F', 'a/b', 'a%2Fb', '..%2F..%2Fledgers', 'bank\u0000', '\u0000', 'a\u202eb',
  '\u202ebank', 'ba\u200dnk', 'ba\u200bnk', '\ufeffbank', 'b\u0430nk', '\uff42\uff41\uff4e\uff4b', 'bank\u0301', 'e\u0301', '\u01c5', 'bank\n',
  'bank\t', '-bank', '.bank', ':bank', '_bank', 'x'.repeat(129), 'x'.repeat(5000), 'bank;drop table accounts', "bank'--", '<script>', '${x}',
  'bank\\', 'bank*', 'bank%', 'bank?', 'bank#', '\u{1f600}', '\ud800', 'a\udc00b', '\u0130', 'nul\u0000',
];

const insertInto = (ids: readonly string[], chars: readonly string[]) =>
  fc.tuple(fc.constantFrom(...ids), fc.constantFrom(...chars), fc.nat()).map(([id, ch, at]) => {
    const i = at % (id.length + 1);
    return id.slice(0, i) + ch + id.slice(i);
  });

const hostileEntityId: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...HOSTILE_IDS) },
  { weight: 4, arbitrary: insertInto(['bank', 'alice', 'tx-1', 'customer:42:wallet'], HOSTILE_CHARS) },
  { weight: 1, arbitrary: fc.integer({ min: 129, max: 4096 }).map((n) => 'a'.repeat(n)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
).filter((id) => !ENTITY_ID_PATTERN.test(id));

const hostileLedgerId: fc.Arbitrary<string> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom('', 'A', 'Acme', 'ACME', '-acme', 'acme_', 'ac.me', 'ac:me', 'ac me', 'a'.repeat(64), 'a'.repeat(1000), 'a\u00e7me', '\u0430cme', 'acme\u0000', '..', '%2F', 'acme/../x', 'acme\u202e', 'acme\u200d', '\ud800', 'acme\n') },
  { weight: 4, arbitrary: insertInto(['acme', 'ledger-1', 'x'], [...HOSTILE_CHARS, 'A', 'Z', '_', '.', ':']) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 24 }) },
).filter((id) => !LEDGER_ID_PATTERN.test(id));

const BAD_AMOUNT_TEXT = [
  '-0', '0', '0.00', '00', '-1.00', '+1.00', '-0.01', '1e3', '1E3', '1e-2', '1e400', 'NaN', 'Infinity', '-Infinity', '0x10', '0b1', '1,000.00',
  '1 000', '1_000', '1.000,00', '\u0661\u0660', '\uff11\uff10', ' 1.00', '1.00 ', '1.00\n', '1.00\u0000', '1.00\u200b', '.50', '1.', '01.00',
  '1.5.0', '', DIGITS_61, SIGNIFICANT_49, '1'.repeat(31), `${'9'.repeat(30)}.${'9'.repeat(19)}`, '\u22121.00', '\u20121', '1/2', '\u00bd',
  '1.00USD', '$1.00', '0.0000000000000000001', '2e2', 'null', 'true', '[]', '{}',
];
const BAD_AMOUNT_NUMBERS = ['10', '10.5', '1', '0', '-0', '-1', '1e3', '1E3', '1e400', '-1e400', '1e-400', DIGITS_61, '0.1', `${'1234567890'.repeat(5)}1`].map(raw);

const hostileAmount: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...BAD_AMOUNT_TEXT) },
  { weight: 3, arbitrary: fc.constantFrom(...BAD_AMOUNT_NUMBERS) },
  { weight: 1, arbitrary: fc.bigInt({ min: 10n ** 30n, max: 10n ** 80n }).map(String) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 999_999 }), fc.integer({ min: 19, max: 60 })).map(([w, n]) => `${w}.${'1'.repeat(n)}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 99_999 }).map((c) => `-${c}.00`) },
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: -400, max: 400 })).map(([m, e]) => `${m}e${e}`) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: 18 }).map((n) => (n === 0 ? '0' : `0.${'0'.repeat(n)}`)) },
);

/** Refused as a timestamp and as a date: impossible dates, 24:00, leap seconds, no offset, years outside 1900 to 9999, 7+ fraction digits... */
const BAD_TIMESTAMPS = [
  '2026-02-30T00:00:00Z', '2026-02-29T12:00:00Z', '2026-04-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-00-01T00:00:00Z',
  '2026-03-01T24:00:00Z', '2026-03-01T23:60:00Z', '2026-12-31T23:59:60Z', '2016-12-31T23:59:60Z',
  '2026-03-01T10:00:00', '2026-03-01T10:00:00.123456', '2026-03-01 10:00:00', '2026-03-01T10:00:00 UTC', '2026-03-01T10:00:00GMT',
  '0000-01-01T00:00:00Z', '0001-01-01T00:00:00Z', '1899-12-31T23:59:59.999999Z', '10000-01-01T00:00:00Z', '+002026-03-01T10:00:00Z',
  '-002026-03-01T10:00:00Z', '9999-12-31T23:59:59-00:01', '1900-01-01T00:00:00+00:01',
  '2026-03-01T10:00:00.1234567Z', '2026-03-01T10:00:00.123456789Z', '2026-03-01T10:00:00.Z', '2026-03-01T10:00:00,5Z',
  '2026-03-01T10:00:00+24:00', '2026-03-01T10:00:00+01:60', '2026-03-01T10:00:00+0100', '2026-03-01T10:00:00+01', '2026-03-01T10:00Z',
  'infinity', '-infinity', 'Infinity', 'NaN', 'now', 'today', 'epoch', 'allballs', '', ' ',
  ' 2026-03-01T10:00:00Z', '2026-03-01T10:00:00Z ', '2026-03-01T10:00:00Z\n', '2026-03-01T10:00:00Z\u0000', '2026-03-01T10:00:00\u200bZ',
  '\uff12\uff10\uff12\uff16-03-01T10:00:00Z', '2026-03-01T1\u0660:00:00Z', '2026-W09-7T10:00:00Z', '2026-060T10:00:00Z', '1772359200',
  '2026-03-01T10:00:00Z[Europe/Paris]',
];
/** Refused as a date and as a timestamp. */
const BAD_DATES = [
  '2026-02-30', '2026-02-29', '2026-13-01', '2026-00-10', '2026-04-31', '1900-01-01', '1899-12-31', '9999-12-31', '0000-01-01', '10000-01-01',
  '2026-1-31', '20260131', '2026/01/31', '31-01-2026', '2026-01-31 ', ' 2026-01-31', '\uff12\uff10\uff12\uff16-01-31', '2026-01-3\u0661',
  '2026-01', '2026', 'yesterday', '2026-01-31\u0000', '2026-01-31Z', '2026-01-31+01:00',
];

const tooLong = (max: number) =>
  fc.tuple(fc.integer({ min: max + 1, max: max + 300 }), fc.constantFrom('x', '\u00e9', '\u202e', '\u0301', '\u4e2d')).map(([n, c]) => c.repeat(n));
const UNSTORABLE_TEXT = ['a\u0000b', '\u0000', 'a\ud800b', '\udc00', 'x\udbff', '\ud800\ud800'];
const text = (max: number, min: number) =>
  fc.oneof(tooLong(max), fc.constantFrom(...UNSTORABLE_TEXT, ...(min > 0 ? [''] : [])));

const POSTING = { accountId: 'bank', direction: 'debit', amount: '1.00' };
const MANY_POSTINGS = Array.from({ length: 1001 }, (_, i) => ({ accountId: i % 2 ? 'alice' : 'bank', direction: i % 2 ? 'credit' : 'debit', amount: '1.00' }));
const MINIMAL_TX = { postings: [POSTING, { accountId: 'alice', direction: 'credit', amount: '1.00' }] };

const deep = fc.tuple(fc.integer({ min: 33, max: 4000 }), fc.constantFrom<'object' | 'array'>('object', 'array')).map(([d, s]) => new Deep(d, s));

type Kind =
  | 'entityId' | 'ledgerId' | 'amount' | 'timestamp' | 'timestampOrDate' | 'plainDate' | 'name' | 'requiredName' | 'description' | 'reason'
  | 'direction' | 'status' | 'role' | 'assetCode' | 'scale' | 'boolean' | 'timezone' | 'metadata' | 'postings' | 'capturePostings'
  | 'ledgerIds' | 'transactions' | 'replacement';

const JSON_TYPE: Readonly<Record<Kind, keyof typeof WRONG_TYPES>> = {
  entityId: 'string', ledgerId: 'string', amount: 'string', timestamp: 'string', timestampOrDate: 'string', plainDate: 'string', name: 'string',
  requiredName: 'string', description: 'string', reason: 'string', direction: 'string', status: 'string', role: 'string', assetCode: 'string',
  timezone: 'string', scale: 'number', boolean: 'boolean', metadata: 'object', replacement: 'object', postings: 'array',
  capturePostings: 'array', ledgerIds: 'array', transactions: 'array',
};

/** Values of the right JSON type that the field's grammar refuses. */
const GRAMMAR: Readonly<Record<Kind, fc.Arbitrary<unknown>>> = {
  entityId: hostileEntityId,
  ledgerId: hostileLedgerId,
  amount: hostileAmount,
  timestamp: fc.constantFrom(...BAD_TIMESTAMPS, ...BAD_DATES, '2026-03-01', '2026-12-31'),
  timestampOrDate: fc.constantFrom(...BAD_TIMESTAMPS, ...BAD_DATES),
  plainDate: fc.constantFrom(...BAD_DATES, ...BAD_TIMESTAMPS, '2026-01-31T00:00:00Z', '2026-01-31T23:59:59.999999+01:00'),
  name: text(200, 0),
  requiredName: text(200, 1),
  description: text(1000, 0),
  reason: text(1000, 1),
  direction: fc.constantFrom('DEBIT', 'Debit', 'debit ', ' credit', 'dr', 'cr', 'left', 'right', '', 'd\u00e9bit', 'debit\u0000', 'credit\u200d', '\u0441redit', 'debit,credit'),
  status: fc.constantFrom('POSTED', 'Pending', 'voided', 'expired', 'resolved', '', 'pending\u0000', 'posted ', 'p\u0435nding'),
  role: fc.constantFrom('root', 'ADMIN', 'Admin', 'superuser', '', 'admin\u0000', 'writer ', '\u0430dmin', 'reader,writer', '*'),
  assetCode: fc.constantFrom('usd', 'Usd', 'U', 'USD$', 'US D', 'A'.repeat(17), '1USD', '_USD', '\uff35\uff33\uff24', 'USD\u0000', 'U\u0405D', 'USD\u200d', '', '\u00dcSD', 'USD\n', 'US-D'),
  scale: fc.constantFrom(19, 20, 100, -1, 2.5, 18.000001, raw('1e3'), raw('1e400'), raw('-1e400'), raw(DIGITS_61), raw('1E2'), raw('-1'), raw('1e21'), raw('9007199254740993')),
  boolean: fc.constantFrom('true', 'false', 1, 0, null, 'on'),
  timezone: fc.constantFrom('Mars/Olympus_Mons', 'Europe/Pariss', '', ' UTC', 'UTC ', '../../../etc/passwd', 'UTC\u0000', 'Europe/Paris\u202e', '\u00dctc', 'America/New York', 'GMT+25', 'Europe\\Paris', 'Europe//Paris', 'Europe/Paris/', '%2F', 'x'.repeat(300), 'Z', 'UTC+1'),
  metadata: fc.oneof(
    fc.constantFrom<unknown>(
      { 'a\u0000': 1 }, { note: 'v\u0000' }, { note: '\udc00' }, { '\ud800': 1 }, { nested: { list: ['ok', 'x\u0000'] } },
      withProtoKey({ admin: true }), { nested: withProtoKey(1) }, raw('{"x":NaN}'), raw('{"x":Infinity}'), raw('{"x":1,}'), raw("{'x':1}"),
    ),
    deep,
  ),
  postings: fc.constantFrom<unknown>([], [POSTING], [null, null], [1, 2], ['bank', 'alice'], [[POSTING, POSTING]], [{}, {}], MANY_POSTINGS, { 0: POSTING, 1: POSTING }),
  capturePostings: fc.constantFrom<unknown>([], [null], [{}], [1], ['bank'], [[POSTING]], MANY_POSTINGS),
  ledgerIds: fc.constantFrom<unknown>('acme', [''], ['ACME'], [1], [null], [['acme']], [{}], Array.from({ length: 1001 }, (_, i) => `l-${i}`), ['acme', '-x'], ['a'.repeat(64)], ['acme\u0000']),
  transactions: fc.constantFrom<unknown>([], [null], [1], [[]], ['x'], [{}], Array.from({ length: 1001 }, () => MINIMAL_TX)),
  replacement: fc.constantFrom<unknown>({}, { postings: [] }, { ...MINIMAL_TX, status: 'posted' }, { ...MINIMAL_TX, expiresAt: '2026-04-01T00:00:00Z' }, { ...MINIMAL_TX, reverses: 'tx-base' }),
};

function hostileValue(kind: Kind): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 5, arbitrary: GRAMMAR[kind] },
    { weight: 2, arbitrary: fc.constantFrom<unknown>(...WRONG_TYPES[JSON_TYPE[kind]]) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(...NOT_JSON) },
  );
}

/** Fields the server owns or that no request takes, and keys that only look like known ones. */
const SERVER_OWNED = [
  'position', 'recordedAt', 'hash', 'prevHash', 'actor', 'requestId', 'head', 'closedThrough', 'ledgerId', 'seq', 'type', 'data', 'createdAt',
  'keyId', 'key', 'revoked', 'reverses', 'reversedBy', 'corrects', 'correctedBy', 'resolution', 'asOf', 'status', 'currency', 'id',
  'ledgerBalance', 'availableBalance', 'expiresAt',
];
const LOOKALIKE_KEYS = [
  '__proto__', 'constructor', 'prototype', 'toString', 'valueOf', 'hasOwnProperty', 'ID', 'Id', 'POSTINGS', 'effectiveat', 'effective_at',
  'amount ', ' amount', '\u200bamount', 'amount\u0000', '\u0430mount', 'p\u043estings', 're\u0430son', 'na\u0301me', '', '\ud800',
];
const unknownKey = (known: readonly string[]) =>
  fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...SERVER_OWNED) },
    { weight: 2, arbitrary: fc.constantFrom(...LOOKALIKE_KEYS) },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 12 }) },
  ).filter((key) => !known.includes(key));
const unknownValue = fc.constantFrom<unknown>(1, 'x', null, true, {}, [], '2026-03-01T10:00:00Z', 'f'.repeat(64), raw('-0'), 7);

/** Whole bodies that are not the JSON object a write takes. */
const NOT_AN_OBJECT: readonly unknown[] = [null, [], 'x', '', 0, -1, true, [{}], [[]], raw('NaN'), raw(''), raw('\ufeff'), raw('{}{}'), raw('[{}]]')];

const BAD_IDEMPOTENCY_KEYS = ['a b', 'x'.repeat(256), '\u00e9', 'caf\u00e9', '', 'a\tb', '\u007f', 'k\u00ff'];
const BAD_CONTENT_TYPES = [
  'text/plain', 'text/plain; charset=utf-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml',
  'application/jsonx', 'json', '', 'application/octet-stream', 'application/javascript', 'text/json', 'application/json-seq',
];
/** Path segments no ledger or entity id decodes to, or that the URL itself resolves elsewhere. */
const BAD_SEGMENTS = ['%2e%2e', '..', '.', '%2e', '%2F', '%ZZ', '%', '%00', '%ED%A0%80', '%C0%AF', '%E2%80%AE', '*', ''];
const DOT_SEGMENT = /^(\.|%2e){1,2}$/i;

// ---------------------------------------------------------------------------------------------
// The routes.

interface Ctx {
  readonly ledgerId: string;
  readonly token: string;
  readonly adminKey: string;
  readonly readerKey: string;
  readonly outsiderKey: string;
  readonly tx: string;
  readonly hold: string;
}

interface Business {
  readonly note: string;
  readonly statuses: readonly number[];
  readonly set?: readonly (readonly [Path, unknown])[];
  readonly drop?: readonly Path[];
  /** The {id} or {accountId} to name instead of the route's own. */
  readonly id?: string;
}

interface WriteRoute {
  readonly name: string;
  readonly path: (ledger: string, id: string) => string;
  /** The {id} or {accountId} a valid request names (already a valid path segment). */
  readonly id?: string;
  readonly schema?: z.ZodType;
  /** A valid body, unique by `suffix`; absent for a route that takes no body. */
  readonly base?: (suffix: string) => Json;
  readonly fields: readonly (readonly [Path, Kind])[];
  readonly objects: readonly (readonly [Path, readonly string[]])[];
  readonly required: readonly Path[];
  /** A string field for oversized bodies; absent: an extra field carries the bulk. */
  readonly textField?: Path;
  /** Where arbitrary JSON is allowed, so that only its depth is hostile. */
  readonly freeJson?: Path;
  readonly emptyBodyValid?: boolean;
  /** Whether the route honours Idempotency-Key (and so must check it). */
  readonly idempotencyHeader: boolean;
  readonly access: 'write' | 'admin';
  readonly business: readonly Business[];
}

interface ReadRoute {
  readonly name: string;
  readonly path: (ledger: string, id: string) => string;
  readonly id?: string;
  readonly base: Readonly<Record<string, string>>;
  readonly params: Readonly<Record<string, QueryKind>>;
  readonly repeatable: readonly [string, string];
  readonly access: 'read' | 'feed' | 'audit';
}

type QueryKind = 'timestamp' | 'timestampOrDate' | 'asOfPosition' | 'after' | 'limit' | 'cursor' | 'prefix' | 'entityId' | 'interval' | 'code' | 'digestPosition' | 'digestHash';

const P = (accountId: string, direction: string, amount = '1.00') => ({ accountId, direction, amount });
const TX_KEYS = ['id', 'status', 'effectiveAt', 'expiresAt', 'description', 'metadata', 'postings'];
const POSTING_KEYS = ['accountId', 'direction', 'amount', 'currency'];
const transaction = (id: string): Json => ({
  id, effectiveAt: '2026-03-01T10:00:00Z', description: 'hostile', metadata: { source: 'hostile' }, postings: [P('bank', 'debit'), P('alice', 'credit')],
});
const TX_FIELDS: readonly (readonly [Path, Kind])[] = [
  [['id'], 'entityId'], [['status'], 'status'], [['effectiveAt'], 'timestampOrDate'], [['expiresAt'], 'timestamp'], [['description'], 'description'],
  [['metadata'], 'metadata'], [['postings'], 'postings'], [['postings', 0, 'accountId'], 'entityId'], [['postings', 1, 'accountId'], 'entityId'],
  [['postings', 0, 'direction'], 'direction'], [['postings', 0, 'amount'], 'amount'], [['postings', 1, 'amount'], 'amount'],
  [['postings', 1, 'currency'], 'assetCode'],
];
const within = (prefix: Path, fields: readonly (readonly [Path, Kind])[]) => fields.map(([path, kind]) => [[...prefix, ...path], kind] as const);

function writeRoutes(ctx: Ctx): WriteRoute[] {
  const L = (ledger: string) => `/v1/ledgers/${ledger}`;
  const capture = [P('bank', 'debit', '5.00'), P('alice', 'credit', '5.00')];
  return [
    {
      name: 'POST transactions', path: (l) => `${L(l)}/transactions`, schema: TransactionBody, base: (s) => transaction(`hx-${s}`),
      fields: TX_FIELDS, objects: [[[], TX_KEYS], [['postings', 0], POSTING_KEYS], [['postings', 1], POSTING_KEYS]],
      required: [['postings'], ['postings', 0, 'accountId'], ['postings', 0, 'direction'], ['postings', 1, 'amount']],
      textField: ['description'], freeJson: ['metadata'], idempotencyHeader: true, access: 'write',
      business: [
        { note: 'more fraction digits than USD has', statuses: [422], set: [[['postings', 0, 'amount'], '1.001'], [['postings', 1, 'amount'], '1.001']] },
        { note: 'unbalanced', statuses: [422], set: [[['postings', 0, 'amount'], '2.00']] },
        { note: 'an unknown account', statuses: [422], set: [[['postings', 1, 'accountId'], 'nobody']] },
        { note: 'a currency other than the account\'s', statuses: [422], set: [[['postings', 0, 'currency'], 'EUR']] },
        { note: 'a hold expiring before it takes effect', statuses: [400], set: [[['status'], 'pending'], [['expiresAt'], '2026-02-01T00:00:00Z']] },
        { note: 'expiresAt on a posted transaction', statuses: [400], set: [[['expiresAt'], '2026-04-01T00:00:00Z']] },
        { note: 'the id of another transaction', statuses: [409], set: [[['id'], ctx.tx]] },
      ],
    },
    {
      name: 'POST transactions/batch', path: (l) => `${L(l)}/transactions/batch`, schema: BatchBody,
      base: (s) => ({ atomic: true, transactions: [transaction(`hb-${s}-1`), transaction(`hb-${s}-2`)] }),
      fields: [[['atomic'], 'boolean'], [['transactions'], 'transactions'], ...within(['transactions', 1], TX_FIELDS)],
      objects: [[[], ['atomic', 'transactions']], [['transactions', 0], TX_KEYS], [['transactions', 1, 'postings', 0], POSTING_KEYS]],
      required: [['transactions'], ['transactions', 0, 'postings'], ['transactions', 1, 'postings', 1, 'amount']],
      textField: ['transactions', 0, 'description'], freeJson: ['transactions', 1, 'metadata'],
      // A batch answers 200 with a result per item, so a business refusal is not a 4xx: only the shape is hostile here.
      idempotencyHeader: false, access: 'write', business: [],
    },
    {
      name: 'POST transactions/{id}/reverse', path: (l, id) => `${L(l)}/transactions/${id}/reverse`, id: ctx.tx, schema: ReverseBody,
      base: (s) => ({ reason: 'hostile', effectiveAt: '2026-06-01T00:00:00Z', id: `rv-${s}` }),
      fields: [[['reason'], 'reason'], [['effectiveAt'], 'timestampOrDate'], [['id'], 'entityId']],
      objects: [[[], ['reason', 'effectiveAt', 'id']]], required: [['reason']], textField: ['reason'], idempotencyHeader: true, access: 'write',
      business: [
        { note: 'reversing a hold', statuses: [409], id: ctx.hold },
        { note: 'effective before the original', statuses: [400], set: [[['effectiveAt'], '2026-01-01T00:00:00Z']] },
        { note: 'an unknown transaction', statuses: [404], id: 'no-such-tx' },
        { note: 'the id of another transaction', statuses: [409], set: [[['id'], ctx.tx]] },
      ],
    },
    {
      name: 'POST transactions/{id}/correct', path: (l, id) => `${L(l)}/transactions/${id}/correct`, id: ctx.tx, schema: CorrectBody,
      base: (s) => ({
        reason: 'hostile', effectiveAt: '2026-06-01T00:00:00Z',
        replacement: { id: `rp-${s}`, effectiveAt: '2026-03-02T00:00:00Z', description: 'replacement', postings: [P('bank', 'debit', '2.00'), P('alice', 'credit', '2.00')] },
      }),
      fields: [
        [['reason'], 'reason'], [['effectiveAt'], 'timestampOrDate'], [['replacement'], 'replacement'], [['replacement', 'id'], 'entityId'],
        [['replacement', 'effectiveAt'], 'timestampOrDate'], [['replacement', 'description'], 'description'], [['replacement', 'metadata'], 'metadata'],
        [['replacement', 'postings'], 'postings'], [['replacement', 'postings', 0, 'amount'], 'amount'],
        [['replacement', 'postings', 1, 'accountId'], 'entityId'], [['replacement', 'postings', 0, 'direction'], 'direction'],
      ],
      objects: [
        [[], ['reason', 'effectiveAt', 'replacement']], [['replacement'], ['id', 'effectiveAt', 'description', 'metadata', 'postings']],
        [['replacement', 'postings', 0], POSTING_KEYS],
      ],
      required: [['reason'], ['replacement'], ['replacement', 'postings']], textField: ['reason'], freeJson: ['replacement', 'metadata'],
      idempotencyHeader: true, access: 'write',
      business: [
        { note: 'an unbalanced replacement', statuses: [422], set: [[['replacement', 'postings', 0, 'amount'], '3.00']] },
        { note: 'correcting a hold', statuses: [409], id: ctx.hold },
        { note: 'an unknown transaction', statuses: [404], id: 'no-such-tx' },
        { note: 'a replacement with the id of another transaction', statuses: [409], set: [[['replacement', 'id'], ctx.tx]] },
      ],
    },
    {
      name: 'POST transactions/{id}/post', path: (l, id) => `${L(l)}/transactions/${id}/post`, id: ctx.hold, schema: PostHoldBody,
      base: (s) => ({ id: `cp-${s}`, effectiveAt: '2026-06-01T00:00:00Z', postings: capture }),
      fields: [
        [['id'], 'entityId'], [['effectiveAt'], 'timestampOrDate'], [['postings'], 'capturePostings'], [['postings', 0, 'amount'], 'amount'],
        [['postings', 1, 'accountId'], 'entityId'], [['postings', 0, 'direction'], 'direction'], [['postings', 1, 'currency'], 'assetCode'],
      ],
      objects: [[[], ['id', 'effectiveAt', 'postings']], [['postings', 0], POSTING_KEYS]],
      required: [['postings', 0, 'amount'], ['postings', 1, 'accountId']], emptyBodyValid: true, idempotencyHeader: true, access: 'write',
      business: [
        { note: 'more than the hold', statuses: [400], set: [[['postings', 0, 'amount'], '6.00'], [['postings', 1, 'amount'], '6.00']] },
        { note: 'an unbalanced capture', statuses: [422], set: [[['postings'], [P('bank', 'debit', '1.00')]]] },
        { note: 'posting what is not a hold', statuses: [409], id: ctx.tx },
        { note: 'an unknown hold', statuses: [404], id: 'no-such-hold' },
        { note: 'effective before the hold', statuses: [400], set: [[['effectiveAt'], '2026-01-01T00:00:00Z']] },
      ],
    },
    {
      name: 'POST transactions/{id}/void', path: (l, id) => `${L(l)}/transactions/${id}/void`, id: ctx.hold, schema: VoidHoldBody,
      base: () => ({ reason: 'hostile', effectiveAt: '2026-06-01T00:00:00Z' }),
      fields: [[['reason'], 'reason'], [['effectiveAt'], 'timestampOrDate']], objects: [[[], ['reason', 'effectiveAt']]], required: [],
      textField: ['reason'], emptyBodyValid: true, idempotencyHeader: true, access: 'write',
      business: [
        { note: 'voiding what is not a hold', statuses: [409], id: ctx.tx },
        { note: 'an unknown hold', statuses: [404], id: 'no-such-hold' },
        { note: 'effective before the hold', statuses: [400], set: [[['effectiveAt'], '2026-01-01T00:00:00Z']] },
      ],
    },
    {
      name: 'POST accounts', path: (l) => `${L(l)}/accounts`, schema: OpenAccountBody,
      base: (s) => ({ id: `ha-${s}`, name: 'Hostile account', normalBalance: 'debit', currency: 'USD', noOverdraft: false, metadata: { source: 'hostile' } }),
      fields: [[['id'], 'entityId'], [['name'], 'name'], [['normalBalance'], 'direction'], [['currency'], 'assetCode'], [['noOverdraft'], 'boolean'], [['metadata'], 'metadata']],
      objects: [[[], ['id', 'name', 'normalBalance', 'currency', 'noOverdraft', 'metadata']]], required: [['id'], ['normalBalance'], ['currency']],
      textField: ['name'], freeJson: ['metadata'], idempotencyHeader: true, access: 'write',
      business: [
        { note: 'an existing id with another normal balance', statuses: [409], set: [[['id'], 'bank'], [['normalBalance'], 'credit']] },
        { note: 'an undeclared asset', statuses: [400], set: [[['currency'], 'XYZ']] },
      ],
    },
    {
      name: 'POST assets', path: (l) => `${L(l)}/assets`, schema: DeclareAssetBody, base: (s) => ({ code: `H${s.toUpperCase()}`, scale: 2 }),
      fields: [[['code'], 'assetCode'], [['scale'], 'scale']], objects: [[[], ['code', 'scale']]], required: [['code'], ['scale']],
      idempotencyHeader: true, access: 'write',
      business: [{ note: 'redeclaring USD', statuses: [409], set: [[['code'], 'USD']] }],
    },
    {
      // Takes no body: only what the JSON guard refuses, and everything around the body, is hostile here.
      name: 'POST accounts/{id}/close', path: (l, id) => `${L(l)}/accounts/${id}/close`, id: 'merchant',
      fields: [], objects: [], required: [], idempotencyHeader: true, access: 'write',
      business: [{ note: 'an unknown account', statuses: [404], id: 'no-such-account' }],
    },
    {
      name: 'POST periods/close', path: (l) => `${L(l)}/periods/close`, schema: ClosePeriodBody, base: () => ({ through: '2026-01-31' }),
      fields: [[['through'], 'plainDate']], objects: [[[], ['through']]], required: [['through']], idempotencyHeader: true, access: 'write',
      business: [{ note: 'a date after today', statuses: [400], set: [[['through'], '2999-12-30']] }],
    },
    {
      name: 'POST /v1/ledgers', path: () => '/v1/ledgers', schema: CreateLedgerBody,
      base: (s) => ({ id: `hx-${ctx.token}-${s}`, name: `Hostile ${ctx.token}`, timezone: 'UTC' }),
      fields: [[['id'], 'ledgerId'], [['name'], 'requiredName'], [['timezone'], 'timezone']], objects: [[[], ['id', 'name', 'timezone']]],
      required: [['id'], ['name']], textField: ['name'], idempotencyHeader: true, access: 'admin',
      business: [{ note: 'the id of an existing ledger', statuses: [409], set: [[['id'], ctx.ledgerId]] }],
    },
    {
      name: 'POST /v1/keys', path: () => '/v1/keys', schema: CreateKeyBody, base: () => ({ name: `hostile-${ctx.token}`, role: 'writer', ledgerIds: [ctx.ledgerId] }),
      fields: [[['name'], 'requiredName'], [['role'], 'role'], [['ledgerIds'], 'ledgerIds'], [['ledgerIds', 0], 'ledgerId']],
      objects: [[[], ['name', 'role', 'ledgerIds']]], required: [['name'], ['role']], textField: ['name'],
      // Creating a key records no event and takes no Idempotency-Key.
      idempotencyHeader: false, access: 'admin',
      business: [
        { note: 'a writer key for no ledger', statuses: [400], set: [[['ledgerIds'], []]] },
        { note: 'a writer key without ledgerIds', statuses: [400], drop: [['ledgerIds']] },
      ],
    },
  ];
}

const AS_OF: Readonly<Record<string, QueryKind>> = { recordedAsOf: 'timestamp', recordedAsOfPosition: 'asOfPosition', effectiveAsOf: 'timestampOrDate' };
const PAGE: Readonly<Record<string, QueryKind>> = { limit: 'limit', cursor: 'cursor' };

function readRoutes(ctx: Ctx): ReadRoute[] {
  const L = (ledger: string) => `/v1/ledgers/${ledger}`;
  return [
    { name: 'GET ledger', path: (l) => L(l), base: {}, params: AS_OF, repeatable: ['effectiveAsOf', '2026-03-01'], access: 'read' },
    { name: 'GET accounts', path: (l) => `${L(l)}/accounts`, base: { limit: '10' }, params: { ...AS_OF, ...PAGE, prefix: 'prefix' }, repeatable: ['limit', '10'], access: 'read' },
    { name: 'GET accounts/{id}', path: (l, id) => `${L(l)}/accounts/${id}`, id: 'bank', base: {}, params: AS_OF, repeatable: ['recordedAsOfPosition', '1'], access: 'read' },
    { name: 'GET accounts/{id}/balance', path: (l, id) => `${L(l)}/accounts/${id}/balance`, id: 'bank', base: { effectiveAsOf: '2026-03-02' }, params: AS_OF, repeatable: ['effectiveAsOf', '2026-03-02'], access: 'read' },
    {
      name: 'GET accounts/{id}/entries', path: (l, id) => `${L(l)}/accounts/${id}/entries`, id: 'bank', base: { effectiveFrom: '2026-01-01', effectiveTo: '2026-12-30' },
      params: { ...AS_OF, ...PAGE, effectiveFrom: 'timestampOrDate', effectiveTo: 'timestampOrDate' }, repeatable: ['effectiveFrom', '2026-01-01'], access: 'read',
    },
    {
      name: 'GET accounts/{id}/balance-history', path: (l, id) => `${L(l)}/accounts/${id}/balance-history`, id: 'bank',
      base: { effectiveFrom: '2026-01-01', effectiveTo: '2026-06-30', interval: 'month' },
      params: { ...AS_OF, effectiveFrom: 'timestampOrDate', effectiveTo: 'timestampOrDate', interval: 'interval' }, repeatable: ['interval', 'month'], access: 'read',
    },
    { name: 'GET balances', path: (l) => `${L(l)}/balances`, base: { prefix: 'ba' }, params: { ...AS_OF, prefix: 'prefix' }, repeatable: ['prefix', 'ba'], access: 'read' },
    {
      name: 'GET transactions', path: (l) => `${L(l)}/transactions`, base: { accountId: 'bank', limit: '5' },
      params: { ...AS_OF, ...PAGE, accountId: 'entityId', effectiveFrom: 'timestampOrDate', effectiveTo: 'timestampOrDate', recordedFrom: 'timestamp', recordedTo: 'timestamp' },
      repeatable: ['accountId', 'bank'], access: 'read',
    },
    { name: 'GET transactions/{id}', path: (l, id) => `${L(l)}/transactions/${id}`, id: ctx.tx, base: {}, params: AS_OF, repeatable: ['recordedAsOfPosition', '1'], access: 'read' },
    { name: 'GET events', path: (l) => `${L(l)}/events`, base: { after: '0', limit: '10' }, params: { after: 'after', limit: 'limit' }, repeatable: ['after', '0'], access: 'feed' },
    // Never sent with a valid query: a valid one would open a stream that does not end.
    { name: 'GET events/stream', path: (l) => `${L(l)}/events/stream`, base: { after: '0' }, params: { after: 'after' }, repeatable: ['after', '0'], access: 'feed' },
    {
      name: 'GET restatements', path: (l) => `${L(l)}/restatements`, base: { recordedFrom: '2026-01-01T00:00:00Z' },
      params: { recordedFrom: 'timestamp', recordedTo: 'timestamp', effectiveAsOf: 'timestampOrDate' }, repeatable: ['recordedFrom', '2026-01-01T00:00:00Z'], access: 'audit',
    },
    { name: 'GET reversals', path: (l) => `${L(l)}/reversals`, base: { limit: '10' }, params: { ...AS_OF, ...PAGE }, repeatable: ['limit', '10'], access: 'audit' },
    { name: 'GET rejections', path: (l) => `${L(l)}/rejections`, base: { limit: '10' }, params: { ...AS_OF, ...PAGE, code: 'code' }, repeatable: ['limit', '10'], access: 'audit' },
    { name: 'GET verify', path: (l) => `${L(l)}/verify`, base: {}, params: { digestPosition: 'digestPosition', digestHash: 'digestHash' }, repeatable: ['digestPosition', '1'], access: 'audit' },
  ];
}

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64url');
const VALID_AT = '2026-03-01T00:00:00.000000Z';

/** Query values each parameter's grammar refuses (and, for a cursor, that this service never gave). */
const QUERY_VALUES: Readonly<Record<QueryKind, fc.Arbitrary<string>>> = {
  timestamp: fc.constantFrom(...BAD_TIMESTAMPS, ...BAD_DATES, '2026-03-01'),
  timestampOrDate: fc.constantFrom(...BAD_TIMESTAMPS, ...BAD_DATES),
  asOfPosition: fc.constantFrom('-1', '1e2', '1.5', '01', '', ' 1', '0x10', 'NaN', 'Infinity', '99999999999999999', '9999999999999999', '\uff11', '1\u0000', '+1', '1 ', '\u0663', '1e400', DIGITS_61),
  after: fc.constantFrom('-1', '1e2', '1.5', '01', '', ' 1', '0x10', 'NaN', 'Infinity', '99999999999999999', '\uff11', '1\u0000', '+1', '1 ', '\u0663', DIGITS_61),
  limit: fc.constantFrom('0', '-1', '1001', '1e3', '99999999999999999999', '1.0', ' 1', '01', '', 'NaN', 'Infinity', '\uff11\uff10', '0x10', '10\u0000', 'all', '1,000', '10 ', '+5', DIGITS_61),
  cursor: fc.constantFrom(
    '', 'abc', '!!!', 'x'.repeat(513), '\u0000', '\u202e',
    b64(JSON.stringify({ position: -1, effectiveAsOf: VALID_AT, after: null })),
    b64(JSON.stringify({ position: 1.5, effectiveAsOf: VALID_AT, after: null })),
    b64(JSON.stringify({ position: '1', effectiveAsOf: VALID_AT, after: 0 })),
    b64(`{"position":1e400,"effectiveAsOf":"${VALID_AT}","after":0}`),
    b64(JSON.stringify({ position: 1, effectiveAsOf: 'infinity', after: 0 })),
    b64(JSON.stringify({ position: 1, effectiveAsOf: '2026-02-30T00:00:00Z', after: 0 })),
    b64(JSON.stringify({ position: 1, effectiveAsOf: VALID_AT, after: null })),
    b64(JSON.stringify({ position: 1, effectiveAsOf: `${VALID_AT}\u0000`, after: 0 })),
    b64(JSON.stringify({ position: 2 ** 53 + 2, effectiveAsOf: VALID_AT, after: 'bank' })),
    b64(JSON.stringify({ position: 99_999_999, effectiveAsOf: VALID_AT, after: {} })),
    b64('null'), b64('[]'), b64('"x"'), b64('{"__proto__":{"position":1}}'), b64('{"position":1,'),
  ),
  prefix: fc.constantFrom('%', ' ', 'ba nk', 'b\u0430nk', 'a'.repeat(129), 'bank\u0000', 'bank/', '../', '*', 'bank%', '_%', "' or 1=1 --", '\u202e', '\u00e9', 'ba\u200bnk', 'bank\n'),
  entityId: hostileEntityId,
  interval: fc.constantFrom('year', 'DAY', '', 'hour', 'Day', 'week ', 'month\u0000', 'weeks', 'm\u043enth', '1'),
  code: fc.constantFrom('not_found', '', 'X'.repeat(41), 'CODE1', 'NOT FOUND', '\u00c9', 'NOT-FOUND', 'UNBALANCED\u0000'),
  digestPosition: fc.constantFrom('0', '-1', '01', '1e3', '', '99999999999999999', 'x', '1.0', ' 1'),
  digestHash: fc.constantFrom('zz', 'A'.repeat(64), 'a'.repeat(63), 'a'.repeat(65), '', 'g'.repeat(64), `${'a'.repeat(63)}\u0000`),
};
const UNKNOWN_PARAMS = [
  'foo', 'position', 'recordedasof', 'RecordedAsOf', 'limit ', 'effective_as_of', '__proto__', 'constructor', 'toString', 'head', 'actor',
  'cursor[]', 'limit[0]', 'after.x', 'ledgerId', 'accountId', 'prefix', 'after', 'limit', 'cursor', 'recordedAsOfPosition', 'key', 'interval',
];
/** Percent-encodings that do not decode, or decode to what no parameter takes. */
const UNDECODABLE = ['%', '%%', '%2', '%ZZ', '%u0041', '%00', '%ED%A0%80', '%C0%AF', '%FF%FE', '%E2%80%AE', '%F0%9F%98', '%0A', '%20%20'];

// ---------------------------------------------------------------------------------------------
// Cases.

interface Case {
  readonly route: string;
  readonly family: string;
  readonly note?: unknown;
  readonly method: 'GET' | 'POST';
  readonly path: string;
  readonly body?: unknown;
  /** undefined: the admin key; null: none. */
  readonly key?: string | null;
  readonly headers?: Readonly<Record<string, string>>;
  readonly statuses: readonly number[];
  /** What the body must be on its own: refused before any handler (the body is the hostile part), or accepted (the hostile part is elsewhere). */
  readonly bodyAlone?: 'refused' | 'accepted';
}

const suffix = fc.stringMatching(/^[a-z0-9]{8}$/);

function authCases(ctx: Ctx, access: WriteRoute['access'] | ReadRoute['access'], ledgerScoped: boolean) {
  const variants: { note: string; key: string | null; headers?: Record<string, string>; statuses: number[] }[] = [
    { note: 'no key', key: null, statuses: [401] },
    { note: 'an unknown key', key: `lk_${'A'.repeat(32)}`, statuses: [401] },
    { note: 'the admin key and a byte more', key: `${ctx.adminKey}x`, statuses: [401] },
    { note: 'the admin key but its last byte', key: ctx.adminKey.slice(0, -1), statuses: [401] },
    { note: 'a 600-byte key', key: 'k'.repeat(600), statuses: [401] },
    { note: 'Basic credentials', key: null, headers: { Authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}` }, statuses: [401] },
    { note: 'Bearer and no key', key: null, headers: { Authorization: 'Bearer' }, statuses: [401] },
    { note: 'two spaces after Bearer', key: null, headers: { Authorization: `Bearer  ${ctx.adminKey}` }, statuses: [401] },
    { note: 'a Latin-1 byte in the key', key: null, headers: { Authorization: `Bearer ${ctx.adminKey}\u00e9` }, statuses: [401] },
  ];
  if (access !== 'read') variants.push({ note: 'a reader key', key: ctx.readerKey, statuses: [403] });
  variants.push({ note: 'a writer key for another ledger', key: ctx.outsiderKey, statuses: ledgerScoped ? [404] : [403] });
  return fc.constantFrom(...variants);
}

function writeCases(route: WriteRoute, ctx: Ctx): fc.Arbitrary<Case> {
  const id = route.id ?? '';
  const at = (ledger = ctx.ledgerId, pathId = id) => route.path(ledger, pathId);
  const post = (family: string, fields: Omit<Case, 'route' | 'family' | 'method' | 'path'> & { path?: string }): Case =>
    ({ route: route.name, family, method: 'POST', path: fields.path ?? at(), ...fields });
  const { base } = route;
  const families: fc.WeightedArbitrary<Case>[] = [];
  const ledgerScoped = route.path('LEDGER', id).includes('LEDGER');

  if (base) {
    families.push({
      weight: 8,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...route.fields)).chain(([s, [path, kind]]) =>
        hostileValue(kind).map((value) => post(`invalid ${kind}`, { note: path.join('.'), body: setAt(base(s), path, value), statuses: [400], bodyAlone: 'refused' }))),
    });
    families.push({
      weight: 4,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...route.objects)).chain(([s, [path, known]]) =>
        fc.tuple(unknownKey(known), unknownValue).map(([key, value]) =>
          post('unknown field', { note: [...path, key].join('.'), body: setAt(base(s), [...path, key], value), statuses: [400], bodyAlone: 'refused' }))),
    });
    if (route.required.length > 0) {
      families.push({
        weight: 1,
        arbitrary: fc.tuple(suffix, fc.constantFrom(...route.required)).map(([s, path]) =>
          post('missing field', { note: path.join('.'), body: dropAt(base(s), path), statuses: [400], bodyAlone: 'refused' })),
      });
    }
    families.push({
      weight: 1,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...NOT_AN_OBJECT, ...(route.emptyBodyValid ? [] : [{}]), 'base in an array')).map(([s, value]) =>
        post('not a JSON object', { body: value === 'base in an array' ? [base(s)] : value, statuses: [400], bodyAlone: 'refused' })),
    });
    families.push({
      weight: 1,
      arbitrary: fc.tuple(suffix, fc.constantFrom('truncated', 'trailing garbage', 'single quotes', 'comment', 'trailing comma', 'NUL after', 'unquoted key', 'two bodies'), fc.nat())
        .map(([s, how, n]) => {
          const valid = jsonText(base(s));
          const malformed = {
            truncated: valid.slice(0, n % valid.length),
            'trailing garbage': `${valid}}`,
            'single quotes': valid.replaceAll('"', "'"),
            comment: `/* hostile */${valid}`,
            'trailing comma': `${valid.slice(0, -1)},}`,
            'NUL after': `${valid}\u0000`,
            'unquoted key': valid.replace(/"([A-Za-z]+)":/, '$1:'),
            'two bodies': `${valid}${valid}`,
          }[how];
          return post('malformed JSON', { note: how, body: raw(malformed), statuses: [400], bodyAlone: 'refused' });
        }),
    });
    families.push({
      weight: 1,
      arbitrary: fc.tuple(suffix, deep, fc.constantFrom('free', 'extra field', 'whole body')).map(([s, nested, where]) => {
        const body = where === 'whole body' ? nested
          : where === 'free' && route.freeJson ? setAt(base(s), route.freeJson, nested)
            : setAt(base(s), ['nested'], nested);
        return post('deep JSON', { note: where, body, statuses: [400], bodyAlone: 'refused' });
      }),
    });
  } else {
    // No body is taken: bodies that JSON parsing or the guard refuse, whatever the route.
    families.push({
      weight: 8,
      arbitrary: fc.oneof(
        fc.constantFrom<unknown>(raw('{'), raw('not json'), raw('{"a":NaN}'), raw("{'a':1}"), raw('{"a":1}}'), raw('[1,]'), raw('\u0000')),
        fc.constantFrom<unknown>({ 'a\u0000': 1 }, { a: '\ud800' }, { a: 'x\u0000' }, withProtoKey({}), ['\udc00']),
        deep,
      ).map((body) => post('unstorable or malformed body', { body, statuses: [400], bodyAlone: 'refused' })),
    });
  }

  families.push({
    weight: 2,
    arbitrary: fc.tuple(suffix, fc.constantFrom<Oversize['how']>('pad-after', 'pad-before', 'fill'), fc.constantFrom('x', '\u00e9', '\u20ac', '\u{1f600}'), fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 65_536 })))
      .map(([s, how, char, extra]) => {
        const valid = base ? base(s) : {};
        const body = how !== 'fill' ? valid : route.textField ? setAt(valid, route.textField, new Fill(char)) : setAt(valid, ['blob'], new Fill(char));
        return post('oversized body', { body: new Oversize(body, how, extra), statuses: [413] });
      }),
  });

  const accepted = (s: string) => (base ? { body: base(s), bodyAlone: 'accepted' as const } : {});
  const segments = [
    ...(ledgerScoped ? [fc.oneof(hostileLedgerId.map(segment), fc.constantFrom(...BAD_SEGMENTS, `${ctx.ledgerId}%00`, `${ctx.ledgerId}%2F..`, `${ctx.ledgerId}%20`,
      `%20${ctx.ledgerId}`, ctx.ledgerId.toUpperCase(), `${ctx.ledgerId}%E2%80%8D`, `${ctx.ledgerId}%3B`, `${ctx.ledgerId}/`, `${ctx.ledgerId}-missing`))
      .map((ledger) => ({ note: `ledger ${ledger}`, path: at(ledger) }))] : []),
    ...(route.id ? [fc.oneof(hostileEntityId.map(segment), fc.constantFrom(...BAD_SEGMENTS, `${id}%00`, `${id}%20`, `${id}%2F..%2F..`, `${id};x`, `${id}%E2%80%8B`))
      .map((pathId) => ({ note: `id ${pathId}`, path: at(ctx.ledgerId, pathId) }))] : []),
  ];
  if (segments.length > 0) {
    families.push({
      weight: 2,
      arbitrary: fc.tuple(suffix, fc.oneof(...segments)).map(([s, { note, path }]) => post('hostile path', { note, path, ...accepted(s), statuses: [400, 404] })),
    });
  }
  families.push({
    weight: 1,
    arbitrary: fc.tuple(suffix, authCases(ctx, route.access, ledgerScoped)).map(([s, { note, key, headers, statuses }]) =>
      post('hostile credentials', { note, key, ...(headers ? { headers } : {}), ...accepted(s), statuses })),
  });
  if (route.idempotencyHeader) {
    families.push({
      weight: 1,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...BAD_IDEMPOTENCY_KEYS)).map(([s, value]) =>
        post('hostile Idempotency-Key', { note: value, headers: { 'Idempotency-Key': value }, ...accepted(s), statuses: [400] })),
    });
  }
  if (base) {
    families.push({
      weight: 1,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...BAD_CONTENT_TYPES)).map(([s, value]) =>
        post('hostile Content-Type', { note: value, headers: { 'Content-Type': value }, ...accepted(s), statuses: [400] })),
    });
  }
  if (route.business.length > 0) {
    families.push({
      weight: 2,
      arbitrary: fc.tuple(suffix, fc.constantFrom(...route.business)).map(([s, rule]) => {
        let body = base?.(s);
        for (const [path, value] of rule.set ?? []) body = setAt(body!, path, value);
        for (const path of rule.drop ?? []) body = dropAt(body!, path);
        return post('business rule', {
          note: rule.note, path: at(ctx.ledgerId, rule.id ?? id), statuses: rule.statuses,
          ...(body ? { body, bodyAlone: 'accepted' as const } : {}),
        });
      }),
    });
  }
  return fc.oneof(...families);
}

function readCases(route: ReadRoute, ctx: Ctx): fc.Arbitrary<Case> {
  const id = route.id ?? '';
  const get = (family: string, note: unknown, query: string, statuses: readonly number[], path = route.path(ctx.ledgerId, id), extra: Partial<Case> = {}): Case =>
    ({ route: route.name, family, note, method: 'GET', path: query ? `${path}?${query}` : path, statuses, ...extra });
  const query = (params: Record<string, string | readonly string[]>) => {
    const search = new URLSearchParams();
    for (const [name, value] of Object.entries(params)) for (const v of typeof value === 'string' ? [value] : value) search.append(name, v);
    return search.toString();
  };
  const baseQuery = query(route.base);
  const names = Object.keys(route.params);
  const families: fc.WeightedArbitrary<Case>[] = [
    {
      weight: 5,
      arbitrary: fc.constantFrom(...names).chain((name) => QUERY_VALUES[route.params[name]!].map((value) =>
        get('invalid parameter', `${name}=${JSON.stringify(value)}`, query({ ...route.base, [name]: value }), [400]))),
    },
    {
      weight: 2,
      arbitrary: fc.tuple(fc.constantFrom(...UNKNOWN_PARAMS.filter((name) => !(name in route.params))), fc.constantFrom('1', 'x', '')).map(([name, value]) =>
        get('unknown parameter', name, [baseQuery, query({ [name]: value })].filter(Boolean).join('&'), [400])),
    },
    {
      weight: 1,
      arbitrary: fc.constant(route.repeatable).map(([name, value]) => get('repeated parameter', name, query({ ...route.base, [name]: [value, value] }), [400])),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.constantFrom(...names), fc.constantFrom(...UNDECODABLE)).map(([name, value]) => {
        const { [name]: _dropped, ...rest } = route.base;
        return get('undecodable parameter', `${name}=${value}`, [query(rest), `${name}=${value}`].filter(Boolean).join('&'), [400]);
      }),
    },
    {
      weight: 1,
      arbitrary: authCases(ctx, route.access, true).map(({ note, key, headers, statuses }) =>
        get('hostile credentials', note, baseQuery, statuses, undefined, { key, ...(headers ? { headers } : {}) })),
    },
  ];
  const segments = [
    fc.oneof(hostileLedgerId.map(segment), fc.constantFrom(...BAD_SEGMENTS, `${ctx.ledgerId}%00`, `${ctx.ledgerId}%20`, ctx.ledgerId.toUpperCase(), `${ctx.ledgerId}-missing`))
      .map((ledger) => ({ note: `ledger ${ledger}`, path: route.path(ledger, id) })),
    // A dot segment as the last one would resolve to the route above it, a valid read.
    ...(route.id ? [fc.oneof(hostileEntityId.map(segment), fc.constantFrom(...BAD_SEGMENTS, `${id}%00`, `${id}%2F..`, 'no-such-id')).filter((s) => !DOT_SEGMENT.test(s))
      .map((pathId) => ({ note: `id ${pathId}`, path: route.path(ctx.ledgerId, pathId) }))] : []),
  ];
  families.push({ weight: 1, arbitrary: fc.oneof(...segments).map(({ note, path }) => get('hostile path', note, baseQuery, [400, 404], path)) });
  return fc.oneof(...families);
}

// ---------------------------------------------------------------------------------------------
// Sending and checking.

/** A refusal as spec section 5 has it: a 4xx, RFC 9457 problem+json whose status and code agree. */
function expectRefused(answer: Answer, c: Case): void {
  const what = `${c.route}, ${c.family}${c.note === undefined ? '' : ` (${String(c.note).slice(0, 120)})`}: ${c.method} ${c.path.slice(0, 200)} answered ${answer.status} ${answer.text.slice(0, 400)}`;
  expect(answer.status, what).toBeGreaterThanOrEqual(400);
  expect(answer.status, what).toBeLessThan(500);
  expect(c.statuses, what).toContain(answer.status);
  expect(answer.headers.get('content-type'), what).toMatch(/^application\/problem\+json/);
  expect(answer.body, what).toMatchObject({ type: expect.any(String), title: expect.any(String), status: answer.status, detail: expect.any(String), code: expect.any(String) });
  expect(STATUS_OF_CODE[answer.body.code], what).toBe(answer.status);
  if (answer.body.errors !== undefined) {
    expect(Array.isArray(answer.body.errors), what).toBe(true);
    for (const error of answer.body.errors as unknown[]) expect(error, what).toMatchObject({ path: expect.any(String), message: expect.any(String) });
  }
}

interface Tally {
  count: number;
  readonly families: Set<string>;
  readonly routes: Set<string>;
  readonly ledgersTried: Set<string>;
}

async function keysOf(api: TestApi, ctx: Ctx): Promise<number> {
  const rows = await api.database.db.selectFrom('api_keys').select('key_id')
    .where((eb) => eb.or([eb('name', 'like', `%${ctx.token}%`), eb(sql<string>`ledger_ids::text`, 'like', `%"${ctx.ledgerId}"%`)]))
    .execute();
  return rows.length;
}

async function send(api: TestApi, ctx: Ctx, c: Case, schema: z.ZodType | undefined, tally: Tally): Promise<void> {
  const body = c.body === undefined ? undefined : bodyText(c.body);
  if (body !== undefined && c.bodyAlone !== undefined) {
    // A check of the generator, not of the service: the hostile part must be the one named.
    expect(refusedBeforeHandler(body, schema), `generator: the body of ${c.route}, ${c.family} (${String(c.note)}) should be ${c.bodyAlone} on its own: ${body.slice(0, 300)}`)
      .toBe(c.bodyAlone === 'refused');
  }
  const head = await api.head(ctx.ledgerId);
  const keys = c.route === 'POST /v1/keys' ? await keysOf(api, ctx) : 0;
  const answer = await api.call(c.method, c.path, { ...(body === undefined ? {} : { rawBody: body }), key: c.key, ...(c.headers ? { headers: { ...c.headers } } : {}) });
  tally.count += 1;
  tally.families.add(c.family);
  tally.routes.add(c.route);
  expectRefused(answer, c);
  expect(await api.head(ctx.ledgerId), `${c.route}, ${c.family}: the head moved`).toBe(head);
  if (c.route === 'POST /v1/keys') expect(await keysOf(api, ctx), `${c.route}, ${c.family}: a key was created`).toBe(keys);
  if (c.route === 'POST /v1/ledgers' && body !== undefined) {
    let id: unknown;
    try {
      id = (JSON.parse(body) as Json | null)?.id;
    } catch {
      id = undefined;
    }
    if (typeof id === 'string' && LEDGER_ID_PATTERN.test(id) && id !== ctx.ledgerId) {
      tally.ledgersTried.add(id);
      expectProblem(await api.call('GET', `/v1/ledgers/${id}`), 404, 'NOT_FOUND');
    }
  }
  if (c.path.includes(`${ctx.ledgerId}-missing`)) tally.ledgersTried.add(`${ctx.ledgerId}-missing`);
}

/** What must not change: the head, the feed byte for byte, the ledger as read. */
async function recorded(api: TestApi, ctx: Ctx) {
  const feed = await api.call('GET', `/v1/ledgers/${ctx.ledgerId}/events?after=0&limit=1000`);
  expect(feed.status).toBe(200);
  return { head: await api.head(ctx.ledgerId), feed: feed.text };
}

async function setUp(api: TestApi): Promise<Ctx> {
  const token = Math.random().toString(36).slice(2, 10).padEnd(8, '0');
  const ledgerId = await api.seedLedger();
  const other = await api.seedLedger();
  const postings = [P('bank', 'debit', '5.00'), P('alice', 'credit', '5.00')];
  for (const body of [
    { id: 'tx-base', effectiveAt: '2026-03-01T10:00:00Z', postings },
    { id: 'hold-base', status: 'pending', effectiveAt: '2026-03-01T10:00:00Z', postings },
  ]) {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body });
    expect(answer.status, answer.text).toBe(201);
  }
  const key = async (role: string, ledgerIds: string[]) => {
    const answer = await api.call('POST', '/v1/keys', { body: { name: `hostile setup ${role}`, role, ledgerIds } });
    expect(answer.status, answer.text).toBe(201);
    return answer.body.key as string;
  };
  return { ledgerId, token, adminKey: api.adminKey, readerKey: await key('reader', [ledgerId]), outsiderKey: await key('writer', [other]), tx: 'tx-base', hold: 'hold-base' };
}

const WRITE_FAMILIES = [
  'unknown field', 'missing field', 'not a JSON object', 'malformed JSON', 'deep JSON', 'oversized body', 'hostile path', 'hostile credentials',
  'hostile Idempotency-Key', 'hostile Content-Type', 'business rule', 'unstorable or malformed body',
];
const READ_FAMILIES = ['invalid parameter', 'unknown parameter', 'repeated parameter', 'undecodable parameter'];

describeOnEachDatabase('hostile requests', (api) => {
  it(`refuses at least ${MIN_REQUESTS} hostile requests with a 4xx problem+json and records nothing`, async () => {
    const ctx = await setUp(api);
    const before = await recorded(api, ctx);
    const tally: Tally = { count: 0, families: new Set(), routes: new Set(), ledgersTried: new Set() };

    for (const route of writeRoutes(ctx)) {
      await fc.assert(fc.asyncProperty(writeCases(route, ctx), (c) => send(api, ctx, c, route.schema, tally)), { ...RUN, numRuns: WRITE_RUNS });
      expect(await recorded(api, ctx), `after ${route.name}`).toEqual(before);
    }
    for (const route of readRoutes(ctx)) {
      await fc.assert(fc.asyncProperty(readCases(route, ctx), (c) => send(api, ctx, c, undefined, tally)), { ...RUN, numRuns: READ_RUNS });
      expect(await recorded(api, ctx), `after ${route.name}`).toEqual(before);
    }

    expect(tally.count).toBeGreaterThanOrEqual(MIN_REQUESTS);
    expect(tally.routes.size).toBe(writeRoutes(ctx).length + readRoutes(ctx).length);
    expect([...tally.families].filter((f) => f.startsWith('invalid ')).length).toBeGreaterThan(10);
    expect(WRITE_FAMILIES.filter((f) => !tally.families.has(f))).toEqual([]);
    expect(READ_FAMILIES.filter((f) => !tally.families.has(f))).toEqual([]);

    // Nothing was created anywhere: no ledger the corpus named, no key it asked for.
    for (const id of tally.ledgersTried) expectProblem(await api.call('GET', `/v1/ledgers/${id}`), 404, 'NOT_FOUND');
    const created = await api.database.db.selectFrom('ledgers').select('ledger_id')
      .where((eb) => eb.or([eb('ledger_id', 'like', `%${ctx.token}%`), eb('name', 'like', `%${ctx.token}%`)]))
      .execute();
    expect(created).toEqual([]);
    const keys = await api.database.db.selectFrom('api_keys').select('key_id').where('name', 'like', `%${ctx.token}%`).execute();
    expect(keys).toEqual([]);
    expect(await recorded(api, ctx)).toEqual(before);
  }, 180_000);
});

// Hostile requests the corpus found accepted, before they were fixed: each is refused by spec
// section 5 and must record nothing.
describeOnEachDatabase('hostile requests the corpus found accepted', (api) => {
  it('refuses unknown fields in the body of a close, which takes none', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { body: { position: 1, recordedAt: '2020-01-01T00:00:00Z', actor: 'key_someone' } });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(head);
    // A body that is not JSON is refused too, and so is a field on a key's revocation.
    const text = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { rawBody: 'now', headers: { 'Content-Type': 'text/plain' } });
    expectProblem(text, 400, 'VALIDATION_FAILED');
    // A media type that only looks like JSON is refused too (the routes' validators take application/json).
    const lookalike = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { rawBody: '{"position":1}', headers: { 'Content-Type': 'text/json' } });
    expectProblem(lookalike, 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(head);
    const key = await api.call('POST', '/v1/keys', { body: { name: 'kept', role: 'reader', ledgerIds: [ledgerId] } });
    expectProblem(await api.call('POST', `/v1/keys/${key.body.id}/revoke`, { body: { revoked: false } }), 400, 'VALIDATION_FAILED');
    expect((await api.call('GET', `/v1/ledgers/${ledgerId}`, { key: key.body.key })).status).toBe(200);
    expect((await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`, { body: {} })).status).toBe(201);
  });

  it('refuses ledgerIds on an admin key instead of dropping them', async () => {
    const ledgerId = await api.seedLedger();
    const answer = await api.call('POST', '/v1/keys', { body: { name: 'too wide', role: 'admin', ledgerIds: [ledgerId] } });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(answer.body.errors).toEqual([{ path: 'ledgerIds', message: expect.any(String) }]);
  });

  it('refuses a malformed Idempotency-Key on a batch, as every other write does', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: [MINIMAL_TX] }, headers: { 'Idempotency-Key': 'a b' } });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(head);
  });

  it('refuses a metadata number no JavaScript number holds (1e400) rather than storing null', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody: `{"metadata":{"x":1e400},"postings":${JSON.stringify(MINIMAL_TX.postings)}}` });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(head);
    // Nor one that a JavaScript number would round; numbers it holds exactly, however spelt, are kept.
    const rounded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody: `{"metadata":{"n":[1,123456789012345678901234567890]},"postings":${JSON.stringify(MINIMAL_TX.postings)}}` });
    expectProblem(rounded, 400, 'VALIDATION_FAILED');
    expect(rounded.body.errors).toEqual([{ path: 'metadata.n.1', message: expect.stringContaining('123456789012345678901234567890') }]);
    expect(await api.head(ledgerId)).toBe(head);
    const exact = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody: `{"metadata":{"a":1.50,"b":1e3,"c":-0,"d":0.1,"e":9007199254740993e0},"postings":${JSON.stringify(MINIMAL_TX.postings)}}` });
    expectProblem(exact, 400, 'VALIDATION_FAILED');
    expect(exact.body.errors).toEqual([{ path: 'metadata.e', message: expect.any(String) }]);
    const kept = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody: `{"metadata":{"a":1.50,"b":1e3,"c":-0,"d":0.1},"postings":${JSON.stringify(MINIMAL_TX.postings)}}` });
    expect(kept.status, kept.text).toBe(201);
    expect(kept.body.metadata).toEqual({ a: 1.5, b: 1000, c: 0, d: 0.1 });
  });

  it('refuses a timezone that is an offset, not an IANA name', async () => {
    const ledgerId = uniqueLedgerId('hx');
    const answer = await api.call('POST', '/v1/ledgers', { body: { id: ledgerId, name: 'Hostile', timezone: '+14:00' } });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}`), 404, 'NOT_FOUND');
  });
});

describe('the hostile corpus itself', () => {
  it('holds only ids and values the grammars refuse', () => {
    for (const id of HOSTILE_IDS) expect(ENTITY_ID_PATTERN.test(id), JSON.stringify(id)).toBe(false);
    expect(Buffer.byteLength(bodyText(new Oversize({ a: new Fill('\u00e9') }, 'fill', 0)))).toBeGreaterThan(MAX_BODY);
    expect(bodyText(new Oversize({ a: 1 }, 'pad-after', 0))).toHaveLength(MAX_BODY + 1);
    expect(segment('a\ud800/b')).toBe('a%ED%A0%80%2Fb');
  });
});
