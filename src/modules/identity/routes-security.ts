/**
 * HTTP routes of the caller's own security settings: the transaction PIN and TOTP two-factor
 * authentication. Every route acts on the signed-in user only (any role: staff protect their
 * sign-in too). Replies that carry a secret (enrolment, recovery codes) are marked no-store.
 */
import type { FastifyReply } from 'fastify';
import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { setTransactionPin, transactionPinStatus, type PinStatus } from './pin.js';
import {
  confirmTwoFactorBody,
  enrollTwoFactorBody,
  enrollmentSchema,
  pinStatusSchema,
  recoveryCodesSchema,
  secondFactorBody,
  setPinBody,
  twoFactorStatusSchema,
} from './schemas.js';
import { confirmTwoFactor, disableTwoFactor, enrollTwoFactor, regenerateRecoveryCodes, twoFactorStatus, type TwoFactorStatus } from './two-factor.js';

function pinStatusView(status: PinStatus) {
  return { pin_set: status.isSet, locked_until: status.lockedUntil?.toISOString() ?? null };
}

function twoFactorStatusView(status: TwoFactorStatus) {
  return {
    enabled: status.enabled,
    pending: status.pending,
    enabled_at: status.enabledAt?.toISOString() ?? null,
    recovery_codes_left: status.recoveryCodesLeft,
  };
}

function noStore(reply: FastifyReply): FastifyReply {
  return reply.header('cache-control', 'no-store');
}

export function securityRoutes(api: Api, context: AppContext): void {
  const tags = ['security'];
  const signedIn = requireRole();

  api.put(
    '/users/me/pin',
    {
      schema: {
        tags,
        summary: 'Set or change the transaction PIN (needs the current password)',
        security: bearer,
        body: setPinBody,
        response: { 200: pinStatusSchema, ...problemResponses(403) },
      },
      preHandler: signedIn,
    },
    async (request) => {
      const principal = principalOf(request);
      await setTransactionPin(context, principal, { password: request.body.password, pin: request.body.pin });
      return pinStatusView(await transactionPinStatus(context, principal));
    },
  );

  api.get(
    '/users/me/pin',
    { schema: { tags, summary: 'Whether a transaction PIN is set, and whether it is locked', security: bearer, response: { 200: pinStatusSchema, ...problemResponses() } }, preHandler: signedIn },
    async (request) => pinStatusView(await transactionPinStatus(context, principalOf(request))),
  );

  api.get(
    '/users/me/2fa',
    { schema: { tags, summary: 'Two-factor authentication status', security: bearer, response: { 200: twoFactorStatusSchema, ...problemResponses() } }, preHandler: signedIn },
    async (request) => twoFactorStatusView(await twoFactorStatus(context, principalOf(request))),
  );

  api.post(
    '/users/me/2fa/enroll',
    {
      schema: {
        tags,
        summary: 'Start TOTP enrolment: a new secret, its otpauth URI and a QR code (needs the password)',
        security: bearer,
        body: enrollTwoFactorBody,
        response: { 200: enrollmentSchema, ...problemResponses(403, 409) },
      },
      preHandler: signedIn,
    },
    async (request, reply) => {
      const enrollment = await enrollTwoFactor(context, principalOf(request), request.body.password);
      noStore(reply);
      return { secret: enrollment.secret, otpauth_uri: enrollment.otpauthUri, qr_code: enrollment.qrCodeDataUrl };
    },
  );

  api.post(
    '/users/me/2fa/confirm',
    {
      schema: {
        tags,
        summary: 'Confirm enrolment with a code: turns 2FA on and returns the recovery codes, once',
        security: bearer,
        body: confirmTwoFactorBody,
        response: { 200: recoveryCodesSchema, ...problemResponses(403, 409) },
      },
      preHandler: signedIn,
    },
    async (request, reply) => {
      const confirmed = await confirmTwoFactor(context, principalOf(request), request.body.code);
      noStore(reply);
      return { recovery_codes: confirmed.recoveryCodes };
    },
  );

  api.post(
    '/users/me/2fa/disable',
    {
      schema: {
        tags,
        summary: 'Turn 2FA off (needs the password and a code or a recovery code)',
        security: bearer,
        body: secondFactorBody,
        response: { 200: twoFactorStatusSchema, ...problemResponses(403, 409, 429) },
      },
      preHandler: signedIn,
    },
    async (request) => {
      const principal = principalOf(request);
      await disableTwoFactor(context, principal, { password: request.body.password, code: request.body.code });
      return twoFactorStatusView(await twoFactorStatus(context, principal));
    },
  );

  api.post(
    '/users/me/2fa/recovery-codes',
    {
      schema: {
        tags,
        summary: 'Replace the recovery codes (needs the password and a code); the old ones stop working',
        security: bearer,
        body: secondFactorBody,
        response: { 200: recoveryCodesSchema, ...problemResponses(403, 409, 429) },
      },
      preHandler: signedIn,
    },
    async (request, reply) => {
      const regenerated = await regenerateRecoveryCodes(context, principalOf(request), { password: request.body.password, code: request.body.code });
      noStore(reply);
      return { recovery_codes: regenerated.recoveryCodes };
    },
  );
}
