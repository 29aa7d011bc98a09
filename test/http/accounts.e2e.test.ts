import { describe, expect, it } from 'vitest';
import { describeOnEachDatabase, expectProblem, transfer, type Answer, type Json } from '../support/http.ts';

// Spec sections 2 to 5: accounts and transactions as of a position, paging pinned by the cursor,
// plain dates in the ledger's timezone, asOf that reproduces an answer, scheduled postings.


/** Far enough ahead to stay future-dated whenever the suite runs. */
const FUTURE = '2099-01-01T00:00:00Z';


describeOnEachDatabase('accounts and transactions', (api) => {

  async function record(ledgerId: string, body: Json): Promise<Json> {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body });
    expect(answer.status, answer.text).toBe(201);
    return answer.body;
  }

  async function openAccount(ledgerId: string, body: Json): Promise<Json> {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body });
    expect(answer.status, answer.text).toBe(201);
    return answer.body;
  }

  /** Follows nextCursor to the end; `between` runs after each page but the last. */
  async function allPages(firstPath: string, between: () => Promise<void> = async () => {}): Promise<Answer[]> {
    const pages: Answer[] = [];
    let path: string | null = firstPath;
    while (path !== null) {
      const page: Answer = await api.call('GET', path);
      expect(page.status, page.text).toBe(200);
      pages.push(page);
      const cursor = page.body.nextCursor as string | null;
      path = cursor === null ? null : `${firstPath}${firstPath.includes('?') ? '&' : '?'}cursor=${encodeURIComponent(cursor)}`;
      if (path !== null) await between();
    }
    return pages;
  }

  describe('accounts', () => {
    it('opens an account and reads it back, with defaults filled in', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const opened = await openAccount(ledgerId, { id: 'assets:bank:checking', normalBalance: 'debit', currency: 'USD' });
      expect(opened).toEqual({
        id: 'assets:bank:checking', name: 'assets:bank:checking', normalBalance: 'debit', currency: 'USD', noOverdraft: false,
        metadata: {}, type: null, status: 'open', position: 2, recordedAt: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/),
      });
      const read = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/assets:bank:checking`);
      expect(read.status).toBe(200);
      expect(read.body).toEqual({ ...opened, asOf: { position: 2, recordedAt: opened.recordedAt, effectiveAt: expect.any(String) } });

      const full = await openAccount(ledgerId, {
        id: 'customer:42:wallet', name: 'Wallet of 42', normalBalance: 'credit', currency: 'EUR', noOverdraft: true, metadata: { tier: 'gold', limits: [1, 2] },
      });
      expect(full).toMatchObject({ name: 'Wallet of 42', noOverdraft: true, metadata: { tier: 'gold', limits: [1, 2] } });
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/nobody`), 404, 'NOT_FOUND');
    });

    it('refuses account ids outside the grammar', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      for (const id of ['', ':leading', 'with space', 'a'.repeat(129), 'ünïcode', 'a/b']) {
        const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts`, { body: { id, normalBalance: 'debit', currency: 'USD' } });
        expectProblem(answer, 400, 'VALIDATION_FAILED');
      }
      expect(await api.head(ledgerId)).toBe(1);
    });

    it('lists accounts by id prefix', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      for (const id of ['customer:1', 'customer:2', 'customer:10', 'customers', 'customer', 'cust', 'merchant:1']) {
        await openAccount(ledgerId, { id, normalBalance: 'credit', currency: 'USD' });
      }
      const ids = async (query: string) => {
        const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts${query}`);
        expect(answer.status).toBe(200);
        return answer.body.items.map((a: Json) => a.id);
      };
      expect(await ids('?prefix=customer:')).toEqual(['customer:1', 'customer:10', 'customer:2']);
      expect(await ids('?prefix=customer')).toEqual(['customer', 'customer:1', 'customer:10', 'customer:2', 'customers']);
      expect(await ids('?prefix=merchant')).toEqual(['merchant:1']);
      expect(await ids('?prefix=nobody')).toEqual([]);
      expect(await ids('')).toHaveLength(7);
    });

    it('pages with limit and nextCursor until null, stable across a write between pages', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const opened = ['c:01', 'c:02', 'c:03', 'c:04', 'c:05', 'c:06', 'c:07'];
      for (const id of opened) await openAccount(ledgerId, { id, normalBalance: 'credit', currency: 'USD' });
      const head = await api.head(ledgerId);

      let extra = 0;
      const pages = await allPages(`/v1/ledgers/${ledgerId}/accounts?prefix=c:&limit=3`, async () => {
        // Sorts before, between and after what is left to read: none of them may show up.
        for (const id of [`c:00-${extra}`, `c:035-${extra}`, `c:99-${extra}`]) await openAccount(ledgerId, { id, normalBalance: 'credit', currency: 'USD' });
        extra += 1;
      });
      expect(pages.map((p) => p.body.items.length)).toEqual([3, 3, 1]);
      expect(pages.flatMap((p) => p.body.items.map((a: Json) => a.id))).toEqual(opened);
      for (const page of pages) expect(page.body.asOf.position).toBe(head);
      expect(pages.at(-1)!.body.nextCursor).toBeNull();

      const now = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts?prefix=c:&limit=1000`);
      expect(now.body.items).toHaveLength(13);
      expect(now.body.nextCursor).toBeNull();
    });

    it('answers nextCursor null when the last page is exactly as long as limit', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      for (const id of ['a', 'b']) await openAccount(ledgerId, { id, normalBalance: 'credit', currency: 'USD' });
      const pages = await allPages(`/v1/ledgers/${ledgerId}/accounts?limit=2`);
      expect(pages.flatMap((p) => p.body.items.map((a: Json) => a.id))).toEqual(['a', 'b']);
      expect(pages.at(-1)!.body.nextCursor).toBeNull();
    });

    it('refuses a limit out of range and a cursor it did not give', async () => {
      const ledgerId = await api.seedLedger();
      for (const query of ['limit=0', 'limit=1001', 'limit=-1', 'limit=1.5', 'limit=ten', 'cursor=not-a-cursor', `cursor=${Buffer.from('{"position":"x"}').toString('base64url')}`]) {
        for (const path of ['accounts', 'transactions']) {
          expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/${path}?${query}`), 400, 'VALIDATION_FAILED');
        }
      }
    });

    // A forged cursor must not reach SQL (`after` is a bigint there), nor U+0000 in a prefix.
    const forged = (cursor: Json) => Buffer.from(JSON.stringify({ position: 1, effectiveAsOf: '2026-03-01T00:00:00.000000Z', after: 0, ...cursor })).toString('base64url');
    it.each([
      ['a cursor whose after is not a whole number', `transactions?cursor=${forged({ after: 'abc' })}`],
      ['a cursor whose after is a fraction', `transactions?cursor=${forged({ after: 1.5 })}`],
      ['a cursor at a negative position', `transactions?cursor=${forged({ position: -5 })}`],
      ['a cursor whose effectiveAsOf is not a timestamp', `transactions?cursor=${forged({ effectiveAsOf: 'yesterday' })}`],
      ['an accounts cursor whose after is not an account id', `accounts?cursor=${forged({ after: 'a\u0000' })}`],
      ['a prefix holding U+0000', 'accounts?prefix=%00'],
    ])('answers %s with 400, never 5xx', async (_label, path) => {
      const ledgerId = await api.seedLedger();
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/${path}`), 400, 'VALIDATION_FAILED');
    });

    it('closes an account: postings to it are refused, and so is closing it again', async () => {
      const ledgerId = await api.seedLedger();
      await record(ledgerId, transfer('before-close', '2026-03-01T10:00:00Z', 'bank', 'merchant', '5.00'));
      const closed = await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`);
      expect(closed.status).toBe(201);
      expect(closed.body).toMatchObject({ id: 'merchant', status: 'closed', position: 6 });
      const head = await api.head(ledgerId);

      const posting = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, { body: transfer('after-close', '2026-03-02T10:00:00Z', 'bank', 'merchant', '1.00') });
      expectProblem(posting, 409, 'ACCOUNT_CLOSED');
      expect(posting.body.errors).toEqual([expect.objectContaining({ path: 'postings.1.accountId' })]);
      expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/merchant/close`), 409, 'ACCOUNT_CLOSED');
      expectProblem(await api.call('POST', `/v1/ledgers/${ledgerId}/accounts/nobody/close`), 404, 'NOT_FOUND');
      expect(await api.head(ledgerId)).toBe(head);

      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/merchant`)).body.status).toBe('closed');
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/merchant?recordedAsOfPosition=5`)).body.status).toBe('open');
      const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/merchant/balance`);
      expect(balance.body.ledgerBalance).toBe('5.00');
    });

    it('answers 404 for an account read as of a position before it was opened', async () => {
      const ledgerId = await api.seedLedger({ accounts: [] });
      const opened = await openAccount(ledgerId, { id: 'late', normalBalance: 'debit', currency: 'USD' });
      expect(opened.position).toBe(2);
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late?recordedAsOfPosition=1`), 404, 'NOT_FOUND');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late/balance?recordedAsOfPosition=1`), 404, 'NOT_FOUND');
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late?recordedAsOfPosition=2`)).status).toBe(200);
      const listed = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts?recordedAsOfPosition=1`);
      expect(listed.body).toMatchObject({ items: [], nextCursor: null, asOf: { position: 1 } });
      const beforeAnything = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late?${new URLSearchParams({ recordedAsOf: '2000-01-01T00:00:00Z' })}`);
      expectProblem(beforeAnything, 404, 'NOT_FOUND');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late?recordedAsOfPosition=3`), 400, 'VALIDATION_FAILED');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/late?${new URLSearchParams({ recordedAsOfPosition: '2', recordedAsOf: opened.recordedAt })}`), 400, 'VALIDATION_FAILED');
    });
  });

  describe('transactions', () => {
    it('gets one transaction, and 404 as of a position before it was recorded', async () => {
      const ledgerId = await api.seedLedger();
      const recorded = await record(ledgerId, { ...transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '10.00'), description: 'Deposit', metadata: { ref: 'A-1' } });
      expect(recorded).toMatchObject({
        id: 'dep-1', status: 'posted', effectiveAt: '2026-03-01T10:00:00.000000Z', expiresAt: null, description: 'Deposit', metadata: { ref: 'A-1' },
        postings: [
          { accountId: 'bank', direction: 'debit', amount: '10.00', currency: 'USD' },
          { accountId: 'alice', direction: 'credit', amount: '10.00', currency: 'USD' },
        ],
        reverses: null, reversedBy: null, corrects: null, correctedBy: null, position: 5,
      });
      const read = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/dep-1`);
      expect(read.status).toBe(200);
      const { asOf, ...rest } = read.body;
      expect(rest).toEqual(recorded);
      expect(asOf).toMatchObject({ position: 5, recordedAt: recorded.recordedAt });
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/dep-1?recordedAsOfPosition=5`)).status).toBe(200);
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/dep-1?recordedAsOfPosition=4`), 404, 'NOT_FOUND');
      expectProblem(await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/nope`), 404, 'NOT_FOUND');
    });

    it('generates an id when none is given', async () => {
      const ledgerId = await api.seedLedger();
      const { id: _id, ...body } = transfer('x', '2026-03-01T10:00:00Z', 'bank', 'alice', '1.00');
      const recorded = await record(ledgerId, body);
      expect(recorded.id).toMatch(/^[A-Za-z0-9][A-Za-z0-9:._-]{0,127}$/);
      expect((await api.call('GET', `/v1/ledgers/${ledgerId}/transactions/${recorded.id}`)).status).toBe(200);
    });

    it('lists transactions by account and by effective range, in log order', async () => {
      const ledgerId = await api.seedLedger();
      await record(ledgerId, transfer('t1', '2026-03-01T10:00:00Z', 'bank', 'alice', '1.00'));
      await record(ledgerId, transfer('t2', '2026-03-05T10:00:00Z', 'alice', 'merchant', '1.00'));
      await record(ledgerId, transfer('t3', '2026-02-20T10:00:00Z', 'bank', 'merchant', '1.00'));
      await record(ledgerId, transfer('t4', '2026-03-10T00:00:00Z', 'bank', 'alice', '1.00'));
      const ids = async (query: Record<string, string>) => {
        const answer = await api.call('GET', `/v1/ledgers/${ledgerId}/transactions?${new URLSearchParams(query)}`);
        expect(answer.status, answer.text).toBe(200);
        return answer.body.items.map((t: Json) => t.id);
      };
      expect(await ids({})).toEqual(['t1', 't2', 't3', 't4']);
      expect(await ids({ accountId: 'alice' })).toEqual(['t1', 't2', 't4']);
      expect(await ids({ accountId: 'merchant' })).toEqual(['t2', 't3']);
      expect(await ids({ accountId: 'nobody' })).toEqual([]);
      expect(await ids({ effectiveFrom: '2026-03-01T10:00:00Z', effectiveTo: '2026-03-05T10:00:00Z' })).toEqual(['t1', 't2']);
      expect(await ids({ effectiveFrom: '2026-03-01', effectiveTo: '2026-03-09' })).toEqual(['t1', 't2']);
      expect(await ids({ effectiveTo: '2026-03-10' })).toEqual(['t1', 't2', 't3', 't4']);
      expect(await ids({ effectiveFrom: '2026-03-01T10:00:00.000001Z' })).toEqual(['t2', 't4']);
      expect(await ids({ accountId: 'alice', effectiveFrom: '2026-03-02' })).toEqual(['t2', 't4']);
      expect(await ids({ recordedAsOfPosition: '6' })).toEqual(['t1', 't2']);
    });

    it('pages transactions with the position pinned by the cursor', async () => {
      const ledgerId = await api.seedLedger();
      for (let i = 1; i <= 5; i++) await record(ledgerId, transfer(`t${i}`, '2026-03-01T10:00:00Z', 'bank', 'alice', `${i}.00`));
      let extra = 0;
      const pages = await allPages(`/v1/ledgers/${ledgerId}/transactions?accountId=alice&limit=2`, async () => {
        await record(ledgerId, transfer(`late${extra++}`, '2026-03-01T10:00:00Z', 'bank', 'alice', '9.00'));
      });
      expect(pages.flatMap((p) => p.body.items.map((t: Json) => t.id))).toEqual(['t1', 't2', 't3', 't4', 't5']);
      expect(new Set(pages.map((p) => p.body.asOf.position))).toEqual(new Set([9]));
    });
  });

  describe('time', () => {
    it('reads a plain effectiveAt as the start of that day in the ledger\'s timezone', async () => {
      const ledgerId = await api.seedLedger({ timezone: 'America/New_York' });
      const winter = await record(ledgerId, transfer('winter', '2026-03-01', 'bank', 'alice', '1.00'));
      expect(winter.effectiveAt).toBe('2026-03-01T05:00:00.000000Z');
      const summer = await record(ledgerId, transfer('summer', '2026-07-01', 'bank', 'alice', '1.00'));
      expect(summer.effectiveAt).toBe('2026-07-01T04:00:00.000000Z');
      // 2026-03-08 is the day clocks go forward in New York: it still begins at local midnight, EST.
      const dst = await record(ledgerId, transfer('dst', '2026-03-08', 'bank', 'alice', '1.00'));
      expect(dst.effectiveAt).toBe('2026-03-08T05:00:00.000000Z');
      const utc = await api.seedLedger();
      expect((await record(utc, transfer('utc', '2026-03-01', 'bank', 'alice', '1.00'))).effectiveAt).toBe('2026-03-01T00:00:00.000000Z');
    });

    it('reads a plain effectiveAsOf as the end of that day in the ledger\'s timezone', async () => {
      const ledgerId = await api.seedLedger({ timezone: 'America/New_York' });
      await record(ledgerId, transfer('late-evening', '2026-03-01T23:30:00-05:00', 'bank', 'alice', '7.00'));
      const balance = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-01`);
      expect(balance.status).toBe(200);
      expect(balance.body.asOf.effectiveAt).toBe('2026-03-02T04:59:59.999999Z');
      expect(balance.body.ledgerBalance).toBe('7.00');
      const dayBefore = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-02-28`);
      expect(dayBefore.body.asOf.effectiveAt).toBe('2026-03-01T04:59:59.999999Z');
      expect(dayBefore.body.ledgerBalance).toBe('0.00');
      const ledger = await api.call('GET', `/v1/ledgers/${ledgerId}?effectiveAsOf=2026-07-01`);
      expect(ledger.body.asOf.effectiveAt).toBe('2026-07-02T03:59:59.999999Z');
    });

    it('reproduces an answer from the asOf it returned, whatever is recorded later', async () => {
      const ledgerId = await api.seedLedger();
      await record(ledgerId, transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '100.00'));
      await record(ledgerId, transfer('rent', FUTURE, 'alice', 'merchant', '30.00'));
      const first = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance`);
      expect(first.status).toBe(200);
      const { asOf } = first.body;
      expect(asOf).toEqual({ position: 6, recordedAt: expect.any(String), effectiveAt: expect.any(String) });

      // Later knowledge: a backdated entry, a current one and another future one.
      await record(ledgerId, transfer('backdated', '2026-02-01T00:00:00Z', 'bank', 'alice', '1.00'));
      await record(ledgerId, transfer('now', asOf.effectiveAt, 'alice', 'merchant', '2.00'));
      await record(ledgerId, transfer('later', FUTURE, 'bank', 'alice', '4.00'));

      const byPosition = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ recordedAsOfPosition: String(asOf.position), effectiveAsOf: asOf.effectiveAt })}`);
      expect(byPosition.body).toEqual(first.body);
      const byTime = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ recordedAsOf: asOf.recordedAt, effectiveAsOf: asOf.effectiveAt })}`);
      expect(byTime.body).toEqual(first.body);
      const current = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?${new URLSearchParams({ effectiveAsOf: asOf.effectiveAt })}`);
      expect(current.body.ledgerBalance).toBe('99.00');
    });

    it('counts a known future-dated debit to a credit-normal account against available, as scheduled', async () => {
      const ledgerId = await api.seedLedger();
      await record(ledgerId, transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '100.00'));
      await record(ledgerId, transfer('rent', FUTURE, 'alice', 'merchant', '30.00'));
      const balanceOf = async (accountId: string, query = '') =>
        (await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/${accountId}/balance${query}`)).body;

      expect(await balanceOf('alice')).toMatchObject({
        accountId: 'alice', currency: 'USD', normalBalance: 'credit',
        ledgerBalance: '100.00', availableBalance: '70.00',
        posted: { debits: '0.00', credits: '100.00' }, pending: { debits: '0.00', credits: '0.00' }, scheduled: { debits: '30.00', credits: '0.00' },
      });
      // On the merchant's side the same entry is money coming in: it counts once effective.
      expect(await balanceOf('merchant')).toMatchObject({
        ledgerBalance: '0.00', availableBalance: '0.00', scheduled: { debits: '0.00', credits: '30.00' },
      });

      await record(ledgerId, transfer('salary', FUTURE, 'bank', 'alice', '50.00'));
      expect(await balanceOf('alice')).toMatchObject({
        ledgerBalance: '100.00', availableBalance: '70.00', scheduled: { debits: '30.00', credits: '50.00' },
      });
      // The bank is debit-normal: a future debit is on its normal side, a future credit would be contra.
      expect(await balanceOf('bank')).toMatchObject({
        ledgerBalance: '100.00', availableBalance: '100.00', scheduled: { debits: '50.00', credits: '0.00' },
      });

      // Once effective, both are posted and nothing is scheduled.
      expect(await balanceOf('alice', `?effectiveAsOf=${FUTURE.slice(0, 10)}`)).toMatchObject({
        ledgerBalance: '120.00', availableBalance: '120.00', posted: { debits: '30.00', credits: '150.00' }, scheduled: { debits: '0.00', credits: '0.00' },
      });
      // Before either was recorded, nothing was known of them.
      expect(await balanceOf('alice', '?recordedAsOfPosition=5')).toMatchObject({
        ledgerBalance: '100.00', availableBalance: '100.00', scheduled: { debits: '0.00', credits: '0.00' },
      });
    });

    it('does not count a future-dated entry as scheduled at an effective time before it was recorded', async () => {
      const ledgerId = await api.seedLedger();
      await record(ledgerId, transfer('dep-1', '2026-03-01T10:00:00Z', 'bank', 'alice', '100.00'));
      await record(ledgerId, transfer('rent', FUTURE, 'alice', 'merchant', '30.00'));
      const then = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-02`);
      expect(then.body).toMatchObject({ ledgerBalance: '100.00', availableBalance: '100.00', scheduled: { debits: '0.00', credits: '0.00' } });
    });
  });
});
