/**
 * TOTP two-factor authentication (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps, one step of
 * clock drift either way) with one-time recovery codes.
 *
 * Enrolment has two steps: `enroll` (needs the password) makes a 160-bit secret and stores it sealed
 * with the data key (AES-256-GCM, bound to the user), pending; `confirm` with a code from the
 * authenticator turns it on and returns ten recovery codes, shown once and stored as SHA-256 hashes.
 * From then on signing in needs a code (second-factor.ts).
 *
 * Each accepted TOTP code advances the user's last used time step, so a code (or an older one) never
 * works twice, even under concurrent requests. Wrong codes count towards a lock
 * (TWO_FACTOR_LOCKOUT_THRESHOLD wrong codes lock for TWO_FACTOR_LOCKOUT_MINUTES), counted before the
 * code is checked, as for the PIN. Every change is audited; no secret, code or hash enters the log.
 */
import { createHash, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { toDataURL } from 'qrcode';
import type { AppContext } from '../../platform/context.js';
import { dataKeyFor } from '../../platform/data-key.js';
import type { Principal } from '../../platform/http/auth.js';
import { recordAudit, type AuditActor } from '../audit/index.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { identityErrors } from './errors.js';
import { verifyPassword } from './passwords.js';
import { findUserById } from './store.js';
import {
  claimAttempt,
  countUnusedRecoveryCodes,
  deleteTwoFactor,
  enableTwoFactor,
  findTwoFactor,
  lockAfterFailures,
  replaceRecoveryCodes,
  resetAttempts,
  savePendingTwoFactor,
  useRecoveryCode,
  useTotpStep,
  type TwoFactorRecord,
} from './two-factor-store.js';

const TOTP_PARAMETERS = { algorithm: 'SHA1', digits: 6, period: 30 } as const;
const SECRET_BYTES = 20;
const DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet: no I, L, O or U, so codes read aloud or copied by hand survive. */
const RECOVERY_ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const RECOVERY_CODE_BYTES = 10; // 80 bits, 16 characters

// Secrets and codes.

function secretContext(userId: string): string {
  return `totp:${userId}`;
}

function openSecret(context: AppContext, userId: string, record: TwoFactorRecord): Secret {
  const bytes = dataKeyFor(context.config).open(record.secretSealed, secretContext(userId));
  return new Secret({ buffer: Uint8Array.from(bytes).buffer });
}

/** The time step a 6-digit code belongs to (the current one, or one either side), or null. */
export function matchingStep(secret: Secret, code: string, now: Date): number | null {
  if (!/^[0-9]{6}$/.test(code)) return null;
  const timestamp = now.getTime();
  const delta = TOTP.validate({ token: code, secret, ...TOTP_PARAMETERS, timestamp, window: DRIFT_STEPS });
  return delta === null ? null : TOTP.counter({ period: TOTP_PARAMETERS.period, timestamp }) + delta;
}

function base32(bytes: Uint8Array): string {
  let bits = 0;
  let value = 0;
  let text = '';
  for (const byte of bytes) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      text += RECOVERY_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) text += RECOVERY_ALPHABET[(value << (5 - bits)) & 31];
  return text;
}

/** A new recovery code: 80 random bits as 16 characters in groups of four (`k3m9-...`). */
function newRecoveryCode(): string {
  return (base32(randomBytes(RECOVERY_CODE_BYTES)).match(/.{4}/g) ?? []).join('-');
}

/** A recovery code as typed, normalized (case, spaces, hyphens, look-alike letters), or undefined. */
function normalizeRecoveryCode(input: string): string | undefined {
  const text = input.toLowerCase().replace(/[\s-]/g, '').replace(/o/g, '0').replace(/[il]/g, '1');
  return /^[0-9a-hjkmnp-tv-z]{16}$/.test(text) ? text : undefined;
}

function hashRecoveryCode(userId: string, normalized: string): string {
  return createHash('sha256').update(`${userId}:${normalized}`).digest('hex');
}

function newRecoveryCodes(userId: string): { codes: string[]; hashes: string[] } {
  const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
  return { codes, hashes: codes.map((code) => hashRecoveryCode(userId, normalizeRecoveryCode(code) as string)) };
}

async function requirePassword(context: AppContext, userId: string, password: string) {
  const user = await findUserById(context.db, userId);
  if (user === undefined || !(await verifyPassword(user.passwordHash, password))) throw identityErrors.invalidPassword();
  return user;
}

function userTarget(userId: string) {
  return { type: 'user', id: userId };
}

// Checking a code.

export type CodeCheck = 'passed' | 'invalid' | 'locked';

async function tryTotp(context: AppContext, userId: string, record: TwoFactorRecord, code: string, now: Date): Promise<boolean> {
  const step = matchingStep(openSecret(context, userId, record), code, now);
  return step !== null && (await useTotpStep(context.db, { userId, step, now }));
}

async function tryRecoveryCode(context: AppContext, actor: AuditActor, userId: string, code: string, now: Date): Promise<boolean> {
  const normalized = normalizeRecoveryCode(code);
  if (normalized === undefined) return false;
  return context.transact(async (tx) => {
    if (!(await useRecoveryCode(tx, { userId, codeHash: hashRecoveryCode(userId, normalized), now }))) return false;
    await recordAudit(tx, { actor, action: 'user.recovery_code_used', target: userTarget(userId), after: { codes_left: await countUnusedRecoveryCodes(tx, userId) } });
    return true;
  });
}

/**
 * Checks a TOTP code or an unused recovery code of a user whose two-factor authentication is on.
 * A passing TOTP code is spent (its step is remembered), a passing recovery code is marked used and
 * audited (`user.recovery_code_used`). A wrong code counts towards the lock; the attempt that reaches
 * the threshold locks and is audited (`user.two_factor_locked`). While locked every code is refused.
 */
export async function checkTwoFactorCode(context: AppContext, actor: AuditActor, userId: string, code: string): Promise<CodeCheck> {
  const now = context.now();
  const record = await findTwoFactor(context.db, userId);
  if (record === undefined || record.enabledAt === null) return 'invalid';
  if (record.lockedUntil !== null && record.lockedUntil > now) return 'locked';
  const threshold = context.config.TWO_FACTOR_LOCKOUT_THRESHOLD;
  const attempt = await claimAttempt(context.db, 'user_two_factor', userId, now);
  if (attempt === undefined || attempt > threshold) return 'locked';

  const trimmed = code.trim();
  const passed = /^[0-9]{6}$/.test(trimmed) ? await tryTotp(context, userId, record, trimmed, now) : await tryRecoveryCode(context, actor, userId, trimmed, now);
  if (passed) {
    await resetAttempts(context.db, 'user_two_factor', userId, now);
    return 'passed';
  }
  if (attempt < threshold) return 'invalid';
  const until = new Date(now.getTime() + context.config.TWO_FACTOR_LOCKOUT_MINUTES * 60_000);
  await context.transact(async (tx) => {
    if (await lockAfterFailures(tx, 'user_two_factor', { userId, threshold, until, now })) {
      await recordAudit(tx, { actor, action: 'user.two_factor_locked', target: userTarget(userId), after: { locked_until: until.toISOString(), failed_attempts: attempt } });
    }
  });
  return 'locked';
}

async function requireCode(context: AppContext, principal: Principal, code: string): Promise<void> {
  const now = context.now();
  const check = await checkTwoFactorCode(context, principal, principal.userId, code);
  if (check === 'passed') return;
  if (check === 'invalid') throw identityErrors.otpInvalid();
  const record = await findTwoFactor(context.db, principal.userId);
  const until = record?.lockedUntil ?? new Date(now.getTime() + context.config.TWO_FACTOR_LOCKOUT_MINUTES * 60_000);
  throw identityErrors.twoFactorLocked(Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000)));
}

// Use cases.

export interface Enrollment {
  /** The secret in base32, for typing into an authenticator by hand. */
  readonly secret: string;
  readonly otpauthUri: string;
  /** The URI as a QR code, `data:image/png;base64,...`. */
  readonly qrCodeDataUrl: string;
}

/**
 * Starts (or restarts) enrolment: a new secret, stored sealed and pending until confirmed. Needs the
 * password. Guarantees: two-factor authentication is not on until `confirm`; audited as
 * `user.two_factor_enrollment_started` (without the secret).
 * Errors: invalid_password (403); two_factor_already_enabled (409).
 */
export async function enrollTwoFactor(context: AppContext, principal: Principal, password: string): Promise<Enrollment> {
  const user = await requirePassword(context, principal.userId, password);
  const existing = await findTwoFactor(context.db, user.id);
  if (existing !== undefined && existing.enabledAt !== null) throw identityErrors.twoFactorAlreadyEnabled();
  const secret = new Secret({ size: SECRET_BYTES });
  const totp = new TOTP({ issuer: context.config.BANK_NAME, label: user.username, secret, ...TOTP_PARAMETERS });
  const secretSealed = dataKeyFor(context.config).seal(secret.bytes, secretContext(user.id));
  const now = context.now();
  await context.transact(async (tx) => {
    if (!(await savePendingTwoFactor(tx, { userId: user.id, secretSealed, now }))) throw identityErrors.twoFactorAlreadyEnabled();
    await recordAudit(tx, { actor: principal, action: 'user.two_factor_enrollment_started', target: userTarget(user.id) });
  });
  const otpauthUri = totp.toString();
  const qrCodeDataUrl = await toDataURL(otpauthUri, { errorCorrectionLevel: 'M', margin: 2, scale: 5 });
  return { secret: secret.base32, otpauthUri, qrCodeDataUrl };
}

/**
 * Confirms a pending enrolment with a code from the authenticator, turns two-factor authentication
 * on and returns the recovery codes (shown once; only their hashes are kept). The confirming code is
 * spent. Audited as `user.two_factor_enabled`.
 * Errors: otp_invalid (403); two_factor_already_enabled, two_factor_not_pending (409).
 */
export async function confirmTwoFactor(context: AppContext, principal: Principal, code: string): Promise<{ recoveryCodes: string[] }> {
  const userId = principal.userId;
  const record = await findTwoFactor(context.db, userId);
  if (record === undefined) throw identityErrors.twoFactorNotPending();
  if (record.enabledAt !== null) throw identityErrors.twoFactorAlreadyEnabled();
  const now = context.now();
  const step = matchingStep(openSecret(context, userId, record), code.trim(), now);
  if (step === null) throw identityErrors.otpInvalid();
  const { codes, hashes } = newRecoveryCodes(userId);
  await context.transact(async (tx) => {
    if (!(await enableTwoFactor(tx, { userId, step, now }))) throw identityErrors.twoFactorNotPending();
    await replaceRecoveryCodes(tx, { userId, codeHashes: hashes, now });
    await writeOutbox(tx, [{ topic: 'user.two_factor_enabled', userIds: [userId], payload: { user_id: userId } }]);
    await recordAudit(tx, { actor: principal, action: 'user.two_factor_enabled', target: userTarget(userId), after: { enabled: true, codes_issued: codes.length } });
  });
  return { recoveryCodes: codes };
}

/**
 * Turns two-factor authentication off. Needs the password and a code (TOTP or recovery). Removes the
 * secret and the recovery codes. Audited as `user.two_factor_disabled`.
 * Errors: invalid_password, otp_invalid (403); two_factor_not_enabled (409); two_factor_locked (429).
 */
export async function disableTwoFactor(context: AppContext, principal: Principal, input: { password: string; code: string }): Promise<void> {
  await requirePassword(context, principal.userId, input.password);
  const record = await findTwoFactor(context.db, principal.userId);
  if (record === undefined || record.enabledAt === null) throw identityErrors.twoFactorNotEnabled();
  await requireCode(context, principal, input.code);
  await context.transact(async (tx) => {
    if (!(await deleteTwoFactor(tx, principal.userId))) throw identityErrors.twoFactorNotEnabled();
    await writeOutbox(tx, [{ topic: 'user.two_factor_disabled', userIds: [principal.userId], payload: { user_id: principal.userId } }]);
    await recordAudit(tx, { actor: principal, action: 'user.two_factor_disabled', target: userTarget(principal.userId), before: { enabled: true }, after: { enabled: false } });
  });
}

/**
 * Replaces every recovery code with ten new ones (shown once). Needs the password and a code.
 * Audited as `user.recovery_codes_regenerated`.
 * Errors: invalid_password, otp_invalid (403); two_factor_not_enabled (409); two_factor_locked (429).
 */
export async function regenerateRecoveryCodes(context: AppContext, principal: Principal, input: { password: string; code: string }): Promise<{ recoveryCodes: string[] }> {
  await requirePassword(context, principal.userId, input.password);
  const record = await findTwoFactor(context.db, principal.userId);
  if (record === undefined || record.enabledAt === null) throw identityErrors.twoFactorNotEnabled();
  await requireCode(context, principal, input.code);
  const { codes, hashes } = newRecoveryCodes(principal.userId);
  await context.transact(async (tx) => {
    await replaceRecoveryCodes(tx, { userId: principal.userId, codeHashes: hashes, now: context.now() });
    await recordAudit(tx, { actor: principal, action: 'user.recovery_codes_regenerated', target: userTarget(principal.userId), after: { codes_issued: codes.length } });
  });
  return { recoveryCodes: codes };
}

export interface TwoFactorStatus {
  readonly enabled: boolean;
  readonly pending: boolean;
  readonly enabledAt: Date | null;
  readonly recoveryCodesLeft: number;
}

/** Whether two-factor authentication is on (or pending confirmation) and how many recovery codes are left. */
export async function twoFactorStatus(context: AppContext, principal: Principal): Promise<TwoFactorStatus> {
  const record = await findTwoFactor(context.db, principal.userId);
  const enabled = record !== undefined && record.enabledAt !== null;
  return {
    enabled,
    pending: record !== undefined && record.enabledAt === null,
    enabledAt: record?.enabledAt ?? null,
    recoveryCodesLeft: enabled ? await countUnusedRecoveryCodes(context.db, principal.userId) : 0,
  };
}
