/**
 * Posting a batch of money movements in one database transaction, the way the transfer engine
 * does it:
 *
 * 1. take the idempotency keys (a transaction-scoped advisory lock each, without waiting) and read
 *    their stored responses; a stored response is replayed, a key held elsewhere is refused (409);
 * 2. lock every ledger account the batch touches, once, in ascending id order;
 * 3. read the daily limits and today's usage of the limited source accounts, and the balance caps
 *    of the credited accounts (both depend on the owners' KYC tiers);
 * 4. decide each movement in arrival order against the running balances and usage: a refused
 *    movement (frozen or closed account, daily limit, wallet balance cap, insufficient funds) is
 *    refused on its own and never fails the batch;
 * 5. write all accepted journal entries, postings, transfer records, idempotency records and the
 *    outbox events of the posted movements (transfer.posted and friends, addressed to the accounts'
 *    owners, with the balances after) with a handful of set-based statements (each balance is
 *    updated once per batch by the ledger trigger).
 *
 * Every check happens before the first write. A single movement is a batch of one.
 *
 * On the engine's write connection the batch costs two round trips (see platform/db/script.ts):
 * one script for steps 1 to 3 (with BEGIN), one for step 5 (with COMMIT). Statements of a script
 * run in order, each with its own snapshot, so every read happens after the locks it relies on.
 */
import { DomainError } from '../../core/errors.js';
import { balanceDelta, type Posting } from '../../core/ledger.js';
import { currencyOf, formatAmount } from '../../core/money.js';
import { bankDay } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import { findStoredResponses, keyId, storeResponses, tryLockKeys, type IdempotencyKeyRef, type ResponseToStore, type StoredResponse } from '../../platform/db/idempotency-store.js';
import { transactionRunner, type ScriptStatement, type Statement, type StatementRunner } from '../../platform/db/script.js';
import type { Tx } from '../../platform/db/transaction.js';
import { isTransient, keyInUse, keyReused, refusalResponse, type CommandResponse } from '../../platform/http/idempotency.js';
import { newId } from '../../platform/ids.js';
import { outboxStatement, type OutboxMessage } from '../../platform/outbox/index.js';
import { accountOwnersStatement, balanceCapsStatement, dailyLimitsStatement } from '../accounts/index.js';
import { auditStatement, type AuditActor, type AuditEvent } from '../audit/index.js';
import { lockAccountsFor, refusalError, transactionTimeStatement, tryApply, writeEntriesFor, type AccountStates, type NewEntry } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { addDailyUsageStatement, dailyUsageStatement, insertTransfersStatement, type MovementKind, type NewTransfer, type TransferRecord } from './store.js';

export interface MovementCommand {
  readonly kind: MovementKind;
  /** The customer account debited (null for deposits). */
  readonly fromAccountId: string | null;
  /** The customer account credited (null for withdrawals). */
  readonly toAccountId: string | null;
  readonly amountMinor: bigint;
  readonly currency: string;
  readonly description: string | null;
  readonly initiatedBy: string;
  /** Who asked, and from where (for the audit row). */
  readonly actor: AuditActor;
  readonly postings: readonly Posting[];
  /** Whether the daily limit of fromAccountId applies (withdrawals and transfers). */
  readonly limited: boolean;
  /** Whether toAccountId is a wallet (whose balance may be capped by its owner's KYC tier). */
  readonly creditsWallet?: boolean | undefined;
  readonly reversal?: { readonly transferId: string; readonly entryId: string; readonly reason: string } | undefined;
  readonly idempotency?: { readonly ref: IdempotencyKeyRef; readonly fingerprint: string } | undefined;
  /** The request path, for the `instance` of problem responses. */
  readonly path: string;
}

/** A transfer record as posted (its sequence number is the database's business). */
export type PostedTransfer = Omit<TransferRecord, 'seq'>;

export type BatchResult =
  | { readonly kind: 'posted'; readonly record: PostedTransfer; readonly response: CommandResponse }
  | { readonly kind: 'refused'; readonly error: DomainError; readonly response: CommandResponse }
  | { readonly kind: 'replayed'; readonly response: CommandResponse };

/** How a posted movement is shown to its caller (the 201 body). */
export type RenderTransfer = (record: PostedTransfer) => unknown;

function refused(error: DomainError, command: MovementCommand): BatchResult {
  return { kind: 'refused', error, response: refusalResponse(error, command.path) };
}

function describeAccount(command: MovementCommand) {
  return (accountId: string) =>
    accountId === command.fromAccountId ? 'The source account' : accountId === command.toAccountId ? 'The destination account' : 'A bank account';
}

/** Refuses a movement that touches a frozen or closed customer account (the ledger re-checks). */
function checkStatuses(states: AccountStates, command: MovementCommand): void {
  for (const accountId of [command.fromAccountId, command.toAccountId]) {
    if (accountId === null) continue;
    const state = states.get(accountId);
    if (state === undefined) throw new Error(`account ${accountId} vanished`);
    if (state.status !== 'active') {
      throw refusalError({ code: state.status === 'closed' ? 'account_closed' : 'account_frozen', accountId }, describeAccount(command));
    }
  }
}

interface Usage {
  readonly day: string;
  readonly limits: Map<string, bigint>;
  readonly used: Map<string, bigint>;
  /** What this batch adds to each account's usage. */
  readonly added: Map<string, bigint>;
  readonly resetsInSeconds: number;
}

function checkDailyLimit(usage: Usage, command: MovementCommand): void {
  if (!command.limited || command.fromAccountId === null) return;
  const limitMinor = usage.limits.get(command.fromAccountId);
  if (limitMinor === undefined) return;
  const usedMinor = usage.used.get(command.fromAccountId) ?? 0n;
  if (usedMinor + command.amountMinor > limitMinor) {
    const remainingMinor = limitMinor > usedMinor ? limitMinor - usedMinor : 0n;
    throw paymentErrors.dailyLimitExceeded({
      remaining: `${formatAmount(remainingMinor, currencyOf(command.currency))} ${command.currency}`,
      retryAfterSeconds: usage.resetsInSeconds,
    });
  }
}

/** The wallets that movements credit, which may have a balance cap (reversals restore, so they are exempt). */
function cappedCreditIds(commands: readonly MovementCommand[]): string[] {
  return [
    ...new Set(
      commands.flatMap((command) =>
        command.toAccountId === null || command.reversal !== undefined || command.creditsWallet !== true ? [] : [command.toAccountId],
      ),
    ),
  ];
}

/** A statement that reads nothing, for a batch without capped credits (no query to plan). */
const NO_CAPS: Statement<Map<string, bigint>> = { sql: 'select null where false', parse: () => new Map() };

/** Refuses a credit that would take a capped account (an unverified customer's wallet) above its cap. */
function checkBalanceCap(states: AccountStates, caps: ReadonlyMap<string, bigint>, command: MovementCommand): void {
  if (command.toAccountId === null || command.reversal !== undefined) return;
  const capMinor = caps.get(command.toAccountId);
  const state = states.get(command.toAccountId);
  if (capMinor === undefined || state === undefined) return;
  let balanceMinor = state.balanceMinor;
  for (const posting of command.postings) {
    if (posting.accountId === state.id) balanceMinor += balanceDelta(state.kind, posting.amountMinor);
  }
  if (balanceMinor > capMinor) {
    throw paymentErrors.walletBalanceLimit(`${formatAmount(capMinor, currencyOf(state.currency))} ${state.currency}`);
  }
}

interface KeyPlan {
  /** Indexes of the first command of each key, in order. */
  readonly leaders: number[];
  /** [command, its key's first command] for repeated keys inside the batch. */
  readonly followers: Array<[number, number]>;
}

/** Groups the commands by idempotency key: the first of each key leads, repeats follow it. */
function planKeys(commands: readonly MovementCommand[]): KeyPlan {
  const firstByKey = new Map<string, number>();
  const leaders: number[] = [];
  const followers: Array<[number, number]> = [];
  commands.forEach((command, index) => {
    if (command.idempotency === undefined) return;
    const id = keyId(command.idempotency.ref);
    const first = firstByKey.get(id);
    if (first === undefined) {
      firstByKey.set(id, index);
      leaders.push(index);
    } else {
      followers.push([index, first]);
    }
  });
  return { leaders, followers };
}

/**
 * Decides the keyed leaders by their locks and stored responses: a key held elsewhere is refused
 * (409); a stored response is replayed, or refused when it served another request (422).
 */
function applyKeys(
  commands: readonly MovementCommand[],
  plan: KeyPlan,
  locked: readonly boolean[],
  stored: ReadonlyMap<string, StoredResponse>,
  results: (BatchResult | undefined)[],
): void {
  plan.leaders.forEach((index, position) => {
    const command = commands[index] as MovementCommand;
    const idempotency = command.idempotency as { ref: IdempotencyKeyRef; fingerprint: string };
    if (locked[position] !== true) {
      results[index] = refused(keyInUse(), command);
      return;
    }
    const response = stored.get(keyId(idempotency.ref));
    if (response === undefined) return;
    results[index] =
      response.fingerprint === idempotency.fingerprint
        ? { kind: 'replayed', response: { statusCode: response.statusCode, payload: response.payload, replayed: true } }
        : refused(keyReused(), command);
  });
}

interface Accepted {
  readonly index: number;
  readonly entry: NewEntry;
  readonly transfer: NewTransfer;
  readonly event: OutboxMessage;
}

/** The customer accounts a batch touches (the owners of their events). */
function customerAccountIds(commands: readonly MovementCommand[]): string[] {
  return [...new Set(commands.flatMap((command) => [command.fromAccountId, command.toAccountId].filter((id): id is string => id !== null)))];
}

/**
 * The outbox event of a posted movement, with the balances right after it (the running states
 * hold them at this point of the decisions). Owners are absent for the bank's own accounts.
 */
function movementEvent(command: MovementCommand, transfer: NewTransfer, states: AccountStates, owners: ReadonlyMap<string, string>): OutboxMessage {
  const currency = currencyOf(transfer.currency);
  const amount = formatAmount(transfer.amountMinor, currency);
  const ownerOf = (accountId: string | null) => (accountId === null ? null : (owners.get(accountId) ?? null));
  const balanceOf = (accountId: string | null) => {
    const state = accountId === null ? undefined : states.get(accountId);
    return state === undefined ? null : formatAmount(state.balanceMinor, currency);
  };
  const fromUserId = ownerOf(command.fromAccountId);
  const toUserId = ownerOf(command.toAccountId);
  const userIds = [fromUserId, toUserId].filter((id): id is string => id !== null);
  switch (transfer.kind) {
    case 'transfer':
      return {
        topic: 'transfer.posted',
        userIds,
        payload: {
          transfer_id: transfer.id,
          kind: 'transfer',
          from_account_id: transfer.fromAccountId,
          to_account_id: transfer.toAccountId,
          from_user_id: fromUserId,
          to_user_id: toUserId,
          amount,
          currency: transfer.currency,
          from_balance_after: balanceOf(transfer.fromAccountId),
          to_balance_after: balanceOf(transfer.toAccountId),
          description: transfer.description,
        },
      };
    case 'deposit':
    case 'withdrawal': {
      const accountId = transfer.kind === 'deposit' ? transfer.toAccountId : transfer.fromAccountId;
      return {
        topic: transfer.kind === 'deposit' ? 'deposit.posted' : 'withdrawal.posted',
        userIds,
        payload: {
          transfer_id: transfer.id,
          kind: transfer.kind,
          account_id: accountId,
          user_id: ownerOf(accountId),
          amount,
          currency: transfer.currency,
          balance_after: balanceOf(accountId),
        },
      };
    }
    case 'reversal':
      return {
        topic: 'reversal.posted',
        userIds,
        payload: {
          transfer_id: transfer.id,
          reversal_of: transfer.reversalOf,
          from_account_id: transfer.fromAccountId,
          to_account_id: transfer.toAccountId,
          amount,
          currency: transfer.currency,
          reason: transfer.reason,
        },
      };
  }
}

function accept(command: MovementCommand, index: number, states: AccountStates, owners: ReadonlyMap<string, string>, day: string): Accepted {
  const entryId = newId();
  const transfer: NewTransfer = {
    id: newId(),
    kind: command.kind,
    fromAccountId: command.fromAccountId,
    toAccountId: command.toAccountId,
    amountMinor: command.amountMinor,
    currency: command.currency,
    description: command.description,
    entryId,
    reversalOf: command.reversal?.transferId ?? null,
    reason: command.reversal?.reason ?? null,
    initiatedBy: command.initiatedBy,
    limitDay: command.limited && command.fromAccountId !== null ? day : null,
  };
  return {
    index,
    entry: {
      id: entryId,
      kind: command.kind,
      description: command.description,
      postings: command.postings,
      reversesEntryId: command.reversal?.entryId ?? null,
    },
    transfer,
    event: movementEvent(command, transfer, states, owners),
  };
}

/**
 * Posts the commands in one transaction (run by `runner`) and returns one result per command, in
 * order. Throws only for unexpected failures (a database error), never for a refusal.
 */
export async function postBatch(
  context: AppContext,
  runner: StatementRunner,
  commands: readonly MovementCommand[],
  render: RenderTransfer,
): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array<BatchResult | undefined>(commands.length).fill(undefined);
  const plan = planKeys(commands);
  const refs = plan.leaders.map((index) => (commands[index]?.idempotency as { ref: IdempotencyKeyRef }).ref);
  const limitedIds = [
    ...new Set(commands.filter((command) => command.limited && command.fromAccountId !== null).map((command) => command.fromAccountId as string)),
  ];
  const now = context.now();
  const day = bankDay(now, context.config.BANK_TIMEZONE);

  // Round trip 1: keys, locks, and what the decisions read (each read after the locks it needs).
  const lockKeys = tryLockKeys(refs);
  const readStored = findStoredResponses(refs);
  const lock = lockAccountsFor(commands.flatMap((command) => command.postings.map((posting) => posting.accountId)));
  const readLimits = dailyLimitsStatement(context.config, limitedIds);
  const readUsage = dailyUsageStatement(limitedIds, day.date);
  const readNow = transactionTimeStatement();
  const cappedIds = cappedCreditIds(commands);
  const readCaps = cappedIds.length === 0 ? NO_CAPS : balanceCapsStatement(context.config, cappedIds);
  const readOwners = accountOwnersStatement(customerAccountIds(commands));
  const reads = await runner.run([lockKeys, readStored, lock, readLimits, readUsage, readNow, readCaps, readOwners]);
  applyKeys(commands, plan, lockKeys.parse(reads[0] ?? []), readStored.parse(reads[1] ?? []), results);
  const states = lock.parse(reads[2] ?? []);
  const usage: Usage = {
    day: day.date,
    limits: readLimits.parse(reads[3] ?? []),
    used: readUsage.parse(reads[4] ?? []),
    added: new Map(),
    resetsInSeconds: Math.max(1, Math.ceil((day.endsAt.getTime() - now.getTime()) / 1000)),
  };
  const createdAt = readNow.parse(reads[5] ?? []);
  const caps = readCaps.parse(reads[6] ?? []);
  const owners = readOwners.parse(reads[7] ?? []);

  const followerIndexes = new Set(plan.followers.map(([index]) => index));
  const live = commands.map((_, index) => index).filter((index) => results[index] === undefined && !followerIndexes.has(index));
  const accepted: Accepted[] = [];
  for (const index of live) {
    const command = commands[index] as MovementCommand;
    try {
      checkStatuses(states, command);
      checkDailyLimit(usage, command);
      checkBalanceCap(states, caps, command);
      const refusal = tryApply(states, command.postings);
      if (refusal !== null) throw refusalError(refusal, describeAccount(command));
      accepted.push(accept(command, index, states, owners, usage.day));
      if (command.limited && command.fromAccountId !== null) {
        usage.used.set(command.fromAccountId, (usage.used.get(command.fromAccountId) ?? 0n) + command.amountMinor);
        usage.added.set(command.fromAccountId, (usage.added.get(command.fromAccountId) ?? 0n) + command.amountMinor);
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results[index] = refused(error, command);
    }
  }
  for (const item of accepted) {
    const record: PostedTransfer = { ...item.transfer, status: 'posted', createdAt };
    results[item.index] = { kind: 'posted', record, response: { statusCode: 201, payload: JSON.stringify(render(record)), replayed: false } };
  }
  settleFollowers(commands, plan, results);

  // Round trip 2: every write, then commit.
  const writes: ScriptStatement[] = [];
  if (accepted.length > 0) {
    writes.push(...writeEntriesFor(states, accepted.map((item) => item.entry)));
    writes.push(insertTransfersStatement(accepted.map((item) => item.transfer)));
    if (usage.added.size > 0) writes.push(addDailyUsageStatement(usage.day, usage.added));
  }
  const toStore = responsesToStore(commands, live, results);
  if (toStore.length > 0) writes.push(storeResponses(toStore, context.config.IDEMPOTENCY_TTL_HOURS));
  if (accepted.length > 0) writes.push(outboxStatement(accepted.map((item) => item.event)));
  // Last: the audit insert takes the audit chain's head lock, held from here to the commit.
  if (accepted.length > 0) {
    writes.push(auditStatement(accepted.map((item) => auditEventOf(commands[item.index] as MovementCommand, item.transfer))));
  }
  await runner.finish(writes);

  return results.map((result) => {
    if (result === undefined) throw new Error('a command has no result');
    return result;
  });
}

function auditEventOf(command: MovementCommand, transfer: NewTransfer): AuditEvent {
  return {
    actor: command.actor,
    action: `${transfer.kind}.posted`,
    target: { type: 'transfer', id: transfer.id },
    after: {
      from_account_id: transfer.fromAccountId,
      to_account_id: transfer.toAccountId,
      amount: formatAmount(transfer.amountMinor, currencyOf(transfer.currency)),
      currency: transfer.currency,
      entry_id: transfer.entryId,
      reversal_of: transfer.reversalOf,
      reason: transfer.reason,
    },
  };
}

function settleFollowers(commands: readonly MovementCommand[], plan: KeyPlan, results: (BatchResult | undefined)[]): void {
  for (const [index, first] of plan.followers) {
    const command = commands[index] as MovementCommand;
    const leader = results[first];
    if (leader === undefined) throw new Error('an idempotency leader has no result');
    if (commands[first]?.idempotency?.fingerprint !== command.idempotency?.fingerprint) {
      results[index] = refused(keyReused(), command);
    } else if (leader.kind === 'refused' && (isTransient(leader.error) || leader.error.code === 'idempotency_key_in_use')) {
      // Nothing is stored under the key: the copy gets the same refusal, not as a replay.
      results[index] = leader;
    } else {
      results[index] = { kind: 'replayed', response: { ...leader.response, replayed: true } };
    }
  }
}

/** Each key's first answer, unless it was a replay or a refusal that may pass later. */
function responsesToStore(commands: readonly MovementCommand[], live: readonly number[], results: readonly (BatchResult | undefined)[]): ResponseToStore[] {
  return live.flatMap((index) => {
    const command = commands[index] as MovementCommand;
    const result = results[index];
    if (command.idempotency === undefined || result === undefined || result.kind === 'replayed') return [];
    if (result.kind === 'refused' && isTransient(result.error)) return [];
    return [{ ...command.idempotency.ref, fingerprint: command.idempotency.fingerprint, statusCode: result.response.statusCode, payload: result.response.payload }];
  });
}

/** Posts one movement in the caller's Kysely transaction; throws its refusal. */
export async function postOne(context: AppContext, tx: Tx, command: MovementCommand, render: RenderTransfer): Promise<PostedTransfer> {
  const [result] = await postBatch(context, transactionRunner(tx), [command], render);
  if (result?.kind === 'posted') return result.record;
  if (result?.kind === 'refused') throw result.error;
  throw new Error('a single movement without an idempotency key cannot be replayed');
}
