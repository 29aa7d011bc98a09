import { describe, expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, type Answer, type Json } from '../support/http.ts';

// Spec sections 2 and 3: every rejection in the amount and timestamp grammar is a 400
// problem+json that records nothing; JSON numbers are never amounts; nothing is ever rounded.


/** Raw JSON values for an amount, each refused by the grammar (`label`, JSON text). */
const BAD_AMOUNTS: readonly (readonly [string, string])[] = [
  ['the JSON number 10', '10'],
  ['the JSON number 10.5', '10.5'],
  ['the JSON number 1e3', '1e3'],
  ...[
    '-1', '+1', '1e3', '1E3', '1,000', '1 000', '0x10', 'NaN', 'Infinity', '', '.5', '1.', '01', '0', '0.00',
    '1'.repeat(31), `1.${'1'.repeat(19)}`, ' 1', '1 ', '١', '１', '1.5.0', '1_000',
  ].map((text) => [JSON.stringify(text), JSON.stringify(text)] as const),
  ['null', 'null'],
  ['true', 'true'],
  ['an object', '{"value":"1.00"}'],
];

/** Timestamps refused everywhere one is accepted, in a body or in a query string. */
const BAD_TIMESTAMPS: readonly string[] = [
  '2026-03-01T10:00:00',
  '2026-03-01T10:00:00.123456',
  '2026-02-30T00:00:00Z',
  '2026-02-29T00:00:00Z',
  '2026-03-01T23:59:60Z',
  '2026-03-01T24:00:00Z',
  'infinity',
  '-infinity',
  '1899-12-31T23:59:59Z',
  '10000-01-01T00:00:00Z',
  '2026-03-01T10:00:00.1234567Z',
  '2026-03-01 10:00:00Z',
  '2026-03-01T10:00:00+24:00',
  '2026-03-01T10:00:00+0200',
  '2026-13-01T00:00:00Z',
  '1900-01-01T00:30:00+01:00',
  '',
];

const USD_POSTINGS = [
  { accountId: 'bank', direction: 'debit', amount: '1.00' },
  { accountId: 'alice', direction: 'credit', amount: '1.00' },
];


const paths = (answer: Answer) => ((answer.body.errors ?? []) as Json[]).map((e) => e.path);

/** An amount as a whole number of its smallest unit, so the test sums exactly on its own. */
function scaled(amount: string, scale: number): bigint {
  const [whole, fraction = ''] = amount.split('.');
  return BigInt(whole! + fraction.padEnd(scale, '0'));
}

function unscaled(value: bigint, scale: number): string {
  const digits = value.toString().padStart(scale + 1, '0');
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

describeOnEachDatabase('amount and timestamp grammar', (api) => {

  /** Sends a transaction body as raw text and expects it refused with nothing recorded. */
  async function refusedTransaction(ledgerId: string, rawBody: string, status: number, code: string): Promise<Answer> {
    const before = await api.head(ledgerId);
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { rawBody });
    expectProblem(answer, status, code);
    expect(await api.head(ledgerId)).toBe(before);
    return answer;
  }

  const record = (ledgerId: string, body: Json) => api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body });

  describe('amounts', () => {
    it.each(BAD_AMOUNTS)('refuses the amount %s with 400 and records nothing', async (_label, amountJson) => {
      const ledgerId = await api.seedLedger();
      const rawBody = `{"id":"tx-1","postings":[{"accountId":"bank","direction":"debit","amount":${amountJson}},`
        + '{"accountId":"alice","direction":"credit","amount":"1.00"}]}';
      const answer = await refusedTransaction(ledgerId, rawBody, 400, 'VALIDATION_FAILED');
      expect(paths(answer)).toContain('postings.0.amount');
      // The refused id was not taken: the same id records once the amount is right.
      expect((await record(ledgerId, { id: 'tx-1', postings: USD_POSTINGS })).status).toBe(201);
    });

    it('answers a JSON number as an amount in the spec\'s words: amounts are decimal strings, with an example', async () => {
      const ledgerId = await api.seedLedger();
      for (const amount of ['10.5', '10', '1e3']) {
        const answer = await refusedTransaction(ledgerId, `{"postings":[{"accountId":"bank","direction":"debit","amount":${amount}},`
          + '{"accountId":"alice","direction":"credit","amount":"10.50"}]}', 400, 'VALIDATION_FAILED');
        expect(answer.body.errors).toEqual([{ path: 'postings.0.amount', message: 'amounts are decimal strings such as "10.50", not JSON numbers, so that nothing is ever rounded' }]);
      }
      const missing = await refusedTransaction(ledgerId, JSON.stringify({ postings: [{ accountId: 'bank', direction: 'debit' }, USD_POSTINGS[1]] }), 400, 'VALIDATION_FAILED');
      expect(missing.body.errors).toEqual([{ path: 'postings.0.amount', message: 'required: a decimal string such as "10.50"' }]);
    });

    it('refuses more fraction digits than USD takes with 422 SCALE_EXCEEDED, never rounding', async () => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        { accountId: 'bank', direction: 'debit', amount: '1.001' },
        { accountId: 'alice', direction: 'credit', amount: '1.001' },
      ] }), 422, 'SCALE_EXCEEDED');
      expect(paths(answer)).toEqual(['postings.0.amount']);
    });

    it('refuses a fraction on JPY (scale 0) with 422 SCALE_EXCEEDED', async () => {
      const ledgerId = await api.seedLedger({ accounts: [
        { id: 'yen:bank', normalBalance: 'debit', currency: 'JPY' },
        { id: 'yen:alice', normalBalance: 'credit', currency: 'JPY' },
      ] });
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        { accountId: 'yen:bank', direction: 'debit', amount: '1.5' },
        { accountId: 'yen:alice', direction: 'credit', amount: '1.5' },
      ] }), 422, 'SCALE_EXCEEDED');
      expect(paths(answer)).toEqual(['postings.0.amount']);
      const whole = await record(ledgerId, { postings: [
        { accountId: 'yen:bank', direction: 'debit', amount: '1500' },
        { accountId: 'yen:alice', direction: 'credit', amount: '1500' },
      ] });
      expect(whole.status).toBe(201);
      expect(whole.body.postings.map((p: Json) => p.amount)).toEqual(['1500', '1500']);
    });

    it('answers amounts with exactly the asset scale: "10.5" USD is "10.50"', async () => {
      const ledgerId = await api.seedLedger();
      const recorded = await record(ledgerId, { postings: [
        { accountId: 'bank', direction: 'debit', amount: '10.5' },
        { accountId: 'alice', direction: 'credit', amount: '10.5' },
      ] });
      expect(recorded.status).toBe(201);
      expect(recorded.body.postings).toEqual([
        { accountId: 'bank', direction: 'debit', amount: '10.50', currency: 'USD' },
        { accountId: 'alice', direction: 'credit', amount: '10.50', currency: 'USD' },
      ]);
      const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`);
      expect(balance.body).toMatchObject({ ledgerBalance: '10.50', availableBalance: '10.50', posted: { debits: '0.00', credits: '10.50' } });
    });

    it('records 48 significant digits on a scale-18 asset and reads them and their sums back exactly', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const declared = await api.call('POST', `/v1/ledgers/${ledgerId}/assets`, { body: { code: 'GOLD_WEI', scale: 18 } });
      expect(declared.status).toBe(201);
      expect(declared.body).toMatchObject({ code: 'GOLD_WEI', scale: 18 });
      for (const account of [
        { id: 'vault', normalBalance: 'debit', currency: 'GOLD_WEI' },
        { id: 'holder', normalBalance: 'credit', currency: 'GOLD_WEI' },
      ]) expect((await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: account })).status).toBe(201);

      const amounts = [
        '123456789012345678901234567890.123456789012345678',
        '999999999999999999999999999999.999999999999999999',
        '987654321098765432109876543210.987654321098765432',
        '0.000000000000000001',
        '100000000000000000000000000000.000000000000000001',
      ];
      for (const amount of amounts) {
        const recorded = await record(ledgerId, { postings: [
          { accountId: 'vault', direction: 'debit', amount },
          { accountId: 'holder', direction: 'credit', amount },
        ] });
        expect(recorded.status, recorded.text).toBe(201);
        expect(recorded.body.postings.map((p: Json) => p.amount)).toEqual([amount, amount]);
        const read = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/${recorded.body.id}`);
        expect(read.body.postings.map((p: Json) => p.amount)).toEqual([amount, amount]);
      }

      const first = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/holder/balance?recordedAsOfPosition=5`);
      expect(first.body.ledgerBalance).toBe(amounts[0]);
      const total = unscaled(amounts.reduce((sum, a) => sum + scaled(a, 18), 0n), 18);
      expect(total).toBe('2211111110111111111011111111101.111111110111111111');
      const holder = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/holder/balance`);
      expect(holder.body).toMatchObject({
        currency: 'GOLD_WEI', ledgerBalance: total, availableBalance: total, posted: { debits: '0.000000000000000000', credits: total },
      });
      const vault = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/vault/balance`);
      expect(vault.body).toMatchObject({ ledgerBalance: total, posted: { debits: total, credits: '0.000000000000000000' } });
    });

    it('refuses a 19th fraction digit on a scale-18 asset', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      await api.call('POST', `/v1/ledgers/${ledgerId}/assets`, { body: { code: 'PRECISE', scale: 18 } });
      await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id: 'a', normalBalance: 'debit', currency: 'PRECISE' } });
      await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id: 'b', normalBalance: 'credit', currency: 'PRECISE' } });
      const amount = `1.${'0'.repeat(18)}1`;
      await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        { accountId: 'a', direction: 'debit', amount },
        { accountId: 'b', direction: 'credit', amount },
      ] }), 400, 'VALIDATION_FAILED');
    });
  });

  describe('timestamps', () => {
    it.each(BAD_TIMESTAMPS)('refuses %j as effectiveAt, expiresAt, recordedAsOf and effectiveAsOf with 400', async (text) => {
      const ledgerId = await api.seedLedger();
      const effective = await refusedTransaction(ledgerId, JSON.stringify({ effectiveAt: text, postings: USD_POSTINGS }), 400, 'VALIDATION_FAILED');
      expect(paths(effective)).toEqual(['effectiveAt']);
      const hold = { status: 'pending', effectiveAt: '2026-03-01T10:00:00Z', expiresAt: text, postings: USD_POSTINGS };
      const expires = await refusedTransaction(ledgerId, JSON.stringify(hold), 400, 'VALIDATION_FAILED');
      expect(paths(expires)).toEqual(['expiresAt']);
      for (const name of ['recordedAsOf', 'effectiveAsOf']) {
        const query = new URLSearchParams({ [name]: text });
        for (const path of [`/v1/ledgers/${ledgerId}/accounts/alice/balance`, `/v1/ledgers/${ledgerId}`, `/v1/ledgers/${ledgerId}/transactions`]) {
          const answer = await api.call('GET', `${path}?${query}`);
          expectProblem(answer, 400, 'VALIDATION_FAILED');
          expect(paths(answer), `${path}?${query}`).toEqual([name]);
        }
      }
    });

    it('names an impossible date as such: 2026-02-30 as a date or in a timestamp, month 13, day 00', async () => {
      const ledgerId = await api.seedLedger();
      const cases = [
        ['2026-02-30', '2026-02-30 is not a date: February 2026 has 28 days'],
        ['2024-02-30T10:00:00Z', '2024-02-30 is not a date: February 2024 has 29 days'],
        ['2026-04-31', '2026-04-31 is not a date: April 2026 has 30 days'],
        ['2026-13-01', '2026-13-01 is not a date: there is no month 13'],
        ['2026-03-00T00:00:00+02:00', '2026-03-00 is not a date: March 2026 has 31 days'],
      ];
      for (const [text, message] of cases) {
        const effective = await refusedTransaction(ledgerId, JSON.stringify({ effectiveAt: text, postings: USD_POSTINGS }), 400, 'VALIDATION_FAILED');
        expect(effective.body.errors).toEqual([{ path: 'effectiveAt', message }]);
        const read = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ effectiveAsOf: text! })}`);
        expectProblem(read, 400, 'VALIDATION_FAILED');
        expect(read.body.errors).toEqual([{ path: 'effectiveAsOf', message }]);
      }
      const close = await api.call('POST', `/v1/ledgers/${ledgerId}/periods/close`, { body: { through: '2026-02-30' } });
      expectProblem(close, 400, 'VALIDATION_FAILED');
      expect(close.body.errors).toEqual([{ path: 'through', message: '2026-02-30 is not a date: February 2026 has 28 days' }]);
      // A real day in a wrong shape still gets what the field takes.
      const shape = await refusedTransaction(ledgerId, JSON.stringify({ effectiveAt: '2026-02-28T10:00:00', postings: USD_POSTINGS }), 400, 'VALIDATION_FAILED');
      expect(shape.body.errors).toEqual([{ path: 'effectiveAt', message: expect.stringMatching(/^an RFC 3339 timestamp with an offset/) }]);
    });

    it('accepts the edges of the grammar: 1900, 9999, leap days, offsets, six fraction digits', async () => {
      const ledgerId = await api.seedLedger();
      const cases: [given: string, stored: string][] = [
        ['1900-01-01T00:00:00Z', '1900-01-01T00:00:00.000000Z'],
        ['9999-12-31T23:59:59.999999Z', '9999-12-31T23:59:59.999999Z'],
        ['2024-02-29T12:00:00Z', '2024-02-29T12:00:00.000000Z'],
        ['2026-03-01T00:30:00+01:00', '2026-02-28T23:30:00.000000Z'],
        ['2026-03-01T10:00:00.5-05:30', '2026-03-01T15:30:00.500000Z'],
        ['2026-03-01t10:00:00z', '2026-03-01T10:00:00.000000Z'],
      ];
      for (const [given, stored] of cases) {
        const recorded = await record(ledgerId, { effectiveAt: given, postings: USD_POSTINGS });
        expect(recorded.status, `${given}: ${recorded.text}`).toBe(201);
        expect(recorded.body.effectiveAt).toBe(stored);
        const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ effectiveAsOf: given, recordedAsOf: recorded.body.recordedAt })}`);
        expect(balance.status).toBe(200);
        expect(balance.body.asOf.effectiveAt).toBe(stored);
      }
    });

    // A plain date becomes an instant in the ledger's timezone: that instant must stay in 1900 to
    // 9999 too, or the service would store or answer a timestamp it refuses as input.
    it('refuses a plain effectiveAt that starts before 1900 in the ledger\'s timezone', async () => {
      const ledgerId = await api.seedLedger({ timezone: 'Asia/Tokyo' });
      // 1900-01-01 00:00 in Tokyo is 1899-12-31T15:00:00Z.
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ effectiveAt: '1900-01-01', postings: USD_POSTINGS }), 400, 'VALIDATION_FAILED');
      expect(paths(answer)).toEqual(['effectiveAt']);
    });

    it('refuses a plain effectiveAsOf that ends after 9999 in the ledger\'s timezone', async () => {
      const ledgerId = await api.seedLedger({ timezone: 'America/New_York' });
      // The end of 9999-12-31 in New York is 10000-01-01T04:59:59.999999Z, which no client may send back.
      const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=9999-12-31`);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(paths(answer)).toEqual(['effectiveAsOf']);
    });

    it('keeps microseconds and answers in UTC: +02:00 becomes Z, and the instant round-trips exactly', async () => {
      const ledgerId = await api.seedLedger();
      const recorded = await record(ledgerId, { id: 'micro', effectiveAt: '2026-03-01T10:00:00.123456+02:00', postings: USD_POSTINGS });
      expect(recorded.status).toBe(201);
      expect(recorded.body.effectiveAt).toBe('2026-03-01T08:00:00.123456Z');
      expect(recorded.body.recordedAt).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/);
      const read = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/micro`);
      expect(read.body.effectiveAt).toBe('2026-03-01T08:00:00.123456Z');

      const balanceAt = async (effectiveAsOf: string) =>
        (await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ effectiveAsOf })}`)).body.ledgerBalance;
      expect(await balanceAt('2026-03-01T08:00:00.123456Z')).toBe('1.00');
      expect(await balanceAt('2026-03-01T08:00:00.123455Z')).toBe('0.00');
      expect(await balanceAt('2026-03-01T10:00:00.123456+02:00')).toBe('1.00');
      // Asking as of the recordedAt the write returned includes that write.
      const known = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ recordedAsOf: recorded.body.recordedAt, effectiveAsOf: '2026-03-02' })}`);
      expect(known.body).toMatchObject({ ledgerBalance: '1.00', asOf: { position: recorded.body.position, recordedAt: recorded.body.recordedAt } });
    });
  });

  describe('request shape', () => {
    it.each([
      ['position', 7], ['recordedAt', '2026-03-01T10:00:00Z'], ['hash', 'a'.repeat(64)], ['actor', 'key_someone'], ['prevHash', '0'.repeat(64)],
      ['requestId', 'r-1'], ['reverses', 'tx-0'], ['amount', '1.00'],
    ])('refuses the unknown field %s in a transaction with 400', async (field, value) => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ [field]: value, postings: USD_POSTINGS }), 400, 'VALIDATION_FAILED');
      expect(JSON.stringify(answer.body.errors)).toContain(field);
    });

    it('refuses an unknown field in a posting with 400', async () => {
      const ledgerId = await api.seedLedger();
      const postings = [{ ...USD_POSTINGS[0], memo: 'x' }, USD_POSTINGS[1]];
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings }), 400, 'VALIDATION_FAILED');
      expect(answer.body.errors).toEqual([{ path: 'postings.0.memo', message: 'not a field of this request: unknown fields are refused' }]);
    });

    it('names an unknown query parameter at its own path, not (body)', async () => {
      const ledgerId = await api.seedLedger();
      const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-01&asof=2026-03-01`);
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(answer.body.detail).toBe('The request query is not valid.');
      expect(answer.body.errors).toEqual([{ path: 'asof', message: 'not a query parameter of this route' }]);
    });

    it('refuses unknown fields when opening an account or declaring an asset', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const account = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id: 'x', normalBalance: 'debit', currency: 'USD', position: 1 } });
      expectProblem(account, 400, 'VALIDATION_FAILED');
      const asset = await api.call('POST', `/v1/ledgers/${ledgerId}/assets`, { body: { code: 'PTS', scale: 0, recordedAt: '2026-03-01T00:00:00Z' } });
      expectProblem(asset, 400, 'VALIDATION_FAILED');
      const badScale = await api.call('POST', `/v1/ledgers/${ledgerId}/assets`, { body: { code: 'PTS', scale: 19 } });
      expectProblem(badScale, 400, 'VALIDATION_FAILED');
      expect(await api.head(ledgerId)).toBe(before);
    });

    it.each([
      ['truncated JSON', '{"postings": ['],
      ['an unclosed object', '{'],
      ['plain text', 'not json'],
      ['an empty body', ''],
      ['trailing garbage', '{"postings": []}}'],
      ['a single quote string', "{'postings': []}"],
      ['a JSON array', '[]'],
      ['a JSON string', '"postings"'],
      ['a JSON number', '42'],
      ['JSON null', 'null'],
      ['an own __proto__ key', `{"__proto__": {"admin": true}, "postings": ${JSON.stringify(USD_POSTINGS)}}`],
    ])('answers %s with 400 problem+json, never 5xx', async (_label, rawBody) => {
      const ledgerId = await api.seedLedger();
      await refusedTransaction(ledgerId, rawBody, 400, 'VALIDATION_FAILED');
    });

    it('answers a body sent as text/plain with 400, never 5xx', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
        rawBody: JSON.stringify({ postings: USD_POSTINGS }), headers: { 'Content-Type': 'text/plain' },
      });
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(await api.head(ledgerId)).toBe(before);
    });

    // PostgreSQL's jsonb and text refuse U+0000 and lone surrogates, and canonical JSON recurses
    // once per level: such bodies must be refused at the edge, not fail in the database.
    it.each([
      ['U+0000 in a description', JSON.stringify({ description: 'a\u0000b', postings: USD_POSTINGS })],
      ['a lone surrogate in a description', `{"description": "a\\ud800b", "postings": ${JSON.stringify(USD_POSTINGS)}}`],
      ['U+0000 in a metadata key', JSON.stringify({ metadata: { 'a\u0000': 1 }, postings: USD_POSTINGS })],
      ['metadata nested 5000 deep', `{"metadata": {"x": ${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}}, "postings": ${JSON.stringify(USD_POSTINGS)}}`],
    ])('answers %s with 400, never 5xx', async (_label, rawBody) => {
      const ledgerId = await api.seedLedger();
      await refusedTransaction(ledgerId, rawBody, 400, 'VALIDATION_FAILED');
    });
  });

  describe('business rules', () => {
    it('refuses an unbalanced transaction with 422 UNBALANCED naming the currency', async () => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        { accountId: 'bank', direction: 'debit', amount: '10.00' },
        { accountId: 'alice', direction: 'credit', amount: '9.99' },
      ] }), 422, 'UNBALANCED');
      expect(answer.body.errors).toEqual([{ path: 'postings', message: expect.stringContaining('USD') }]);
      expect(answer.body.errors[0].message).toContain('0.01');
    });

    it('names only the currency that does not balance when several are posted', async () => {
      const ledgerId = await api.seedLedger({ accounts: [
        { id: 'bank', normalBalance: 'debit', currency: 'USD' },
        { id: 'alice', normalBalance: 'credit', currency: 'USD' },
        { id: 'bank:eur', normalBalance: 'debit', currency: 'EUR' },
        { id: 'alice:eur', normalBalance: 'credit', currency: 'EUR' },
      ] });
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        ...USD_POSTINGS,
        { accountId: 'bank:eur', direction: 'debit', amount: '5.00' },
        { accountId: 'alice:eur', direction: 'credit', amount: '4.00' },
      ] }), 422, 'UNBALANCED');
      expect(answer.body.errors).toHaveLength(1);
      expect(answer.body.errors[0].message).toContain('EUR');
      expect(answer.body.errors[0].message).not.toContain('USD');
    });

    it('refuses a posting to an unknown account with 422 UNKNOWN_ACCOUNT', async () => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        USD_POSTINGS[0], { accountId: 'nobody', direction: 'credit', amount: '1.00' },
      ] }), 422, 'UNKNOWN_ACCOUNT');
      expect(paths(answer)).toEqual(['postings.1.accountId']);
    });

    it('refuses a posting currency other than its account\'s with 422 CURRENCY_MISMATCH', async () => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings: [
        { ...USD_POSTINGS[0], currency: 'EUR' }, USD_POSTINGS[1],
      ] }), 422, 'CURRENCY_MISMATCH');
      expect(paths(answer)).toEqual(['postings.0.currency']);
      const matching = await record(ledgerId, { postings: [{ ...USD_POSTINGS[0], currency: 'USD' }, USD_POSTINGS[1]] });
      expect(matching.status).toBe(201);
    });

    it('refuses an account in an unknown asset with 400 VALIDATION_FAILED, saying the asset is unknown', async () => {
      const ledgerId = await api.seedLedger();
      const before = await api.head(ledgerId);
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id: 'x', normalBalance: 'debit', currency: 'XYZ' } });
      expectProblem(answer, 400, 'VALIDATION_FAILED');
      expect(answer.body.detail).toMatch(/^Unknown asset XYZ: .*Declare it first/);
      expect(answer.body.errors).toEqual([{ path: 'currency', message: expect.stringMatching(/^unknown asset XYZ/) }]);
      expect(await api.head(ledgerId)).toBe(before);
    });

    it.each([
      ['no postings', []],
      ['a single posting', [USD_POSTINGS[0]]],
      ['1001 postings', Array.from({ length: 1001 }, (_, i) => ({ accountId: i % 2 ? 'alice' : 'bank', direction: i % 2 ? 'credit' : 'debit', amount: '1.00' }))],
    ])('refuses %s with 400', async (_label, postings) => {
      const ledgerId = await api.seedLedger();
      const answer = await refusedTransaction(ledgerId, JSON.stringify({ postings }), 400, 'VALIDATION_FAILED');
      expect(paths(answer)).toEqual(['postings']);
    });
  });
});

describeOnEachDatabase('keys that JavaScript objects would lose', (api) => {
  it('refuses a __proto__ key in metadata rather than dropping it', async () => {
    const ledgerId = await api.seedLedger();
    const head = await api.head(ledgerId);
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, {
      rawBody: '{"id":"x","normalBalance":"debit","currency":"USD","metadata":{"__proto__":{"a":1}}}',
    });
    expectProblem(answer, 400, 'VALIDATION_FAILED');
    expect(answer.body.errors[0].path).toBe('metadata.__proto__');
    expect(await api.head(ledgerId)).toBe(head);
  });
});
