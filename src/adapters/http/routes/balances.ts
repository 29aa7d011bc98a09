import { OpenAPIHono, z } from '@hono/zod-openapi';
import { balancesAt, totalsByCurrency } from '../../../app/balances.ts';
import { formatAmount } from '../../../domain/money.ts';
import { route } from '../access.ts';
import type { AppEnv } from '../env.ts';
import { asOfInput, asOfOr400, ledgerOr404 } from '../handler-kit.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentAsOf, presentBalance } from '../presenters.ts';
import { AccountPrefix, AsOf, AsOfQuery, Balance, LedgerId, MAX_PAGE_SIZE } from '../schemas.ts';

const TrialBalance = z.object({
  asOf: AsOf,
  accounts: z.array(Balance),
  totals: z.array(z.object({ currency: z.string(), debits: z.string(), credits: z.string() })),
}).openapi('TrialBalance');

const trialBalance = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/balances', operationId: 'trialBalance',
  summary: 'Every account (or those under a prefix) at (R, E), with posted totals per currency', ...ledgerTag('balances'),
  request: { params: z.object({ ledgerId: LedgerId }), query: AsOfQuery.extend({ prefix: AccountPrefix.optional() }) },
  responses: { 200: json(TrialBalance, 'The trial balance'), ...PROBLEMS },
});

// A trial balance covers every account it names: page through them at one pinned position.
const ACCOUNTS_PER_QUERY = MAX_PAGE_SIZE;

export const balanceRoutes = new OpenAPIHono<AppEnv>().openapi(trialBalance, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const { store } = c.get('deps');
  const ledger = await ledgerOr404(c, ledgerId);
  const asOf = await asOfOr400(c, ledger, asOfInput(query));
  const balances = [];
  for (let after: string | undefined; ;) {
    const accounts = await store.accounts(ledgerId, asOf.position, { prefix: query.prefix }, after, ACCOUNTS_PER_QUERY);
    balances.push(...(await balancesAt(store, ledgerId, accounts, asOf)));
    if (accounts.length < ACCOUNTS_PER_QUERY) break;
    after = accounts.at(-1)!.accountId;
  }
  const totals = totalsByCurrency(balances).map((t) => ({
    currency: t.asset.code, debits: formatAmount(t.debits, t.asset.scale), credits: formatAmount(t.credits, t.asset.scale),
  }));
  return c.json({ asOf: presentAsOf(asOf), accounts: balances.map((b) => presentBalance(b, asOf)), totals }, 200);
});
