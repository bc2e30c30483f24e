/**
 * Posting a batch of money movements in one database transaction, the way the transfer engine
 * does it:
 *
 * 1. take the idempotency keys (a transaction-scoped advisory lock each, without waiting) and read
 *    their stored responses; a stored response is replayed, a key held elsewhere is refused (409);
 * 2. lock every ledger account the batch touches, once, in ascending id order;
 * 3. read the daily limits and today's usage of the limited source accounts;
 * 4. decide each movement in arrival order against the running balances and usage: a refused
 *    movement (frozen or closed account, daily limit, insufficient funds) is refused on its own and
 *    never fails the batch;
 * 5. write all accepted journal entries, postings, transfer records and idempotency records with a
 *    handful of set-based statements (each balance is updated once per batch by the ledger trigger).
 *
 * Every check happens before the first write. A single movement is a batch of one.
 */
import { DomainError } from '../../core/errors.js';
import type { Posting } from '../../core/ledger.js';
import { currencyOf, formatAmount } from '../../core/money.js';
import { bankDay } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import { findStoredResponses, keyId, storeResponses, tryLockKeys, type IdempotencyKeyRef } from '../../platform/db/idempotency-store.js';
import type { Tx } from '../../platform/db/transaction.js';
import { isTransient, keyInUse, keyReused, refusalResponse, type CommandResponse } from '../../platform/http/idempotency.js';
import { newId } from '../../platform/ids.js';
import { dailyLimitsOf } from '../accounts/index.js';
import { lockAccounts, refusalError, tryApply, writeEntries, type AccountStates, type NewEntry } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { addDailyUsage, dailyUsage, insertTransfers, type MovementKind, type NewTransfer, type TransferRecord } from './store.js';

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
  readonly postings: readonly Posting[];
  /** Whether the daily limit of fromAccountId applies (withdrawals and transfers). */
  readonly limited: boolean;
  readonly reversal?: { readonly transferId: string; readonly entryId: string; readonly reason: string } | undefined;
  readonly idempotency?: { readonly ref: IdempotencyKeyRef; readonly fingerprint: string } | undefined;
  /** The request path, for the `instance` of problem responses. */
  readonly path: string;
}

export type BatchResult =
  | { readonly kind: 'posted'; readonly record: TransferRecord; readonly response: CommandResponse }
  | { readonly kind: 'refused'; readonly error: DomainError; readonly response: CommandResponse }
  | { readonly kind: 'replayed'; readonly response: CommandResponse };

/** How a posted movement is shown to its caller (the 201 body). */
export type RenderTransfer = (record: TransferRecord) => unknown;

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

async function readUsage(context: AppContext, tx: Tx, commands: readonly MovementCommand[]): Promise<Usage> {
  const accountIds = [...new Set(commands.filter((command) => command.limited && command.fromAccountId !== null).map((command) => command.fromAccountId as string))];
  const now = context.now();
  const day = bankDay(now, context.config.BANK_TIMEZONE);
  const limits = await dailyLimitsOf(context.config, tx, accountIds);
  const used = await dailyUsage(tx, accountIds, day.date);
  return { day: day.date, limits, used, added: new Map(), resetsInSeconds: Math.max(1, Math.ceil((day.endsAt.getTime() - now.getTime()) / 1000)) };
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

/**
 * Resolves idempotency keys: duplicates inside the batch follow their first occurrence; a key whose
 * lock is held elsewhere is refused; a stored response is replayed (or the key reuse refused).
 * Returns, per command, a result when the key decides it, and the followers to settle at the end.
 */
async function resolveKeys(tx: Tx, commands: readonly MovementCommand[], results: (BatchResult | undefined)[]): Promise<Array<[number, number]>> {
  const firstByKey = new Map<string, number>();
  const keyed: number[] = [];
  const followers: Array<[number, number]> = [];
  commands.forEach((command, index) => {
    if (command.idempotency === undefined) return;
    const id = keyId(command.idempotency.ref);
    const first = firstByKey.get(id);
    if (first === undefined) {
      firstByKey.set(id, index);
      keyed.push(index);
    } else {
      followers.push([index, first]);
    }
  });
  const refOf = (index: number) => (commands[index]?.idempotency as { ref: IdempotencyKeyRef }).ref;
  const locked = await tryLockKeys(tx, keyed.map(refOf));
  const lockedIndexes = keyed.filter((_, position) => locked[position] === true);
  const stored = await findStoredResponses(tx, lockedIndexes.map(refOf));
  keyed.forEach((index, position) => {
    const command = commands[index] as MovementCommand;
    if (locked[position] !== true) {
      results[index] = refused(keyInUse(), command);
      return;
    }
    const response = stored.get(keyId(refOf(index)));
    if (response === undefined) return;
    results[index] =
      response.fingerprint === command.idempotency?.fingerprint
        ? { kind: 'replayed', response: { statusCode: response.statusCode, payload: response.payload, replayed: true } }
        : refused(keyReused(), command);
  });
  return followers;
}

interface Accepted {
  readonly index: number;
  readonly entry: NewEntry;
  readonly transfer: NewTransfer;
}

function accept(command: MovementCommand, index: number): Accepted {
  const entryId = newId();
  return {
    index,
    entry: {
      id: entryId,
      kind: command.kind,
      description: command.description,
      postings: command.postings,
      reversesEntryId: command.reversal?.entryId ?? null,
    },
    transfer: {
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
    },
  };
}

/**
 * Posts the commands in one transaction (the caller's) and returns one result per command, in
 * order. Throws only for unexpected failures (a database error), never for a refusal.
 */
export async function postBatch(
  context: AppContext,
  tx: Tx,
  commands: readonly MovementCommand[],
  render: RenderTransfer,
): Promise<BatchResult[]> {
  const results: (BatchResult | undefined)[] = new Array<BatchResult | undefined>(commands.length).fill(undefined);
  const followers = await resolveKeys(tx, commands, results);
  const followerIndexes = new Set(followers.map(([index]) => index));
  const live = commands.map((_, index) => index).filter((index) => results[index] === undefined && !followerIndexes.has(index));

  const liveCommands = live.map((index) => commands[index] as MovementCommand);
  const states = await lockAccounts(tx, liveCommands.flatMap((command) => command.postings.map((posting) => posting.accountId)));
  const usage = await readUsage(context, tx, liveCommands);

  const accepted: Accepted[] = [];
  for (const index of live) {
    const command = commands[index] as MovementCommand;
    try {
      checkStatuses(states, command);
      checkDailyLimit(usage, command);
      const refusal = tryApply(states, command.postings);
      if (refusal !== null) throw refusalError(refusal, describeAccount(command));
      accepted.push(accept(command, index));
      if (command.limited && command.fromAccountId !== null) {
        usage.used.set(command.fromAccountId, (usage.used.get(command.fromAccountId) ?? 0n) + command.amountMinor);
        usage.added.set(command.fromAccountId, (usage.added.get(command.fromAccountId) ?? 0n) + command.amountMinor);
      }
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      results[index] = refused(error, command);
    }
  }

  if (accepted.length > 0) {
    await writeEntries(tx, states, accepted.map((item) => item.entry));
    const records = await insertTransfers(tx, accepted.map((item) => item.transfer));
    await addDailyUsage(tx, usage.day, usage.added);
    const byId = new Map(records.map((record) => [record.id, record]));
    for (const item of accepted) {
      const record = byId.get(item.transfer.id);
      if (record === undefined) throw new Error(`transfer ${item.transfer.id} was not written`);
      results[item.index] = { kind: 'posted', record, response: { statusCode: 201, payload: JSON.stringify(render(record)), replayed: false } };
    }
  }

  for (const [index, first] of followers) {
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

  // Remember each key's first answer, unless it was a replay or a refusal that may pass later.
  const toStore = live.flatMap((index) => {
    const command = commands[index] as MovementCommand;
    const result = results[index];
    if (command.idempotency === undefined || result === undefined || result.kind === 'replayed') return [];
    if (result.kind === 'refused' && isTransient(result.error)) return [];
    return [{ ...command.idempotency.ref, fingerprint: command.idempotency.fingerprint, statusCode: result.response.statusCode, payload: result.response.payload }];
  });
  await storeResponses(tx, toStore, context.config.IDEMPOTENCY_TTL_HOURS);

  return results.map((result) => {
    if (result === undefined) throw new Error('a command has no result');
    return result;
  });
}

/** Posts one movement in the caller's transaction; throws its refusal. */
export async function postOne(context: AppContext, tx: Tx, command: MovementCommand, render: RenderTransfer): Promise<TransferRecord> {
  const [result] = await postBatch(context, tx, [command], render);
  if (result?.kind === 'posted') return result.record;
  if (result?.kind === 'refused') throw result.error;
  throw new Error('a single movement without an idempotency key cannot be replayed');
}
