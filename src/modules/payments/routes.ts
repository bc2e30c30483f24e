import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { checkIdempotencyKey, replayOf, requestFingerprint, type CommandResponse } from '../../platform/http/idempotency.js';
import { findStoredResponses, keyId } from '../../platform/db/idempotency-store.js';
import { runStatement } from '../../platform/db/script.js';
import { DomainError } from '../../core/errors.js';
import { bearer, noContent, idParams, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { transactionPinRequired, verifyTransactionPin } from '../identity/index.js';
import { addBeneficiary, beneficiariesOf, removeBeneficiary } from './beneficiaries.js';
import { prepareCash, prepareTransfer, type PreparedMovement } from './move-money.js';
import { engineFor } from './engine.js';
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
  withdrawBody,
} from './schemas.js';
import type { PostedTransfer } from './post-batch.js';
import { beneficiaryView, transactionView } from './views.js';

function sendCommand(reply: FastifyReply, response: CommandResponse): FastifyReply {
  if (response.replayed) reply.header('idempotent-replayed', 'true');
  if (response.retryAfterSeconds !== undefined && response.statusCode >= 400) {
    reply.header('retry-after', String(Math.max(1, Math.ceil(response.retryAfterSeconds))));
  }
  const type = response.statusCode >= 400 ? 'application/problem+json' : 'application/json; charset=utf-8';
  return reply.code(response.statusCode).type(type).send(response.payload);
}

/**
 * The body as fingerprinted for its Idempotency-Key: without the transaction PIN, which is stored
 * nowhere, not even hashed (a hash of 4 to 6 digits hides nothing). So a retry is recognised whatever
 * PIN it carries.
 */
function withoutPin(body: unknown): unknown {
  if (body === null || typeof body !== 'object' || !('pin' in body)) return body;
  const { pin: _pin, ...rest } = body as Record<string, unknown>;
  return rest;
}

function idempotencyOf(request: FastifyRequest) {
  const principal = principalOf(request);
  const header = request.headers['idempotency-key'];
  const key = Array.isArray(header) ? header.join(',') : header;
  const path = request.url.split('?')[0] ?? request.url;
  if (key === undefined) return { path, idempotency: undefined };
  checkIdempotencyKey(key);
  const ref = { scope: principal.userId, key };
  return { path, idempotency: { ref, fingerprint: requestFingerprint({ method: request.method, path, body: withoutPin(request.body) }) } };
}

/**
 * The transaction PIN check of a withdrawal or transfer above PIN_REQUIRED_ABOVE, done before the
 * movement is queued, so that a refusal moves no money. A request whose response is already stored
 * under its Idempotency-Key is replayed without a PIN check (a replay moves no money). PIN refusals
 * (428, 403, 429) are not stored under the key, so a retry with the right PIN runs the movement.
 * Returns the replay, or undefined when the movement may go ahead.
 */
async function checkPin(
  context: AppContext,
  request: FastifyRequest,
  movement: PreparedMovement,
  pin: string | undefined,
  idempotency: ReturnType<typeof idempotencyOf>['idempotency'],
): Promise<CommandResponse | undefined> {
  if (movement.kind === 'deposit' || !transactionPinRequired(context, movement)) return undefined;
  if (idempotency !== undefined) {
    const stored = (await runStatement(context.db, findStoredResponses([idempotency.ref]))).get(keyId(idempotency.ref));
    if (stored !== undefined) return replayOf(stored, idempotency.fingerprint);
  }
  await verifyTransactionPin(context, principalOf(request), pin);
  return undefined;
}

/**
 * Posts a prepared movement through the transfer engine. When preparing fails on a request with
 * an Idempotency-Key whose first attempt succeeded (a beneficiary deleted since, say), the stored
 * response is replayed rather than the new refusal. Order of checks: authentication and the body
 * (Zod), preparing (ownership, recipient, amount), the transaction PIN when the amount needs it
 * (after a stored response under the key, which is replayed), then the engine (the key's lock and
 * stored response, statuses, daily limit, funds).
 */
async function submitMovement(
  context: AppContext,
  request: FastifyRequest,
  prepare: () => Promise<PreparedMovement>,
  pin?: string | undefined,
): Promise<CommandResponse> {
  const { path, idempotency } = idempotencyOf(request);
  let movement: PreparedMovement;
  try {
    movement = await prepare();
  } catch (error) {
    if (idempotency !== undefined && error instanceof DomainError) {
      const stored = (await runStatement(context.db, findStoredResponses([idempotency.ref]))).get(keyId(idempotency.ref));
      if (stored !== undefined) return replayOf(stored, idempotency.fingerprint);
    }
    throw error;
  }
  const replay = await checkPin(context, request, movement, pin, idempotency);
  if (replay !== undefined) return replay;
  return engineFor(context, transactionView).submit({ ...movement, idempotency, path });
}

/** Runs an admin command with its Idempotency-Key in one transaction, answering 201 with the transaction. */
function adminCommand(context: AppContext, request: FastifyRequest, work: (tx: Tx) => Promise<PostedTransfer>) {
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

  for (const [path, summary, kind, schema] of [
    ['/transactions/deposit', 'Deposit into an own account', 'deposit', cashBody],
    ['/transactions/withdraw', 'Withdraw from an own account (above PIN_REQUIRED_ABOVE with the transaction PIN)', 'withdrawal', withdrawBody],
  ] as const) {
    api.post(
      path,
      { schema: { tags, summary, security: bearer, headers: idempotencyHeaders, body: schema, response: { ...moneyResponses, ...problemResponses(428) } }, preHandler: customer },
      async (request, reply) => {
        const body = request.body;
        const response = await submitMovement(
          context,
          request,
          () => prepareCash(context, principalOf(request), { accountId: body.account_id, amount: body.amount, description: body.description }, kind),
          'pin' in body ? body.pin : undefined,
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
        summary: 'Transfer to an own account, an account number or a beneficiary (above PIN_REQUIRED_ABOVE with the transaction PIN)',
        security: bearer,
        headers: idempotencyHeaders,
        body: transferBody,
        response: { ...moneyResponses, ...problemResponses(428) },
      },
      preHandler: customer,
    },
    async (request, reply) => {
      const body = request.body;
      const response = await submitMovement(context, request, () =>
        prepareTransfer(context, principalOf(request), {
          fromAccountId: body.from_account_id,
          toAccountId: body.to_account_id,
          toAccountNumber: body.to_account_number,
          beneficiaryId: body.beneficiary_id,
          amount: body.amount,
          description: body.description,
        }),
        body.pin,
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
      const response = await adminCommand(context, request, (tx) =>
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
