/**
 * The alert rules: given a committed event and one concerned user's thresholds, which
 * notifications that user gets. Pure functions; the consumer gathers their inputs (thresholds,
 * average balances) and acts on their answers.
 *
 * Rules:
 * - transfer sent: the sender of a transfer, and the owner of a withdrawal;
 * - money received: the recipient of a transfer from someone else, and the owner of a deposit;
 * - low balance: a debit that takes a balance from at or above a threshold to below it, where the
 *   thresholds are the customer's own (per currency) and 20% of the account's 30-day average
 *   balance; a debit while already below fires nothing;
 * - large transaction: a movement (in or out) whose amount is strictly above the customer's
 *   threshold for its currency; no threshold, no alert;
 * - security and account events map one to one (a sign-in fires only from a new device; a failed
 *   sign-in only for a wrong password or second factor).
 * One event gives a user at most one notification of each type.
 */
import { findCurrency, formatAmount } from '../../core/money.js';
import type { NotificationType } from './catalog.js';

export type Payload = Readonly<Record<string, unknown>>;

/** Data for the templates and the in-app notification's `data`: wire values (decimal strings, ids). */
export type AlertData = Readonly<Record<string, string | number | boolean | null>>;

export interface Alert {
  readonly type: NotificationType;
  readonly data: AlertData;
}

/** A change of one of the user's account balances, read from an event. */
export interface Movement {
  readonly accountId: string;
  readonly direction: 'debit' | 'credit';
  readonly amountMinor: bigint;
  readonly currency: string;
  /** The balance after the movement; null when the event does not carry it. */
  readonly balanceAfterMinor: bigint | null;
}

export interface Thresholds {
  /** Per currency, in minor units. */
  readonly lowBalance: ReadonlyMap<string, bigint>;
  readonly largeTransaction: ReadonlyMap<string, bigint>;
}

export interface DecisionInput {
  readonly topic: string;
  readonly payload: Payload;
  readonly userId: string;
  readonly thresholds: Thresholds;
  /** The 30-day average balance of the accounts debited (absent: unknown, the 20% rule is skipped). */
  readonly averageBalances: ReadonlyMap<string, bigint>;
}

/** The share of the 30-day average balance below which a balance is low, in percent. */
export const AVERAGE_SHARE_PERCENT = 20n;

/** A decimal string of minor units in a known currency (the wire form of money). */
function decimal(minor: bigint, currencyCode: string): string {
  const currency = findCurrency(currencyCode);
  return currency === undefined ? String(minor) : formatAmount(minor, currency);
}

const text = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/** Minor units of a decimal string in the currency (a leading minus allowed); undefined when it is not one. */
export function minorUnits(value: unknown, currencyCode: string): bigint | undefined {
  const currency = findCurrency(currencyCode);
  if (typeof value !== 'string' || currency === undefined) return undefined;
  const match = /^(-?)(0|[1-9][0-9]{0,18})(?:\.([0-9]+))?$/.exec(value);
  if (match === null) return undefined;
  const fraction = match[3] ?? '';
  if (fraction.length > currency.exponent) return undefined;
  const magnitude = BigInt(match[2] ?? '0') * 10n ** BigInt(currency.exponent) + BigInt(fraction.padEnd(currency.exponent, '0') || '0');
  return match[1] === '-' ? -magnitude : magnitude;
}

function movement(payload: Payload, side: { account: string; balance: string; direction: 'debit' | 'credit' }): Movement | undefined {
  const accountId = text(payload[side.account]);
  const currency = text(payload.currency);
  if (accountId === null || currency === null) return undefined;
  const amountMinor = minorUnits(payload.amount, currency);
  if (amountMinor === undefined) return undefined;
  const balanceAfterMinor = minorUnits(payload[side.balance], currency) ?? null;
  return { accountId, direction: side.direction, amountMinor, currency, balanceAfterMinor };
}

/** The movements of the user's balances in a money event (none for other topics or other users). */
export function movementsOf(topic: string, payload: Payload, userId: string): Movement[] {
  const found: (Movement | undefined)[] = [];
  if (topic === 'transfer.posted') {
    if (payload.from_user_id === userId) found.push(movement(payload, { account: 'from_account_id', balance: 'from_balance_after', direction: 'debit' }));
    if (payload.to_user_id === userId) found.push(movement(payload, { account: 'to_account_id', balance: 'to_balance_after', direction: 'credit' }));
  } else if (topic === 'deposit.posted' && payload.user_id === userId) {
    found.push(movement(payload, { account: 'account_id', balance: 'balance_after', direction: 'credit' }));
  } else if (topic === 'withdrawal.posted' && payload.user_id === userId) {
    found.push(movement(payload, { account: 'account_id', balance: 'balance_after', direction: 'debit' }));
  }
  return found.filter((item): item is Movement => item !== undefined);
}

/** The debits whose low-balance check needs the account's average balance. */
export function debitsToCheck(topic: string, payload: Payload, userId: string): Movement[] {
  return movementsOf(topic, payload, userId).filter((item) => item.direction === 'debit' && item.balanceAfterMinor !== null);
}

/** The highest threshold a balance crossed downward (before ≥ threshold > after), if any. */
export function crossedThreshold(options: { beforeMinor: bigint; afterMinor: bigint; thresholdsMinor: readonly bigint[] }): bigint | undefined {
  const crossed = options.thresholdsMinor.filter((threshold) => options.beforeMinor >= threshold && options.afterMinor < threshold);
  return crossed.length === 0 ? undefined : crossed.reduce((high, value) => (value > high ? value : high));
}

/** 20% of an average balance, rounded toward zero. */
export function averageShare(averageMinor: bigint): bigint {
  return (averageMinor * AVERAGE_SHARE_PERCENT) / 100n;
}

function lowBalanceAlert(input: DecisionInput, debit: Movement): Alert | undefined {
  if (debit.balanceAfterMinor === null) return undefined;
  const own = input.thresholds.lowBalance.get(debit.currency);
  const average = input.averageBalances.get(debit.accountId);
  const candidates: { threshold: bigint; basis: 'threshold' | 'average' }[] = [];
  if (own !== undefined) candidates.push({ threshold: own, basis: 'threshold' });
  if (average !== undefined && average > 0n) candidates.push({ threshold: averageShare(average), basis: 'average' });
  const beforeMinor = debit.balanceAfterMinor + debit.amountMinor;
  const crossed = crossedThreshold({ beforeMinor, afterMinor: debit.balanceAfterMinor, thresholdsMinor: candidates.map((item) => item.threshold) });
  if (crossed === undefined) return undefined;
  const basis = candidates.find((item) => item.threshold === crossed)?.basis ?? 'threshold';
  return {
    type: 'low_balance',
    data: { account_id: debit.accountId, currency: debit.currency, balance: decimal(debit.balanceAfterMinor, debit.currency), threshold: decimal(crossed, debit.currency), basis },
  };
}

function largeTransactionAlert(input: DecisionInput, moved: Movement, payload: Payload): Alert | undefined {
  const threshold = input.thresholds.largeTransaction.get(moved.currency);
  if (threshold === undefined || moved.amountMinor <= threshold) return undefined;
  return {
    type: 'large_transaction',
    data: {
      account_id: moved.accountId,
      direction: moved.direction,
      amount: decimal(moved.amountMinor, moved.currency),
      currency: moved.currency,
      threshold: decimal(threshold, moved.currency),
      transfer_id: text(payload.transfer_id),
    },
  };
}

function moneyAlerts(input: DecisionInput): Alert[] {
  const { topic, payload, userId } = input;
  const alerts: Alert[] = [];
  const kind = topic === 'transfer.posted' ? 'transfer' : topic === 'deposit.posted' ? 'deposit' : 'withdrawal';
  const ownTransfer = payload.from_user_id === payload.to_user_id;
  for (const moved of movementsOf(topic, payload, userId)) {
    const common = {
      account_id: moved.accountId,
      amount: decimal(moved.amountMinor, moved.currency),
      currency: moved.currency,
      kind,
      transfer_id: text(payload.transfer_id),
      description: text(payload.description),
      balance: moved.balanceAfterMinor === null ? null : decimal(moved.balanceAfterMinor, moved.currency),
    };
    if (moved.direction === 'debit') {
      alerts.push({ type: 'transfer_sent', data: { ...common, own_transfer: kind === 'transfer' && ownTransfer } });
      const low = lowBalanceAlert(input, moved);
      if (low !== undefined) alerts.push(low);
    } else if (kind === 'deposit' || !ownTransfer) {
      alerts.push({ type: 'money_received', data: common });
    }
    const large = largeTransactionAlert(input, moved, payload);
    if (large !== undefined) alerts.push(large);
  }
  return alerts;
}

/**
 * Refused sign-ins that mean someone tried a wrong secret. A right password waiting for its second
 * factor (otp_required) is no failure; attempts while locked or blocked were already told (the
 * lockout alert) or are the bank's doing.
 */
const FAILED_SIGN_IN_OUTCOMES: ReadonlySet<string> = new Set(['bad_password', 'otp_invalid']);

function identityAlert(topic: string, payload: Payload): Alert | undefined {
  const origin = { ip: text(payload.ip), device: text(payload.device) };
  switch (topic) {
    case 'user.registered':
      return { type: 'welcome', data: { username: text(payload.username), full_name: text(payload.full_name) } };
    case 'user.signed_in':
      return payload.new_device === true ? { type: 'new_device_sign_in', data: { ...origin, session_id: text(payload.session_id) } } : undefined;
    case 'user.sign_in_failed':
      return FAILED_SIGN_IN_OUTCOMES.has(String(payload.outcome)) ? { type: 'sign_in_failed', data: { ...origin, outcome: text(payload.outcome) } } : undefined;
    case 'user.locked':
      return {
        type: 'sign_in_locked',
        data: { ...origin, locked_until: text(payload.locked_until), failed_attempts: typeof payload.failed_attempts === 'number' ? payload.failed_attempts : null },
      };
    case 'user.password_changed':
      return { type: 'password_changed', data: {} };
    case 'user.two_factor_enabled':
    case 'user.two_factor_disabled':
      return { type: 'two_factor_changed', data: { enabled: topic === 'user.two_factor_enabled' } };
    default:
      return undefined;
  }
}

function accountAlert(topic: string, payload: Payload): Alert | undefined {
  if (topic === 'beneficiary.added') {
    return {
      type: 'beneficiary_added',
      data: { beneficiary_id: text(payload.beneficiary_id), name: text(payload.name), account_number_masked: text(payload.account_number_masked) },
    };
  }
  if (topic === 'account.frozen' || topic === 'account.unfrozen') {
    return { type: topic === 'account.frozen' ? 'account_frozen' : 'account_unfrozen', data: { account_id: text(payload.account_id), by: text(payload.by) } };
  }
  return undefined;
}

/** Whether the event concerns the user (the payload names them), so that a stray userId gets nothing. */
function concerns(payload: Payload, userId: string): boolean {
  return [payload.user_id, payload.from_user_id, payload.to_user_id].includes(userId);
}

/** The notifications one user gets for one event, at most one per type. */
export function decideAlerts(input: DecisionInput): Alert[] {
  if (!concerns(input.payload, input.userId)) return [];
  const money = ['transfer.posted', 'deposit.posted', 'withdrawal.posted'].includes(input.topic);
  const alerts = money
    ? moneyAlerts(input)
    : [identityAlert(input.topic, input.payload) ?? accountAlert(input.topic, input.payload)].filter((item): item is Alert => item !== undefined);
  const seen = new Set<NotificationType>();
  return alerts.filter((alert) => !seen.has(alert.type) && seen.add(alert.type) !== undefined);
}
