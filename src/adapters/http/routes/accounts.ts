import { z } from '@hono/zod-openapi';
import { readAccountBalance } from '../../../app/balances.ts';
import { isRejection } from '../../../domain/rejection.ts';
import { route } from '../access.ts';
import { asOfInput, asOfOr400, ledgerOr404, accountIdKey, missingLedger, readPage, runWrite, written } from '../handler-kit.ts';
import { metadataFilterOf, withMetadataFilter } from '../metadata-query.ts';
import { body, IDEMPOTENCY_KEY_HEADER, json, ledgerTag, NO_BODY, PROBLEMS } from '../openapi-kit.ts';
import { presentAccount, presentAsOf, presentBalance } from '../presenters.ts';
import { ProblemError } from '../problem.ts';
import { Account, AccountPrefix, AccountType, AsOfQuery, Balance, EntityId, LedgerId, OpenAccountBody, page, PageQuery } from '../schemas.ts';
import { routesApp } from '../request-validation.ts';
import { jsonAnswer } from '../json-answer.ts';

const LedgerParams = z.object({ ledgerId: LedgerId });
const AccountParams = z.object({ ledgerId: LedgerId, accountId: EntityId });

const openAccount = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/accounts', operationId: 'openAccount', summary: 'Open an account', ...ledgerTag('accounts'),
  request: { params: LedgerParams, ...body(OpenAccountBody), ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Account, 'Opened'), 200: json(Account, 'Replayed'), ...PROBLEMS },
});

const listAccounts = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/accounts', operationId: 'listAccounts', summary: 'List accounts, by id prefix, type and metadata[key]=value', ...ledgerTag('accounts'),
  request: { params: LedgerParams, query: withMetadataFilter(AsOfQuery.extend(PageQuery.shape).extend({ prefix: AccountPrefix.optional(), type: AccountType.optional() })) },
  responses: { 200: json(page(Account), 'A page of accounts'), ...PROBLEMS },
});

const getAccount = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/accounts/{accountId}', operationId: 'getAccount', summary: 'One account', ...ledgerTag('accounts'),
  request: { params: AccountParams, query: AsOfQuery },
  responses: { 200: json(Account, 'The account'), ...PROBLEMS },
});

const closeAccount = route({
  method: 'post', path: '/v1/ledgers/{ledgerId}/accounts/{accountId}/close', operationId: 'closeAccount', summary: 'Close an account', ...ledgerTag('accounts'),
  request: { params: AccountParams, ...NO_BODY, ...IDEMPOTENCY_KEY_HEADER },
  responses: { 201: json(Account, 'Closed'), 200: json(Account, 'Replayed'), ...PROBLEMS },
});

const getBalance = route({
  method: 'get', path: '/v1/ledgers/{ledgerId}/accounts/{accountId}/balance', operationId: 'getBalance',
  summary: 'Ledger and available balance at (recordedAsOf, effectiveAsOf)', ...ledgerTag('balances'),
  request: { params: AccountParams, query: AsOfQuery },
  responses: { 200: json(Balance, 'The balance'), ...PROBLEMS },
});

export const accountRoutes = routesApp()
  .openapi(openAccount, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const input = c.req.valid('json');
    const command = {
      type: 'OpenAccount' as const, accountId: input.id, name: input.name ?? input.id, normalBalance: input.normalBalance,
      currency: input.currency, noOverdraft: input.noOverdraft ?? false, metadata: input.metadata ?? {}, accountType: input.type,
    };
    const outcome = await runWrite(c, ledgerId, 'accounts.open', command, input);
    const event = outcome.events[0]!;
    return written(c, outcome, presentAccount({ ...command, type: command.accountType ?? null, closed: false }, event.position, event.recordedAt));
  })
  .openapi(listAccounts, async (c) => {
    const { ledgerId } = c.req.valid('param');
    const query = c.req.valid('query');
    const ledger = await ledgerOr404(c, ledgerId);
    const body = await readPage(c, ledger, query, {
      parseKey: accountIdKey,
      fetch: (asOf, after: string | undefined, limit) => c.get('deps').store.accounts(ledgerId, asOf.position, { prefix: query.prefix, type: query.type, metadata: metadataFilterOf(query) }, after, limit),
      keyOf: (a) => a.accountId,
      present: (a) => presentAccount(a, a.position, a.recordedAt),
    });
    return c.json(body, 200);
  })
  .openapi(getAccount, async (c) => {
    const { ledgerId, accountId } = c.req.valid('param');
    const ledger = await ledgerOr404(c, ledgerId);
    const asOf = await asOfOr400(c, ledger, asOfInput(c.req.valid('query')));
    const account = await c.get('deps').store.account(ledgerId, accountId, asOf.position);
    if (!account) throw new ProblemError('NOT_FOUND', `Account ${accountId} does not exist as of position ${asOf.position}.`);
    return c.json({ ...presentAccount(account, account.position, account.recordedAt), asOf: presentAsOf(asOf) }, 200);
  })
  .openapi(closeAccount, async (c) => {
    const { ledgerId, accountId } = c.req.valid('param');
    const outcome = await runWrite(c, ledgerId, 'accounts.close', { type: 'CloseAccount', accountId }, { accountId });
    const event = outcome.events[0]!;
    const account = await c.get('deps').store.account(ledgerId, accountId, event.position);
    return written(c, outcome, presentAccount(account!, event.position, event.recordedAt));
  })
  .openapi(getBalance, async (c) => {
    const { ledgerId, accountId } = c.req.valid('param');
    const read = await readAccountBalance(c.get('deps').store, ledgerId, accountId, asOfInput(c.req.valid('query')));
    if (read === null) throw missingLedger(ledgerId);
    if (isRejection(read)) throw ProblemError.of(read);
    if (!read.balance) throw new ProblemError('NOT_FOUND', `Account ${accountId} does not exist as of position ${read.asOf.position}.`);
    return jsonAnswer(c, presentBalance(read.balance, read.asOf), 200);
  });
