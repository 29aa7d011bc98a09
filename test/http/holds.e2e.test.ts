import { expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, transfer, type Answer, type Json } from '../support/http.ts';

// Spec sections 2 (Hold), 4 (active holds, scheduled, availableBalance, "each amount counts
// once") and 5 (post and void): two-phase card payments end to end. Recorded time is the real
// clock, so every story is built around now, and "as known at each step" is asked with the
// `position` each write returned.

const SECOND = 1_000_000n;
const MINUTE = 60n * SECOND;
const HOUR = 60n * MINUTE;
const DAY = 24n * HOUR;

const WIRE = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.(\d{6})Z$/;

/** Microseconds since the epoch of a timestamp as the service returns it (UTC, 6 fraction digits). */
function micros(timestamp: string): bigint {
  const match = WIRE.exec(timestamp);
  if (!match) throw new Error(`not a service timestamp: ${timestamp}`);
  return BigInt(Date.parse(`${match[1]}Z`)) * 1000n + BigInt(match[2]!);
}

/** RFC 3339 in UTC with 6 fraction digits, as the service answers. */
function rfc3339(us: bigint): string {
  const seconds = us / SECOND;
  const fraction = (us % SECOND).toString().padStart(6, '0');
  return `${new Date(Number(seconds) * 1000).toISOString().slice(0, 19)}.${fraction}Z`;
}

const now = (): bigint => BigInt(Date.now()) * 1000n;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const usd = (accountId: string, direction: 'debit' | 'credit', amount: string) => ({ accountId, direction, amount, currency: 'USD' });

/** A hold (pending transaction) of `amount` from `debit` to `credit`. */
function hold(id: string, debit: string, credit: string, amount: string, times: { effectiveAt?: bigint; expiresAt?: bigint }): Json {
  return {
    id,
    status: 'pending',
    ...(times.effectiveAt === undefined ? {} : { effectiveAt: rfc3339(times.effectiveAt) }),
    ...(times.expiresAt === undefined ? {} : { expiresAt: rfc3339(times.expiresAt) }),
    postings: [
      { accountId: debit, direction: 'debit', amount },
      { accountId: credit, direction: 'credit', amount },
    ],
  };
}

/** What a balance answer is compared with: both balances and every side, zero unless given. */
interface Expected {
  ledger: string;
  available: string;
  posted?: [string, string];
  pending?: [string, string];
  scheduled?: [string, string];
}

describeOnEachDatabase('holds: authorize, capture, void, expire', (api) => {
  async function story() {
    const ledgerId = await api.seedLedger();
    const path = `/v1/ledgers/${ledgerId}`;
    const write = async (suffix: string, body: Json, status = 201) => {
      const answer = await api.call('POST', `${path}${suffix}`, { body });
      expect(answer.status, answer.text).toBe(status);
      return answer.body;
    };
    const get = async (suffix: string) => {
      const answer = await api.call('GET', `${path}${suffix}`);
      expect(answer.status, answer.text).toBe(200);
      return answer.body;
    };
    /** The balance of an account as known at `position` (default: the head), effective at `effective` (default: now). */
    const balance = async (accountId: string, at: { position?: number; effective?: bigint }) => {
      const query = new URLSearchParams();
      if (at.position !== undefined) query.set('recordedAsOfPosition', String(at.position));
      if (at.effective !== undefined) query.set('effectiveAsOf', rfc3339(at.effective));
      const body = await get(`/accounts/${accountId}/balance?${query}`);
      if (at.position !== undefined) expect(body.asOf.position).toBe(at.position);
      if (at.effective !== undefined) expect(body.asOf.effectiveAt).toBe(rfc3339(at.effective));
      return body;
    };
    const expectBalance = async (accountId: string, at: { position?: number; effective?: bigint }, expected: Expected) => {
      const body = await balance(accountId, at);
      const sides = (s: [string, string] | undefined) => ({ debits: s?.[0] ?? '0.00', credits: s?.[1] ?? '0.00' });
      expect(
        { ledger: body.ledgerBalance, available: body.availableBalance, posted: body.posted, pending: body.pending, scheduled: body.scheduled },
        `${accountId} as of position ${at.position ?? 'head'}, effective ${at.effective === undefined ? 'now' : rfc3339(at.effective)}`,
      ).toEqual({ ledger: expected.ledger, available: expected.available, posted: sides(expected.posted), pending: sides(expected.pending), scheduled: sides(expected.scheduled) });
    };
    /** alice funded with 500.00 from bank, effective an hour ago. */
    const fund = async () => write('/transactions', transfer('fund-1', rfc3339(now() - HOUR), 'bank', 'alice', '500.00'));
    /** Refusals record nothing: the head is where it was. */
    const refused = async (send: () => Promise<Answer>, status: number, code: string) => {
      const head = await api.head(ledgerId);
      expectProblem(await send(), status, code);
      expect(await api.head(ledgerId)).toBe(head);
    };
    const post = (holdId: string, body: Json = {}) => api.call('POST', `${path}/transactions/${holdId}/post`, { body });
    const voidHold = (holdId: string, body: Json = {}) => api.call('POST', `${path}/transactions/${holdId}/void`, { body });
    return { ledgerId, path, write, get, balance, expectBalance, fund, refused, post, voidHold };
  }

  it('authorizes 100, captures 80 and releases 20: balances at each effective time as known at each step', async () => {
    const { ledgerId, write, get, expectBalance, fund, refused, post, voidHold } = await story();
    const funded = await fund();
    const pFund = funded.position as number;

    const authorized = await write('/transactions', hold('auth-1', 'alice', 'merchant', '100.00', { expiresAt: now() + 7n * DAY }));
    const pHold = authorized.position as number;
    expect(authorized).toMatchObject({ id: 'auth-1', status: 'pending', resolution: null, effectiveAt: authorized.recordedAt });
    const tHold = micros(authorized.effectiveAt);

    const captured = await post('auth-1', { id: 'cap-1', postings: [{ accountId: 'alice', direction: 'debit', amount: '80.00' }, { accountId: 'merchant', direction: 'credit', amount: '80.00' }] });
    expect(captured.status, captured.text).toBe(201);
    const pCap = captured.body.resolution?.position as number;
    expect(pCap).toBe(pHold + 1);
    expect(await api.head(ledgerId)).toBe(pCap);
    expect(captured.body).toMatchObject({
      id: 'auth-1', status: 'posted', position: pHold, recordedAt: authorized.recordedAt, effectiveAt: authorized.effectiveAt,
      postings: [usd('alice', 'debit', '100.00'), usd('merchant', 'credit', '100.00')],
      resolution: { type: 'posted', position: pCap, postings: [usd('alice', 'debit', '80.00'), usd('merchant', 'credit', '80.00')] },
    });
    // The capture takes effect when it is recorded (no effectiveAt given), after the hold.
    const { recordedAt: capRecordedAt, effectiveAt: capEffectiveAt } = captured.body.resolution as Json;
    expect(capEffectiveAt).toBe(capRecordedAt);
    const tCap = micros(capEffectiveAt);
    expect(tCap).toBeGreaterThan(tHold);

    const before = tHold - 30n * MINUTE; // after the funding, before the hold
    const between = tCap - 1n; // the hold is in effect, the capture not yet
    const later = tCap + DAY;

    // Known right after the funding: 500 at every effective time.
    for (const effective of [before, between, tCap, later]) {
      await expectBalance('alice', { position: pFund, effective }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
      await expectBalance('merchant', { position: pFund, effective }, { ledger: '0.00', available: '0.00' });
    }
    // Known right after the hold: nothing before it; from it on, 100 held, even past the (unknown) capture.
    await expectBalance('alice', { position: pHold, effective: before }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
    for (const effective of [tHold, between, tCap, later]) {
      await expectBalance('alice', { position: pHold, effective }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
      // Money coming in counts only once effective: the merchant's available balance does not rise.
      await expectBalance('merchant', { position: pHold, effective }, { ledger: '0.00', available: '0.00', pending: ['0.00', '100.00'] });
    }
    // Known after the capture: the hold until the capture takes effect, then the 80 posted; the 20 released.
    await expectBalance('alice', { position: pCap, effective: before }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
    await expectBalance('alice', { position: pCap, effective: between }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    await expectBalance('merchant', { position: pCap, effective: between }, { ledger: '0.00', available: '0.00', pending: ['0.00', '100.00'] });
    for (const effective of [tCap, later]) {
      await expectBalance('alice', { position: pCap, effective }, { ledger: '420.00', available: '420.00', posted: ['80.00', '500.00'] });
      await expectBalance('merchant', { position: pCap, effective }, { ledger: '80.00', available: '80.00', posted: ['0.00', '80.00'] });
      await expectBalance('bank', { position: pCap, effective }, { ledger: '500.00', available: '500.00', posted: ['500.00', '0.00'] });
    }
    // The defaults (the head, now) agree.
    await expectBalance('alice', {}, { ledger: '420.00', available: '420.00', posted: ['80.00', '500.00'] });
    await expectBalance('merchant', {}, { ledger: '80.00', available: '80.00', posted: ['0.00', '80.00'] });

    // The hold as of each step: pending before the capture, posted with what was captured after.
    const asHeld = await get(`/transactions/auth-1?recordedAsOfPosition=${pHold}`);
    expect(asHeld).toMatchObject({ id: 'auth-1', status: 'pending', resolution: null, asOf: { position: pHold } });
    const asCaptured = await get(`/transactions/auth-1?recordedAsOfPosition=${pCap}`);
    expect(asCaptured).toMatchObject({
      id: 'auth-1', status: 'posted',
      resolution: { type: 'posted', position: pCap, recordedAt: capRecordedAt, effectiveAt: capEffectiveAt, postings: [usd('alice', 'debit', '80.00'), usd('merchant', 'credit', '80.00')], reason: null },
    });
    const { asOf: _asOf, ...current } = await get('/transactions/auth-1');
    const { asOf: _asOfCaptured, ...atCapture } = asCaptured;
    expect(current).toEqual(atCapture);
    expect(captured.body).toEqual(atCapture);

    // The capture's id makes it idempotent: the same request replays, a different one conflicts.
    const replay = await post('auth-1', { id: 'cap-1', postings: [{ accountId: 'alice', direction: 'debit', amount: '80.00' }, { accountId: 'merchant', direction: 'credit', amount: '80.00' }] });
    expect(replay.status, replay.text).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(captured.body);
    expect(await api.head(ledgerId)).toBe(pCap);

    // Resolved at most once.
    await refused(() => post('auth-1'), 409, 'HOLD_NOT_PENDING');
    await refused(() => post('auth-1', { id: 'cap-2', postings: [{ accountId: 'alice', direction: 'debit', amount: '20.00' }, { accountId: 'merchant', direction: 'credit', amount: '20.00' }] }), 409, 'HOLD_NOT_PENDING');
    await refused(() => voidHold('auth-1', { reason: 'too late' }), 409, 'HOLD_NOT_PENDING');
  });

  it('voids a hold: released in full, and nothing can resolve it again', async () => {
    const { ledgerId, write, get, expectBalance, fund, refused, post, voidHold } = await story();
    await fund();
    const authorized = await write('/transactions', hold('auth-v', 'alice', 'merchant', '100.00', { expiresAt: now() + 7n * DAY }));
    const pHold = authorized.position as number;
    await expectBalance('alice', {}, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });

    const voided = await voidHold('auth-v', { reason: 'customer cancelled' });
    expect(voided.status, voided.text).toBe(201);
    const pVoid = pHold + 1;
    expect(await api.head(ledgerId)).toBe(pVoid);
    expect(voided.body).toMatchObject({
      id: 'auth-v', status: 'voided', position: pHold,
      postings: [usd('alice', 'debit', '100.00'), usd('merchant', 'credit', '100.00')],
      resolution: { type: 'voided', position: pVoid, postings: [], reason: 'customer cancelled' },
    });
    expect(voided.body.resolution.effectiveAt).toBe(voided.body.resolution.recordedAt);
    const tVoid = micros(voided.body.resolution.effectiveAt);

    // Released in full from the void on; still held before it, and as known before it.
    await expectBalance('alice', {}, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
    await expectBalance('merchant', {}, { ledger: '0.00', available: '0.00' });
    await expectBalance('alice', { position: pVoid, effective: tVoid - 1n }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    await expectBalance('alice', { position: pHold, effective: tVoid + HOUR }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    expect(await get(`/transactions/auth-v?recordedAsOfPosition=${pHold}`)).toMatchObject({ status: 'pending', resolution: null });
    // The void's reason is read back with the hold, as its resolution's, in one and in a list.
    expect(await get('/transactions/auth-v')).toMatchObject({ status: 'voided', resolution: { type: 'voided', position: pVoid, reason: 'customer cancelled' } });
    const listed = (await get('/transactions?accountId=merchant')).items as Json[];
    expect(listed.find((t) => t.id === 'auth-v')).toMatchObject({ resolution: { type: 'voided', reason: 'customer cancelled' } });

    // Voided is final; a posted transaction is not a hold; an unknown one does not exist.
    await refused(() => voidHold('auth-v'), 409, 'HOLD_NOT_PENDING');
    await refused(() => post('auth-v'), 409, 'HOLD_NOT_PENDING');
    await refused(() => post('fund-1'), 409, 'HOLD_NOT_PENDING');
    await refused(() => voidHold('fund-1', { reason: 'not a hold' }), 409, 'HOLD_NOT_PENDING');
    await refused(() => post('no-such-hold'), 404, 'NOT_FOUND');
    await refused(() => voidHold('no-such-hold'), 404, 'NOT_FOUND');
    // Nor can the voided hold be reversed: there is nothing posted to mirror.
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/auth-v/reverse`, { body: { reason: 'undo' } }), 409, 'NOT_REVERSIBLE');
    expect(await api.head(ledgerId)).toBe(pVoid);
  });

  it('dates a void in the past: the hold stops counting from the void\'s effective time', async () => {
    const { write, expectBalance, fund } = await story();
    await fund();
    const t0 = now();
    const authorized = await write('/transactions', hold('auth-b', 'alice', 'merchant', '100.00', { effectiveAt: t0 - 40n * MINUTE }));
    const voided = await write('/transactions/auth-b/void', { reason: 'reversed by the network', effectiveAt: rfc3339(t0 - 20n * MINUTE) });
    expect(voided).toMatchObject({ status: 'voided', resolution: { type: 'voided', effectiveAt: rfc3339(t0 - 20n * MINUTE) } });
    const pHold = authorized.position as number;
    const pVoid = voided.resolution.position as number;
    for (const position of [pHold, pVoid]) {
      await expectBalance('alice', { position, effective: t0 - 30n * MINUTE }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    }
    await expectBalance('alice', { position: pHold, effective: t0 - 10n * MINUTE }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    await expectBalance('alice', { position: pVoid, effective: t0 - 10n * MINUTE }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
    await expectBalance('alice', { position: pVoid, effective: t0 - 20n * MINUTE }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
    await expectBalance('alice', { position: pVoid, effective: t0 - 20n * MINUTE - 1n }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
  });

  it('lets a hold expire: no post or void after its expiresAt, and it stops counting at expiresAt', async () => {
    const { ledgerId, write, get, expectBalance, fund, refused, post, voidHold } = await story();
    await fund();
    const t0 = now();
    const expiresAt = t0 + 2n * SECOND;
    const authorized = await write('/transactions', hold('auth-x', 'alice', 'merchant', '100.00', { effectiveAt: t0 - MINUTE, expiresAt }));
    const pHold = authorized.position as number;
    expect(authorized).toMatchObject({ status: 'pending', expiresAt: rfc3339(expiresAt), effectiveAt: rfc3339(t0 - MINUTE) });
    expect(micros(authorized.recordedAt)).toBeLessThan(expiresAt); // the hold was recorded before it expired

    // An expiry no later than the hold's effective time is refused.
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: hold('auth-bad', 'alice', 'merchant', '1.00', { effectiveAt: t0 - MINUTE, expiresAt: t0 - MINUTE }) }), 400, 'VALIDATION_FAILED');
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: { ...transfer('tx-exp', rfc3339(t0 - MINUTE), 'alice', 'merchant', '1.00'), expiresAt: rfc3339(t0 + DAY) } }), 400, 'VALIDATION_FAILED');

    // Wait until the hold has passed its expiry by the service's clock (bounded).
    const deadline = Date.now() + 15_000;
    let status = (await get('/transactions/auth-x')).status as string;
    while (status !== 'expired' && Date.now() < deadline) {
      await sleep(100);
      status = (await get('/transactions/auth-x')).status as string;
    }
    expect(status).toBe('expired');
    expect(now()).toBeGreaterThan(expiresAt);

    await refused(() => post('auth-x'), 409, 'HOLD_EXPIRED');
    await refused(() => post('auth-x', { postings: [{ accountId: 'alice', direction: 'debit', amount: '50.00' }, { accountId: 'merchant', direction: 'credit', amount: '50.00' }] }), 409, 'HOLD_EXPIRED');
    await refused(() => voidHold('auth-x', { reason: 'too late' }), 409, 'HOLD_EXPIRED');
    await refused(() => voidHold('auth-x', { effectiveAt: rfc3339(t0) }), 409, 'HOLD_EXPIRED');
    expect(await api.head(ledgerId)).toBe(pHold);

    // The hold read as of its own recording was pending then, and is expired as read now.
    const asRecorded = new URLSearchParams({ recordedAsOfPosition: String(pHold), effectiveAsOf: authorized.recordedAt });
    expect(await get(`/transactions/auth-x?${asRecorded}`)).toMatchObject({ status: 'pending', resolution: null });
    expect(await get('/transactions/auth-x')).toMatchObject({ status: 'expired', resolution: null, expiresAt: rfc3339(expiresAt) });

    // Active while effective before expiresAt (exclusive), gone from expiresAt on.
    for (const effective of [t0 - MINUTE, t0, expiresAt - 1n]) {
      await expectBalance('alice', { effective }, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
      await expectBalance('merchant', { effective }, { ledger: '0.00', available: '0.00', pending: ['0.00', '100.00'] });
    }
    for (const effective of [expiresAt, expiresAt + SECOND, undefined]) {
      await expectBalance('alice', { effective }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
      await expectBalance('merchant', { effective }, { ledger: '0.00', available: '0.00' });
    }
    await expectBalance('alice', { position: pHold, effective: expiresAt + SECOND }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
  });

  it('reproduces an expired hold\'s read from the asOf it answered with', async () => {
    const { write, get, fund } = await story();
    await fund();
    const t0 = now();
    const expiresAt = t0 + SECOND;
    await write('/transactions', hold('auth-y', 'alice', 'merchant', '100.00', { effectiveAt: t0 - MINUTE, expiresAt }));
    while (now() <= expiresAt + 50_000n) await sleep(50);
    // Read now (no coordinates): the hold is expired, and nothing was recorded since it.
    const read = await get('/transactions/auth-y');
    expect(read.status).toBe('expired');
    // Spec section 3: sending the asOf back reproduces the answer exactly.
    const query = new URLSearchParams({ recordedAsOf: read.asOf.recordedAt, effectiveAsOf: read.asOf.effectiveAt });
    const again = await get(`/transactions/auth-y?${query}`);
    expect(again).toEqual(read);
  });

  it('refuses captures that are not part of the hold, more than held, unbalanced, or earlier than the hold', async () => {
    const { ledgerId, write, expectBalance, fund, refused, post } = await story();
    await fund();
    const t0 = now();
    const authorized = await write('/transactions', hold('auth-p', 'alice', 'merchant', '100.00', { effectiveAt: t0 - 10n * MINUTE, expiresAt: t0 + DAY }));
    const pHold = authorized.position as number;
    const capture = (...postings: [string, 'debit' | 'credit', string][]) => ({ postings: postings.map(([accountId, direction, amount]) => ({ accountId, direction, amount })) });

    // More than held on a pair, also when split over two postings of the same pair.
    await refused(() => post('auth-p', capture(['alice', 'debit', '100.01'], ['merchant', 'credit', '100.01'])), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', capture(['alice', 'debit', '60.00'], ['alice', 'debit', '40.01'], ['merchant', 'credit', '100.01'])), 400, 'VALIDATION_FAILED');
    // A pair the hold does not have: another account, or the other direction.
    await refused(() => post('auth-p', capture(['bank', 'debit', '50.00'], ['merchant', 'credit', '50.00'])), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', capture(['alice', 'credit', '50.00'], ['merchant', 'debit', '50.00'])), 400, 'VALIDATION_FAILED');
    // Within the hold but unbalanced.
    await refused(() => post('auth-p', capture(['alice', 'debit', '80.00'], ['merchant', 'credit', '70.00'])), 422, 'UNBALANCED');
    // Effective before the hold is; a void neither.
    await refused(() => post('auth-p', { effectiveAt: rfc3339(t0 - 20n * MINUTE) }), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', { ...capture(['alice', 'debit', '80.00'], ['merchant', 'credit', '80.00']), effectiveAt: rfc3339(t0 - 10n * MINUTE - 1n) }), 400, 'VALIDATION_FAILED');
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/auth-p/void`, { body: { effectiveAt: rfc3339(t0 - 20n * MINUTE) } }), 400, 'VALIDATION_FAILED');
    // Malformed bodies.
    await refused(() => post('auth-p', { postings: [] }), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', capture(['alice', 'debit', '-5.00'], ['merchant', 'credit', '-5.00'])), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', capture(['alice', 'debit', '0.00'], ['merchant', 'credit', '0.00'])), 400, 'VALIDATION_FAILED');
    await refused(() => post('auth-p', capture(['alice', 'debit', '5.001'], ['merchant', 'credit', '5.001'])), 422, 'SCALE_EXCEEDED');
    await refused(() => post('auth-p', { reason: 'not a field of a post' }), 400, 'VALIDATION_FAILED');
    expect(await api.head(ledgerId)).toBe(pHold);

    // Still pending and intact; a capture split over two postings of a pair, effective exactly when the hold is, is accepted.
    await expectBalance('alice', {}, { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] });
    const captured = await write('/transactions/auth-p/post', { ...capture(['alice', 'debit', '30.00'], ['alice', 'debit', '50.00'], ['merchant', 'credit', '80.00']), effectiveAt: rfc3339(t0 - 10n * MINUTE) });
    expect(captured).toMatchObject({
      status: 'posted',
      resolution: { type: 'posted', effectiveAt: rfc3339(t0 - 10n * MINUTE), postings: [usd('alice', 'debit', '30.00'), usd('alice', 'debit', '50.00'), usd('merchant', 'credit', '80.00')] },
    });
    await expectBalance('alice', {}, { ledger: '420.00', available: '420.00', posted: ['80.00', '500.00'] });
    await expectBalance('alice', { effective: t0 - 10n * MINUTE - 1n }, { ledger: '500.00', available: '500.00', posted: ['0.00', '500.00'] });
  });

  it('reverses a captured hold by what was captured, and refuses to reverse an uncaptured one', async () => {
    const { ledgerId, write, get, expectBalance, fund, refused } = await story();
    await fund();
    await write('/transactions', hold('auth-r', 'alice', 'merchant', '100.00', { expiresAt: now() + DAY }));
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/auth-r/reverse`, { body: { reason: 'not captured yet' } }), 409, 'NOT_REVERSIBLE');

    const captured = await write('/transactions/auth-r/post', { postings: [{ accountId: 'alice', direction: 'debit', amount: '80.00' }, { accountId: 'merchant', direction: 'credit', amount: '80.00' }] });
    const reversal = await write('/transactions/auth-r/reverse', { id: 'rev-r', reason: 'chargeback' });
    expect(reversal).toMatchObject({
      id: 'rev-r', status: 'posted', reverses: 'auth-r', reason: 'chargeback',
      effectiveAt: captured.resolution.effectiveAt, // by default when the capture took effect
      postings: [usd('alice', 'credit', '80.00'), usd('merchant', 'debit', '80.00')],
    });
    expect(await get('/transactions/auth-r')).toMatchObject({ status: 'posted', reversedBy: 'rev-r', resolution: { type: 'posted' } });
    await expectBalance('alice', {}, { ledger: '500.00', available: '500.00', posted: ['80.00', '580.00'] });
    await expectBalance('merchant', {}, { ledger: '0.00', available: '0.00', posted: ['80.00', '80.00'] });
    // As known before the reversal, the capture stood.
    await expectBalance('alice', { position: reversal.position - 1 }, { ledger: '420.00', available: '420.00', posted: ['80.00', '500.00'] });

    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/auth-r/reverse`, { body: { reason: 'again' } }), 409, 'ALREADY_REVERSED');
    await refused(() => api.call('POST', `/v1/ledgers/${ledgerId}/transactions/auth-r/post`, { body: {} }), 409, 'HOLD_NOT_PENDING');
  });

  it('captures with a future effective time: the hold stops counting as the capture becomes scheduled', async () => {
    const { write, get, expectBalance, fund } = await story();
    await fund();
    const authorized = await write('/transactions', hold('auth-f', 'alice', 'merchant', '100.00', { expiresAt: now() + 7n * DAY }));
    const pHold = authorized.position as number;
    const tHold = micros(authorized.effectiveAt);
    const settles = now() + 3n * DAY;
    const captured = await write('/transactions/auth-f/post', { effectiveAt: rfc3339(settles) });
    const pCap = captured.resolution.position as number;
    const tCapRecorded = micros(captured.resolution.recordedAt);
    expect(captured).toMatchObject({
      status: 'posted',
      resolution: { type: 'posted', effectiveAt: rfc3339(settles), postings: [usd('alice', 'debit', '100.00'), usd('merchant', 'credit', '100.00')] },
    });
    expect(await get('/transactions/auth-f')).toMatchObject({ status: 'posted', resolution: { effectiveAt: rfc3339(settles) } });

    const whilePending = { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], pending: ['100.00', '0.00'] } satisfies Expected;
    const whileScheduled = { ledger: '500.00', available: '400.00', posted: ['0.00', '500.00'], scheduled: ['100.00', '0.00'] } satisfies Expected;
    const settled = { ledger: '400.00', available: '400.00', posted: ['100.00', '500.00'] } satisfies Expected;
    for (const effective of [tCapRecorded, tCapRecorded + HOUR, now() + DAY, settles - 1n]) {
      // As known while the hold was pending, and as known after the capture: the same available balance, counted once.
      await expectBalance('alice', { position: pHold, effective }, whilePending);
      await expectBalance('alice', { position: pCap, effective }, whileScheduled);
      await expectBalance('merchant', { position: pHold, effective }, { ledger: '0.00', available: '0.00', pending: ['0.00', '100.00'] });
      await expectBalance('merchant', { position: pCap, effective }, { ledger: '0.00', available: '0.00', scheduled: ['0.00', '100.00'] });
    }
    // Before the capture was known (it is dated later than recorded, so it is known from its recording), the hold counts.
    await expectBalance('alice', { position: pCap, effective: tCapRecorded - 1n }, whilePending);
    await expectBalance('alice', { position: pCap, effective: tHold }, whilePending);
    await expectBalance('alice', { position: pCap }, whileScheduled);
    for (const effective of [settles, settles + DAY]) {
      await expectBalance('alice', { position: pCap, effective }, settled);
      await expectBalance('alice', { position: pHold, effective }, whilePending);
      await expectBalance('merchant', { position: pCap, effective }, { ledger: '100.00', available: '100.00', posted: ['0.00', '100.00'] });
    }
  });

  it('captures part of a hold with a future effective time: the released part is available at once', async () => {
    const { write, expectBalance, fund } = await story();
    await fund();
    await write('/transactions', hold('auth-g', 'alice', 'merchant', '100.00', { expiresAt: now() + 7n * DAY }));
    const settles = now() + 3n * DAY;
    const captured = await write('/transactions/auth-g/post', { effectiveAt: rfc3339(settles), postings: [{ accountId: 'alice', direction: 'debit', amount: '80.00' }, { accountId: 'merchant', direction: 'credit', amount: '80.00' }] });
    const pCap = captured.resolution.position as number;
    await expectBalance('alice', { position: pCap, effective: now() + DAY }, { ledger: '500.00', available: '420.00', posted: ['0.00', '500.00'], scheduled: ['80.00', '0.00'] });
    await expectBalance('alice', { position: pCap, effective: settles }, { ledger: '420.00', available: '420.00', posted: ['80.00', '500.00'] });
  });

  it('replays a post or void only for the same hold: the path is part of the request', async () => {
    const { ledgerId, path, write, get, fund, post } = await story();
    await fund();
    await write('/transactions', hold('auth-a', 'alice', 'merchant', '10.00', { expiresAt: now() + DAY }));
    await write('/transactions', hold('auth-b', 'alice', 'merchant', '20.00', { expiresAt: now() + DAY }));
    await write('/transactions', hold('auth-c', 'alice', 'merchant', '30.00', { expiresAt: now() + DAY }));
    await write('/transactions', hold('auth-d', 'alice', 'merchant', '40.00', { expiresAt: now() + DAY }));

    // An Idempotency-Key on a void: the retry replays; the same key on another hold conflicts.
    const headers = { 'Idempotency-Key': 'void-key-1' };
    const voided = await api.call('POST', `${path}/transactions/auth-c/void`, { body: { reason: 'cancelled' }, headers });
    expect(voided.status, voided.text).toBe(201);
    const retried = await api.call('POST', `${path}/transactions/auth-c/void`, { body: { reason: 'cancelled' }, headers });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.body).toEqual(voided.body);
    const head = await api.head(ledgerId);
    expectProblem(await api.call('POST', `${path}/transactions/auth-d/void`, { body: { reason: 'cancelled' }, headers }), 409, 'IDEMPOTENCY_CONFLICT');
    expect(await get('/transactions/auth-d')).toMatchObject({ status: 'pending', resolution: null });

    // The capture id on a post: likewise. Another hold's post with the same id is not a retry of the first.
    const first = await post('auth-a', { id: 'cap-same' });
    expect(first.status, first.text).toBe(201);
    expect(first.body).toMatchObject({ id: 'auth-a', status: 'posted' });
    const second = await post('auth-b', { id: 'cap-same' });
    expectProblem(second, 409, 'IDEMPOTENCY_CONFLICT');
    expect(await api.head(ledgerId)).toBe(head + 1);
    expect(await get('/transactions/auth-b')).toMatchObject({ status: 'pending', resolution: null });
  });
});
