import { z } from '@hono/zod-openapi';
import { everyBalanceAt, totalsByCurrency } from '../../../app/balances.ts';
import { rollUp } from '../../../app/rollups.ts';
import { formatAmount } from '../../../domain/money.ts';
import { route } from '../access.ts';
import { asOfInput, asOfOr400, ledgerOr404 } from '../handler-kit.ts';
import { jsonBytes } from '../json-bytes.ts';
import { json, ledgerTag, PROBLEMS } from '../openapi-kit.ts';
import { presentAsOf, presentBalances, presentRollup } from '../presenters.ts';
import { AccountPrefix, AsOf, AsOfQuery, Balance, LedgerId, Sides } from '../schemas.ts';
import { routesApp } from '../request-validation.ts';

// An account id has at most 128 characters, so at most 64 segments.
const MAX_DEPTH = 64;

const RollupItem = z.object({
  path: z.string(), depth: z.number().int(), currency: z.string(), accounts: z.number().int(),
  normalBalance: z.enum(['debit', 'credit']).openapi({ description: 'The side the balances are signed on: the one the sub-tree\'s accounts share, or debit when they differ' }),
  mixedNormalBalances: z.boolean(),
  ledgerBalance: z.string(), availableBalance: z.string(), posted: Sides, pending: Sides, scheduled: Sides,
}).openapi('Rollup', { description: 'A sub-tree of account paths (the accounts whose id is path or starts with path:), summed in one currency as if one account' });

const TrialBalance = z.object({
  asOf: AsOf,
  accounts: z.array(Balance),
  totals: z.array(z.object({ currency: z.string(), debits: z.string(), credits: z.string() })),
  rollups: z.array(RollupItem).optional().openapi({ description: 'With depth or prefix: every sub-tree of the accounts\' paths, in tree order' }),
}).openapi('TrialBalance');

const trialBalance = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/balances', operationId: 'trialBalance',
  summary: 'Every account (or those under a prefix) at (R, E), with posted totals per currency and, with depth or prefix, roll-ups of account paths', ...ledgerTag('balances'),
  request: {
    params: z.object({ ledgerId: LedgerId }),
    query: AsOfQuery.extend({
      prefix: AccountPrefix.optional(),
      depth: z.string().regex(/^[1-9][0-9]{0,2}$/, 'a whole number from 1').refine((s) => Number(s) <= MAX_DEPTH, `at most ${MAX_DEPTH}`).optional()
        .openapi({ description: 'Roll-ups of the sub-trees at depths 1 to this (ids split on ":")' }),
    }),
  },
  responses: { 200: json(TrialBalance, 'The trial balance'), ...PROBLEMS },
});

export const balanceRoutes = routesApp().openapi(trialBalance, async (c) => {
  const { ledgerId } = c.req.valid('param');
  const query = c.req.valid('query');
  const { store } = c.get('deps');
  const ledger = await ledgerOr404(c, ledgerId);
  const asOf = await asOfOr400(c, ledger, asOfInput(query));
  const balances = await everyBalanceAt(store, ledgerId, asOf, { prefix: query.prefix });
  const totals = totalsByCurrency(balances).map((t) => ({
    currency: t.asset.code, debits: formatAmount(t.debits, t.asset.scale), credits: formatAmount(t.credits, t.asset.scale),
  }));
  const depth = query.depth === undefined ? undefined : Number(query.depth);
  const rollups = depth === undefined && query.prefix === undefined ? undefined : rollUp(balances, { prefix: query.prefix, depth }).map(presentRollup);
  return jsonBytes(c, { asOf: presentAsOf(asOf), accounts: presentBalances(balances, asOf), totals, ...(rollups ? { rollups } : {}) });
});
