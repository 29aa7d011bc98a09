import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { MAX_CSV_STREAMS } from '../../src/adapters/db/general-ledger-query.ts';
import { createLedgerStore } from '../../src/adapters/db/ledger-store.ts';
import { asOfInput } from '../../src/adapters/http/handler-kit.ts';
import { resolveAsOf, type AsOf } from '../../src/app/as-of.ts';
import { generalLedgerCsv } from '../../src/app/exports/general-ledger.ts';
import type { LedgerStore } from '../../src/app/ports.ts';
import { isRejection } from '../../src/domain/rejection.ts';
import { DATABASES } from '../support/databases.ts';
import { testApi, transfer, type Json, type TestApi } from '../support/http.ts';

// The general ledger's CSV on PostgreSQL as one COPY ... TO STDOUT (docs/exports.md): the same
// bytes as the pages at any (R, E), over three assets of different scales and the largest amounts;
// a reader that stops early gives its connection back idle; and while MAX_CSV_STREAMS run, an
// export pages instead.

const postgres = DATABASES.find((d) => d.name === 'postgres');
const decoder = new TextDecoder();
const BIG = '123456789012345678901234567890.12'; // 30 digits before the point, the most there may be

describe.skipIf(!postgres)('the general ledger as one COPY stream on PostgreSQL', () => {
  let api: TestApi;
  let streaming: LedgerStore;
  let paging: LedgerStore;
  let ledgerId: string;
  let middle: number;

  const post = async (path: string, body: Json) => {
    const answer = await api.call('POST', `/v1/ledgers/${ledgerId}${path}`, { body });
    expect(answer.status, answer.text).toBe(201);
    return answer.body;
  };
  const at = async (coordinates: { recordedAsOfPosition?: string; effectiveAsOf?: string } = {}): Promise<AsOf> => {
    const asOf = await resolveAsOf(paging, ledgerId, 'UTC', asOfInput(coordinates));
    if (isRejection(asOf)) throw new Error(asOf.detail);
    return asOf;
  };
  /** The whole CSV as `store` writes it, how many records it counted, and how many pages it read. */
  const csv = async (store: LedgerStore, asOf: AsOf, pageSize?: number) => {
    let [text, rows, pages] = ['', 0, 0];
    const counting: LedgerStore = { ...store, generalLedgerCsv: (...args) => (pages++, store.generalLedgerCsv(...args)) };
    for await (const chunk of generalLedgerCsv(counting, ledgerId, asOf, (n) => (rows += n), pageSize)) text += typeof chunk === 'string' ? chunk : decoder.decode(chunk);
    return { text, rows, pages };
  };

  beforeAll(async () => {
    api = await testApi(await postgres!.open());
    streaming = createLedgerStore(api.database.db, { copyExports: true });
    paging = createLedgerStore(api.database.db);
    ledgerId = await api.seedLedger({ accounts: [
      { id: 'bank', normalBalance: 'debit', currency: 'USD', type: 'asset' },
      { id: 'alice', normalBalance: 'credit', currency: 'USD' },
      { id: 'yen:cash', normalBalance: 'debit', currency: 'JPY', type: 'asset' },
      { id: 'yen:owed', normalBalance: 'credit', currency: 'JPY', type: 'liability' },
    ] });
    await post('/assets', { code: 'GOLD', scale: 6 });
    for (const id of ['gold:vault', 'gold:owed']) await post('/accounts', { id, normalBalance: id === 'gold:vault' ? 'debit' : 'credit', currency: 'GOLD' });
    const day = (i: number) => `2026-0${1 + (i % 6)}-${String(1 + (i % 27)).padStart(2, '0')}T${String(i % 24).padStart(2, '0')}:00:00.${String(i).padStart(6, '0')}Z`;
    const transactions = Array.from({ length: 600 }, (_, i) => {
      const [debit, credit, amount] = [['bank', 'alice', `${i + 1}.${String(i % 100).padStart(2, '0')}`], ['yen:cash', 'yen:owed', String(1000 + i)], ['gold:vault', 'gold:owed', `0.${String(i + 1).padStart(6, '0')}`]][i % 3]!;
      return transfer(`t-${i}`, day(i), debit!, credit!, amount!);
    });
    for (let i = 0; i < transactions.length; i += 200) {
      const answer = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { body: { transactions: transactions.slice(i, i + 200) } });
      expect([200, 201], answer.text).toContain(answer.status);
      if (i === 200) middle = await api.head(ledgerId);
    }
    await post('/transactions', transfer('big', '2026-02-02T00:00:00Z', 'bank', 'alice', BIG));
    await post('/transactions/t-3/reverse', { reason: 'duplicate' });
    await post('/transactions', { ...transfer('hold-1', '2026-03-03T00:00:00Z', 'alice', 'bank', '5.00'), status: 'pending' });
    await post('/transactions/hold-1/post', {});
  }, 120_000);
  afterAll(() => api?.database.close());

  it('writes the bytes the pages write, at the head, at an earlier position and at an effective date', async () => {
    for (const coordinates of [{}, { recordedAsOfPosition: String(middle) }, { effectiveAsOf: '2026-03-15' }]) {
      const asOf = await at(coordinates);
      const [copied, paged] = await Promise.all([csv(streaming, asOf), csv(paging, asOf, 97)]);
      expect(copied.text, JSON.stringify(coordinates)).toBe(paged.text);
      expect(copied.rows).toBe(paged.rows);
      expect([copied.pages, paged.pages]).toEqual([0, Math.floor(paged.rows / 97) + 1]);
      expect(copied.text.split('\r\n').length).toBe(copied.rows + 2); // the header, the records, and the empty string after the last CRLF
    }
    const whole = (await csv(streaming, await at())).text;
    expect(whole).toContain(`,USD,`);
    expect(whole).toMatch(new RegExp(`,${BIG.replace('.', '\\.')},`));
    expect(whole).toMatch(/^gold:vault,unclassified,debit,GOLD,[^,]+,[^,]+,\d+,\d+,t-2,debit,0\.000003,0\.000003\r$/m);
    expect(whole).toMatch(/^yen:cash,asset,debit,JPY,[^,]+,[^,]+,\d+,\d+,t-1,debit,1001,/m);
    expect(whole).not.toContain('\n\n');
  });

  it('gives the connection back idle when its reader stops early, however often', async () => {
    const asOf = await at();
    const expected = (await csv(paging, asOf)).text;
    for (let i = 0; i < 12; i++) { // more than the pool's 10 connections
      const stream = streaming.generalLedgerCsvStream!(ledgerId, asOf.position, asOf.effectiveAt, new Map([['USD', 2], ['JPY', 0], ['GOLD', 6]]))!;
      const iterator = stream[Symbol.asyncIterator]();
      const first = await iterator.next();
      expect(first.done).toBe(false);
      await iterator.return!();
    }
    const { rows } = await sql<{ n: string }>`select count(*)::text as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and query like '%copy to stdout%' and state <> 'idle'`.execute(api.database.db);
    expect(rows[0]!.n).toBe('0');
    expect((await csv(streaming, asOf)).text).toBe(expected);
  });

  it('stops early without its cancel reaching the statements that follow on the connection', async () => {
    const asOf = await at();
    const scales = new Map([['USD', 2], ['JPY', 0], ['GOLD', 6]]);
    for (let i = 0; i < 5; i++) {
      const iterator = streaming.generalLedgerCsvStream!(ledgerId, asOf.position, asOf.effectiveAt, scales)![Symbol.asyncIterator]();
      expect((await iterator.next()).done).toBe(false);
      await iterator.return!();
      // A statement on every connection of the pool, each long enough for a cancel still on its
      // way to arrive during it: a cancel not awaited reached one of them.
      await Promise.all(Array.from({ length: 10 }, () => sql`select pg_sleep(0.1)`.execute(api.database.db)));
    }
  });

  it(`pages while ${MAX_CSV_STREAMS} streams run, and streams again once one ends`, async () => {
    const asOf = await at();
    const expected = (await csv(paging, asOf)).text;
    const scales = new Map([['USD', 2], ['JPY', 0], ['GOLD', 6]]);
    const running = Array.from({ length: MAX_CSV_STREAMS }, () => streaming.generalLedgerCsvStream!(ledgerId, asOf.position, asOf.effectiveAt, scales)![Symbol.asyncIterator]());
    for (const iterator of running) expect((await iterator.next()).done).toBe(false);
    expect(streaming.generalLedgerCsvStream!(ledgerId, asOf.position, asOf.effectiveAt, scales)).toBeNull();
    const meanwhile = await csv(streaming, asOf);
    expect(meanwhile.text).toBe(expected);
    expect(meanwhile.pages).toBeGreaterThan(0);
    for (const iterator of running) await iterator.return!();
    expect(streaming.generalLedgerCsvStream!(ledgerId, asOf.position, asOf.effectiveAt, scales)).not.toBeNull();
  });
});
