import { expect, it } from 'vitest';
import { describeOnEachDatabase } from '../support/http.ts';

describeOnEachDatabase('record and read', (api) => {

  it('records a transaction and answers its balance as of two timelines', async () => {
    const ledgerId = await api.seedLedger();
    const recorded = await api.call('POST', `/v1/ledgers/${ledgerId}/transactions`, {
      body: { id: 'dep-1', effectiveAt: '2026-03-01T10:00:00Z', postings: [
        { accountId: 'bank', direction: 'debit', amount: '10000.00' },
        { accountId: 'alice', direction: 'credit', amount: '10000.00' },
      ] },
    });
    expect(recorded.status).toBe(201);
    expect(recorded.body.position).toBe(5);
    const after = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-02`);
    expect(after.body).toMatchObject({ ledgerBalance: '10000.00', availableBalance: '10000.00', asOf: { position: 5 } });
    const before = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-02-28`);
    expect(before.body.ledgerBalance).toBe('0.00');
    const knownEarlier = await api.call('GET', `/v1/ledgers/${ledgerId}/accounts/alice/balance?effectiveAsOf=2026-03-02&recordedAsOfPosition=4`);
    expect(knownEarlier.body.ledgerBalance).toBe('0.00');
  });
});

describeOnEachDatabase('the service\'s address', (api) => {
  it('answers GET / with no key: where the docs, the console, the OpenAPI document and the health check are', async () => {
    const json = await api.call('GET', '/', { key: null });
    expect(json.status, json.text).toBe(200);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const hrefs = Object.values(json.body.links as Record<string, { href: string }>).map((link) => link.href);
    expect(hrefs).toEqual(['/docs', '/openapi.json', '/console', '/health']);
    // Each link answers without a key.
    for (const href of hrefs) expect((await api.call('GET', href, { key: null })).status, href).toBe(200);

    const page = await api.call('GET', '/', { key: null, headers: { Accept: 'text/html,application/xhtml+xml;q=0.9' } });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    for (const href of hrefs) expect(page.text).toContain(`<a href="${href}">`);
  });
});
