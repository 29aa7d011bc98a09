// A probe's wallet: a ledger with a `funding` account and a noOverdraft `wallet`, and `postings`
// transfers between them dated at random over the past year, in batches of 1,000 (as the bench's
// loadWallet, which also opens a `shop`).

const DAY_MS = 86_400_000;
const randomBelow = (n: number) => Math.floor(Math.random() * n);

type Call = (method: string, path: string, body?: unknown) => Promise<Record<string, unknown>>;

/** Opens the ledger and its two accounts, then records the transfers; answers when the wallet was opened (ms, after its recorded time). */
export async function loadWallet(call: Call, ledgerId: string, postings: number): Promise<number> {
  await call('POST', '/v1/ledgers', { id: ledgerId, name: ledgerId });
  await call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id: 'funding', normalBalance: 'debit', currency: 'USD' });
  await call('POST', `/v1/ledgers/${ledgerId}/accounts`, { id: 'wallet', normalBalance: 'credit', currency: 'USD', noOverdraft: true });
  const opened = Date.parse((await call('GET', `/v1/ledgers/${ledgerId}/accounts/wallet`)).recordedAt as string) + 1;
  const nowMs = Date.now();
  for (let done = 0; done < postings; done += 1000) {
    const transactions = Array.from({ length: Math.min(1000, postings - done) }, () => {
      const amount = `${1 + randomBelow(9999)}.${String(randomBelow(100)).padStart(2, '0')}`;
      return { effectiveAt: new Date(nowMs - 365 * DAY_MS + randomBelow(364 * DAY_MS)).toISOString(), postings: [{ accountId: 'funding', direction: 'debit', amount }, { accountId: 'wallet', direction: 'credit', amount }] };
    });
    await call('POST', `/v1/ledgers/${ledgerId}/transactions/batch`, { transactions });
  }
  return opened;
}
