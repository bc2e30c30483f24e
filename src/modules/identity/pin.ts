/**
 * The transaction PIN: 4 to 6 digits that a customer sends with a withdrawal or a transfer above
 * PIN_REQUIRED_ABOVE, a second proof next to the access token, so that a stolen token alone cannot
 * move large amounts.
 *
 * Storage: only an Argon2id hash (the password hashing of passwords.ts, off the event loop) of the
 * PIN peppered with an HMAC under the data key, so that a copy of the database alone cannot be
 * searched through the million possible PINs.
 *
 * Guessing: PIN_LOCKOUT_THRESHOLD consecutive wrong PINs lock it for PIN_LOCKOUT_MINUTES. The
 * attempt is counted (in its own statement, committed at once) before the hash is compared, so a
 * refused movement still leaves its failure recorded, and concurrent guesses cannot exceed the
 * threshold. A correct PIN resets the count; so does setting a new PIN (which needs the password).
 */
import { currencyOf } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import { dataKeyFor } from '../../platform/data-key.js';
import type { Principal } from '../../platform/http/auth.js';
import { recordAudit } from '../audit/index.js';
import { identityErrors } from './errors.js';
import { hashPassword, verifyPassword } from './passwords.js';
import { findUserById } from './store.js';
import { claimAttempt, findPin, lockAfterFailures, resetAttempts, upsertPin } from './two-factor-store.js';

export const PIN_PATTERN = /^[0-9]{4,6}$/;

/**
 * Whether a PIN is among the first an attacker would try: one digit repeated (0000), a run up or
 * down, wrapping past 9 (1234, 7890, 654321, 0987), or a block of two or three digits repeated
 * (1212, 121212, 123123).
 */
export function isGuessablePin(pin: string): boolean {
  const digits = [...pin].map(Number);
  const steps = digits.slice(1).map((digit, index) => (digit - (digits[index] ?? 0) + 10) % 10);
  if (steps.every((step) => step === 0) || steps.every((step) => step === 1) || steps.every((step) => step === 9)) return true;
  return [2, 3].some((period) => pin.length > period && pin.length % period === 0 && pin === pin.slice(0, period).repeat(pin.length / period));
}

/** The PIN as given to Argon2id: an HMAC under the data key, bound to the user. */
function pepper(context: AppContext, userId: string, pin: string): string {
  return dataKeyFor(context.config).mac(`pin:${userId}:${pin}`);
}

/** A decimal threshold ("10000.00") in minor units of a currency with `exponent` decimals; extra decimals are dropped (stricter). */
export function thresholdMinor(decimal: string, exponent: number): bigint {
  const [whole = '0', fraction = ''] = decimal.split('.');
  const kept = fraction.padEnd(exponent, '0').slice(0, exponent);
  return BigInt(whole) * 10n ** BigInt(exponent) + (kept === '' ? 0n : BigInt(kept));
}

/**
 * Whether moving `amountMinor` of `currency` out of an account needs the transaction PIN: when the
 * amount is above PIN_REQUIRED_ABOVE. The threshold is read in the movement's own currency, unit for
 * unit (10000.00 means 10000.00 INR, 10000 JPY, 10000.000 KWD), as Kosh has no exchange rates; 'off'
 * never requires it.
 */
export function transactionPinRequired(context: AppContext, movement: { amountMinor: bigint; currency: string }): boolean {
  const threshold = context.config.PIN_REQUIRED_ABOVE;
  if (threshold === 'off') return false;
  return movement.amountMinor > thresholdMinor(threshold, currencyOf(movement.currency).exponent);
}

/**
 * Sets or changes the caller's transaction PIN. Needs the current password. Guarantees: only the
 * peppered Argon2id hash is stored; a new PIN clears the failure count and any lock; one audit row
 * (`user.pin_set` or `user.pin_changed`, without the PIN) in the same transaction.
 * Errors: invalid_pin, pin_too_simple (422); invalid_password (403).
 */
export async function setTransactionPin(
  context: AppContext,
  principal: Principal,
  input: { password: string; pin: string },
): Promise<{ changed: boolean }> {
  if (!PIN_PATTERN.test(input.pin)) throw identityErrors.invalidPin();
  if (isGuessablePin(input.pin)) throw identityErrors.pinTooSimple();
  const user = await findUserById(context.db, principal.userId);
  if (user === undefined || !(await verifyPassword(user.passwordHash, input.password))) throw identityErrors.invalidPassword();
  const pinHash = await hashPassword(pepper(context, user.id, input.pin));
  const now = context.now();
  return context.transact(async (tx) => {
    const previous = await findPin(tx, user.id);
    await upsertPin(tx, { userId: user.id, pinHash, now });
    await recordAudit(tx, {
      actor: principal,
      action: previous === undefined ? 'user.pin_set' : 'user.pin_changed',
      target: { type: 'user', id: user.id },
      before: previous === undefined ? null : { locked: previous.lockedUntil !== null && previous.lockedUntil > now, failed_attempts: previous.failedAttempts },
      after: { locked: false, failed_attempts: 0 },
    });
    return { changed: previous !== undefined };
  });
}

export interface PinStatus {
  readonly isSet: boolean;
  readonly lockedUntil: Date | null;
}

/** Whether the caller has a PIN, and until when it is locked (null when it is not). */
export async function transactionPinStatus(context: AppContext, principal: Principal): Promise<PinStatus> {
  const record = await findPin(context.db, principal.userId);
  const lockedUntil = record?.lockedUntil ?? null;
  return { isSet: record !== undefined, lockedUntil: lockedUntil !== null && lockedUntil > context.now() ? lockedUntil : null };
}

function secondsUntil(until: Date, now: Date): number {
  return Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));
}

/**
 * Checks the caller's transaction PIN before a movement that needs it. The failure count is
 * committed in its own statements, whatever happens to the movement; the lock (the attempt that
 * reaches the threshold) is audited as `user.pin_locked`.
 * Errors: pin_not_set, pin_required (428); invalid_pin (422); pin_invalid (403); pin_locked (429,
 * with Retry-After).
 */
export async function verifyTransactionPin(context: AppContext, principal: Principal, pin: string | undefined): Promise<void> {
  const userId = principal.userId;
  const now = context.now();
  const record = await findPin(context.db, userId);
  if (record === undefined) throw identityErrors.pinNotSet();
  if (record.lockedUntil !== null && record.lockedUntil > now) throw identityErrors.pinLocked(secondsUntil(record.lockedUntil, now));
  if (pin === undefined) throw identityErrors.pinRequired();
  if (!PIN_PATTERN.test(pin)) throw identityErrors.invalidPin();

  const threshold = context.config.PIN_LOCKOUT_THRESHOLD;
  const lockSeconds = context.config.PIN_LOCKOUT_MINUTES * 60;
  const attempt = await claimAttempt(context.db, 'user_pins', userId, now);
  if (attempt === undefined) {
    // Locked (or removed) since it was read: answer from the current state.
    const current = await findPin(context.db, userId);
    if (current === undefined) throw identityErrors.pinNotSet();
    throw identityErrors.pinLocked(current.lockedUntil === null ? lockSeconds : secondsUntil(current.lockedUntil, now));
  }
  // Concurrent guesses beyond the threshold are refused without being checked.
  if (attempt > threshold) throw identityErrors.pinLocked(lockSeconds);

  if (await verifyPassword(record.pinHash, pepper(context, userId, pin))) {
    await resetAttempts(context.db, 'user_pins', userId, now);
    return;
  }
  if (attempt < threshold) throw identityErrors.pinInvalid(threshold - attempt);
  const until = new Date(now.getTime() + lockSeconds * 1000);
  await context.transact(async (tx) => {
    if (await lockAfterFailures(tx, 'user_pins', { userId, threshold, until, now })) {
      await recordAudit(tx, {
        actor: principal,
        action: 'user.pin_locked',
        target: { type: 'user', id: userId },
        after: { locked_until: until.toISOString(), failed_attempts: attempt },
      });
    }
  });
  throw identityErrors.pinLocked(lockSeconds);
}
