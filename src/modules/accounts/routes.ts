import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, idParams, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { loadAccounts, visibleAccount } from './access.js';
import { closeAccount, setFrozen } from './change-status.js';
import { getAccount, listAccounts } from './list-accounts.js';
import { openAccount } from './open-account.js';
import {
  accountDetailSchema,
  accountListQuery,
  accountPageSchema,
  accountSchema,
  balanceSchema,
  freezeBody,
  limitBody,
  openAccountBody,
  statementQuery,
  statementSchema,
} from './schemas.js';
import { setAccountDailyLimit } from './set-limit.js';
import { accountStatement } from './statement.js';
import { accountView, numberFor, statementCsv, statementLineView, statementView } from './views.js';
import { formatAmount, currencyOf } from '../../core/money.js';

export function accountRoutes(api: Api, context: AppContext): void {
  const tags = ['accounts'];
  const anyone = requireRole();
  const managers = requireRole('customer', 'admin', 'super_admin');

  api.post(
    '/accounts',
    {
      schema: { tags, summary: 'Open an account', security: bearer, body: openAccountBody, response: { 201: accountSchema, ...problemResponses(403, 409) } },
      preHandler: requireRole('customer'),
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const opened = await openAccount(context, principal, request.body);
      // Reloaded with the owner's KYC tier, which decides the daily limit shown.
      const account = (await loadAccounts(context.db, [opened.record.id])).get(opened.record.id) ?? opened;
      return reply.code(201).send(accountView(account, context.config, principal));
    },
  );

  api.get(
    '/accounts',
    {
      schema: { tags, summary: 'List accounts (own; staff: all, with filters)', security: bearer, querystring: accountListQuery, response: { 200: accountPageSchema, ...problemResponses() } },
      preHandler: anyone,
    },
    async (request) => {
      const query = request.query;
      const principal = principalOf(request);
      const page = await listAccounts(context, principal, {
        ownerId: query.owner_id,
        type: query.type,
        currency: query.currency,
        status: query.status,
        number: query.number,
        limit: query.limit,
        cursor: query.cursor,
      });
      return { items: page.items.map((account) => accountView(account, context.config, principal)), next_cursor: page.nextCursor };
    },
  );

  api.get(
    '/accounts/:id',
    {
      schema: { tags, summary: 'An account with its ten latest transactions', security: bearer, params: idParams, response: { 200: accountDetailSchema, ...problemResponses(404) } },
      preHandler: anyone,
    },
    async (request) => {
      const principal = principalOf(request);
      const { account, recent } = await getAccount(context, principal, request.params.id);
      return {
        ...accountView(account, context.config, principal),
        recent_transactions: recent.map((line) => statementLineView(line, account.record.currency)),
      };
    },
  );

  api.get(
    '/accounts/:id/balance',
    {
      schema: { tags, summary: 'The balance of an account', security: bearer, params: idParams, response: { 200: balanceSchema, ...problemResponses(404) } },
      preHandler: anyone,
    },
    async (request) => {
      const account = await visibleAccount(context, principalOf(request), request.params.id);
      return {
        account_id: account.record.id,
        currency: account.record.currency,
        balance: formatAmount(account.ledger.balanceMinor, currencyOf(account.record.currency)),
        status: account.ledger.status,
        as_of: context.now().toISOString(),
      };
    },
  );

  api.patch(
    '/accounts/:id/freeze',
    {
      schema: { tags, summary: 'Freeze or unfreeze an account', security: bearer, params: idParams, body: freezeBody, response: { 200: accountSchema, ...problemResponses(403, 404, 409) } },
      preHandler: managers,
    },
    async (request) => {
      const principal = principalOf(request);
      const account = await setFrozen(context, principal, { accountId: request.params.id, frozen: request.body.frozen });
      return accountView(account, context.config, principal);
    },
  );

  api.patch(
    '/accounts/:id/close',
    {
      schema: { tags, summary: 'Close an account (only at zero balance; cannot be reopened)', security: bearer, params: idParams, response: { 200: accountSchema, ...problemResponses(403, 404, 409) } },
      preHandler: managers,
    },
    async (request) => {
      const principal = principalOf(request);
      const account = await closeAccount(context, principal, { accountId: request.params.id });
      return accountView(account, context.config, principal);
    },
  );

  api.get(
    '/accounts/:id/statement',
    {
      schema: {
        tags,
        summary: 'Statement with running balance (JSON or CSV)',
        security: bearer,
        params: idParams,
        querystring: statementQuery,
        response: { 200: statementSchema, ...problemResponses(404) },
      },
      preHandler: anyone,
    },
    async (request, reply) => {
      const principal = principalOf(request);
      const statement = await accountStatement(context, principal, {
        accountId: request.params.id,
        from: request.query.from,
        to: request.query.to,
      });
      if (request.query.format === 'csv') {
        const filename = `statement-${numberFor(statement.account, principal)}-${statement.from}-${statement.to}.csv`;
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="${filename}"`)
          .send(statementCsv(statement, context.config.BANK_TIMEZONE) as never);
      }
      return statementView(statement, principal);
    },
  );

  api.patch(
    '/admin/accounts/:id/limits',
    {
      schema: { tags: ['admin'], summary: "Set an account's daily limit", security: bearer, params: idParams, body: limitBody, response: { 200: accountSchema, ...problemResponses(403, 404, 409) } },
      preHandler: requireRole('admin', 'super_admin'),
    },
    async (request) => {
      const principal = principalOf(request);
      const account = await setAccountDailyLimit(context, principal, { accountId: request.params.id, dailyLimit: request.body.daily_limit });
      return accountView(account, context.config, principal);
    },
  );
}
