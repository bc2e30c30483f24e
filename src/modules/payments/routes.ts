import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import type { CommandResponse } from '../../platform/http/idempotency.js';
import { bearer, noContent, idParams, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { addBeneficiary, beneficiariesOf, removeBeneficiary } from './beneficiaries.js';
import { deposit, transfer, withdraw } from './move-money.js';
import { accountLimits, getTransfer, transactionHistory } from './queries.js';
import { reverseTransfer } from './reverse.js';
import {
  beneficiaryBody,
  beneficiaryListSchema,
  beneficiarySchema,
  cashBody,
  historyPageSchema,
  historyQuery,
  idempotencyHeaders,
  limitsSchema,
  reverseBody,
  transactionSchema,
  transferBody,
} from './schemas.js';
import type { TransferRecord } from './store.js';
import { beneficiaryView, transactionView } from './views.js';

function sendCommand(reply: FastifyReply, response: CommandResponse): FastifyReply {
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  const type = response.statusCode >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8';
  return reply.code(response.statusCode).type(type).send(response.payload);
}

/** Runs a money-moving command with its Idempotency-Key, answering 201 with the transaction. */
function moneyCommand(context: AppContext, request: FastifyRequest, work: (tx: Tx) => Promise<TransferRecord>) {
  const principal = principalOf(request);
  const header = request.headers['idempotency-key'];
  return context.executeCommand(
    {
      scope: principal.userId,
      key: Array.isArray(header) ? header.join(',') : header,
      method: request.method,
      path: request.url.split('?')[0] ?? request.url,
      body: request.body,
    },
    async (tx) => ({ statusCode: 201, body: transactionView(await work(tx)) }),
  );
}

export function paymentRoutes(api: Api, context: AppContext): void {
  const tags = ['money movement'];
  const customer = requireRole('customer');
  const anyone = requireRole();
  const moneyResponses = { 201: transactionSchema, ...problemResponses(402, 403, 404, 409, 429) };

  for (const [path, summary, move] of [
    ['/transactions/deposit', 'Deposit into an own account', deposit],
    ['/transactions/withdraw', 'Withdraw from an own account', withdraw],
  ] as const) {
    api.post(
      path,
      { schema: { tags, summary, security: bearer, headers: idempotencyHeaders, body: cashBody, response: moneyResponses }, preHandler: customer },
      async (request, reply) => {
        const body = request.body;
        const response = await moneyCommand(context, request, (tx) =>
          move(context, tx, principalOf(request), { accountId: body.account_id, amount: body.amount, description: body.description }),
        );
        return sendCommand(reply, response);
      },
    );
  }

  api.post(
    '/transfers',
    {
      schema: {
        tags,
        summary: 'Transfer to an own account, an account number or a beneficiary',
        security: bearer,
        headers: idempotencyHeaders,
        body: transferBody,
        response: moneyResponses,
      },
      preHandler: customer,
    },
    async (request, reply) => {
      const body = request.body;
      const response = await moneyCommand(context, request, (tx) =>
        transfer(context, tx, principalOf(request), {
          fromAccountId: body.from_account_id,
          toAccountId: body.to_account_id,
          toAccountNumber: body.to_account_number,
          beneficiaryId: body.beneficiary_id,
          amount: body.amount,
          description: body.description,
        }),
      );
      return sendCommand(reply, response);
    },
  );

  api.get(
    '/transfers/:id',
    { schema: { tags, summary: 'One transaction', security: bearer, params: idParams, response: { 200: transactionSchema, ...problemResponses(404) } }, preHandler: anyone },
    async (request) => transactionView(await getTransfer(context, principalOf(request), request.params.id)),
  );

  api.post(
    '/admin/transfers/:id/reverse',
    {
      schema: {
        tags: ['admin'],
        summary: 'Reverse a transaction with a new, mirroring entry',
        security: bearer,
        headers: idempotencyHeaders,
        params: idParams,
        body: reverseBody,
        response: moneyResponses,
      },
      preHandler: requireRole('admin', 'super_admin'),
    },
    async (request, reply) => {
      const response = await moneyCommand(context, request, (tx) =>
        reverseTransfer(context, tx, principalOf(request), { transferId: request.params.id, reason: request.body.reason }),
      );
      return sendCommand(reply, response);
    },
  );

  api.get(
    '/transactions',
    { schema: { tags, summary: 'Transaction history with filters', security: bearer, querystring: historyQuery, response: { 200: historyPageSchema, ...problemResponses(404) } }, preHandler: anyone },
    async (request) => {
      const query = request.query;
      const page = await transactionHistory(context, principalOf(request), {
        accountId: query.account_id,
        kind: query.type,
        from: query.from,
        to: query.to,
        currency: query.currency,
        minAmount: query.min_amount,
        maxAmount: query.max_amount,
        text: query.q,
        limit: query.limit,
        cursor: query.cursor,
      });
      return { items: page.items.map(transactionView), next_cursor: page.nextCursor };
    },
  );

  api.get(
    '/accounts/:id/limits',
    { schema: { tags: ['accounts'], summary: 'Daily limit, used today and when it resets', security: bearer, params: idParams, response: { 200: limitsSchema, ...problemResponses(404) } }, preHandler: anyone },
    async (request) => {
      const limits = await accountLimits(context, principalOf(request), request.params.id);
      return {
        account_id: limits.accountId,
        currency: limits.currency,
        daily_limit: limits.dailyLimit,
        used_today: limits.usedToday,
        remaining: limits.remaining,
        resets_at: limits.resetsAt.toISOString(),
      };
    },
  );

  const beneficiaryTags = ['beneficiaries'];
  api.post(
    '/beneficiaries',
    { schema: { tags: beneficiaryTags, summary: 'Save a beneficiary', security: bearer, body: beneficiaryBody, response: { 201: beneficiarySchema, ...problemResponses(403, 409) } }, preHandler: customer },
    async (request, reply) => {
      const beneficiary = await addBeneficiary(context, principalOf(request), {
        name: request.body.name,
        accountNumber: request.body.account_number,
        nickname: request.body.nickname,
      });
      return reply.code(201).send(beneficiaryView(beneficiary));
    },
  );

  api.get(
    '/beneficiaries',
    { schema: { tags: beneficiaryTags, summary: 'Saved beneficiaries', security: bearer, response: { 200: beneficiaryListSchema, ...problemResponses(403) } }, preHandler: customer },
    async (request) => ({ items: (await beneficiariesOf(context, principalOf(request))).map(beneficiaryView) }),
  );

  api.delete(
    '/beneficiaries/:id',
    { schema: { tags: beneficiaryTags, summary: 'Delete a beneficiary', security: bearer, params: idParams, response: { 204: noContent, ...problemResponses(403, 404) } }, preHandler: customer },
    async (request, reply) => {
      await removeBeneficiary(context, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );
}
