import { z } from 'zod';

export const registerBody = z.strictObject({
  username: z.string().max(64),
  password: z.string().max(1024),
  email: z.string().max(320),
  full_name: z.string().trim().min(1).max(100),
  phone: z.string().max(32).nullish(),
  date_of_birth: z.string().max(10).nullish().describe('YYYY-MM-DD'),
});

export const loginBody = z.strictObject({
  username: z.string().min(1).max(320).describe('Username or email address.'),
  password: z.string().min(1).max(1024),
  otp: z.string().min(1).max(64).optional().describe('With two-factor authentication: the code from the authenticator app, or a recovery code.'),
});

/** No body at all: the refresh token is taken from the session cookie (web clients). */
export const refreshBody = z.strictObject({ refresh_token: z.string().min(1).max(200) }).nullish();

export const userSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  full_name: z.string(),
  phone: z.string().nullable(),
  date_of_birth: z.string().nullable(),
  role: z.enum(['customer', 'auditor', 'admin', 'super_admin']),
  status: z.enum(['active', 'blocked']),
  kyc_status: z.enum(['pending', 'verified', 'rejected']),
  created_at: z.string(),
});

const bearerTokensSchema = z.object({
  access_token: z.string(),
  token_type: z.literal('bearer'),
  expires_in: z.number().int().describe('Seconds until the access token expires.'),
  refresh_token: z.string(),
});

const cookieSessionSchema = z
  .object({
    token_type: z.literal('cookie'),
    expires_in: z.number().int().describe('Seconds until the access cookie expires: refresh before then.'),
    refresh_expires_in: z.number().int().describe('Seconds until the session ends.'),
    csrf_token: z.string().describe('Send it in the X-CSRF-Token header of every POST, PUT, PATCH and DELETE (it is also in the readable __Host-kosh_csrf cookie).'),
  })
  .describe('A web client (header X-Kosh-Client: web) gets its tokens in httpOnly cookies instead.');

export const tokenSchema = z.union([bearerTokensSchema, cookieSessionSchema]);

// Sessions and passwords (routes-sessions.ts).
export const sessionSchema = z.object({
  id: z.string(),
  device: z.string().describe('Browser and system derived from the user agent, e.g. "Firefox on Linux".'),
  user_agent: z.string().nullable(),
  ip: z.string().nullable(),
  created_at: z.string(),
  last_used_at: z.string().describe('The sign-in or the latest token refresh.'),
  current: z.boolean().describe('The session of this request.'),
});

export const sessionListSchema = z.object({ items: z.array(sessionSchema) });

export const revokedSessionsSchema = z.object({ revoked: z.number().int().describe('Sessions revoked.') });

export const changePasswordBody = z.strictObject({
  old_password: z.string().min(1).max(1024),
  new_password: z.string().max(1024).describe('8 to 128 characters (15 or more recommended), not a common password, not containing the username or email.'),
});

// Transaction PIN and two-factor authentication (routes-security.ts).
const currentPassword = z.string().min(1).max(1024).describe('The current password.');
const authenticationCode = z.string().min(1).max(64).describe('A 6-digit code from the authenticator app, or an unused recovery code.');

export const setPinBody = z.strictObject({
  password: currentPassword,
  pin: z.string().max(32).describe('4 to 6 digits, not trivially guessable (no 1111, 1234, 4321, 1212).'),
});

export const pinStatusSchema = z.object({
  pin_set: z.boolean(),
  locked_until: z.string().nullable().describe('Set while too many wrong PINs lock it.'),
});

export const enrollTwoFactorBody = z.strictObject({ password: currentPassword });

export const enrollmentSchema = z.object({
  secret: z.string().describe('The TOTP secret in base32, for entering by hand. Shown once.'),
  otpauth_uri: z.string().describe('otpauth://totp/... URI with issuer and account.'),
  qr_code: z.string().describe('The URI as a QR code: a data:image/png;base64 URL.'),
});

export const confirmTwoFactorBody = z.strictObject({ code: z.string().min(1).max(64).describe('A 6-digit code from the authenticator app.') });

export const secondFactorBody = z.strictObject({ password: currentPassword, code: authenticationCode });

export const recoveryCodesSchema = z.object({
  recovery_codes: z.array(z.string()).describe('One-time codes for signing in without the authenticator. Shown once: store them safely.'),
});

export const twoFactorStatusSchema = z.object({
  enabled: z.boolean(),
  pending: z.boolean().describe('Enrolled but not yet confirmed.'),
  enabled_at: z.string().nullable(),
  recovery_codes_left: z.number().int(),
});

// Profile, KYC and user management (routes-profile.ts, routes-admin.ts).
const roleEnum = z.enum(['customer', 'auditor', 'admin', 'super_admin']);
const statusEnum = z.enum(['active', 'blocked']);
const kycEnum = z.enum(['pending', 'verified', 'rejected']);
const reason = z.string().trim().min(1).max(500).describe('Why: kept in the audit log.');

export const profileBody = z
  .strictObject({
    full_name: z.string().trim().min(1).max(100).optional(),
    email: z.string().max(320).optional(),
    phone: z.string().max(32).nullable().optional().describe('An Indian mobile (9876543210, +91 98765 43210, 09876543210) or E.164; null removes it.'),
    date_of_birth: z.string().max(10).nullable().optional().describe('YYYY-MM-DD; null removes it.'),
    current_password: z.string().max(512).optional().describe('Needed to change the email or phone number.'),
  })
  .describe('Only the fields sent change. Anything else (role, status, kyc_status, ...) is refused.');

export const adminUserListQuery = z.strictObject({
  q: z.string().max(100).optional().describe('Text in the username, email or full name.'),
  role: roleEnum.optional(),
  status: statusEnum.optional(),
  kyc_status: kycEnum.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20).describe('Page size, at most 100.'),
  cursor: z.string().max(200).optional().describe('The next_cursor of the previous page.'),
});

export const adminUserSchema = z
  .object({
    id: z.string(),
    username: z.string(),
    email: z.string().describe('Masked (joh***@gmail.com).'),
    full_name: z.string(),
    phone: z.string().nullable().describe('Masked (98XXXXXX10).'),
    date_of_birth: z.string().nullable().describe('Masked to the year (1990-XX-XX).'),
    role: roleEnum,
    status: statusEnum,
    kyc_status: kycEnum,
    created_at: z.string(),
  })
  .describe('A user as staff see them: contact details masked (POST .../reveal shows them, audited).');

export const adminUserDetailSchema = adminUserSchema.extend({
  kyc_reason: z.string().nullable(),
  kyc_decided_by: z.string().nullable().describe('The administrator who decided (null: the system or nobody yet).'),
  kyc_decided_at: z.string().nullable(),
  status_reason: z.string().nullable().describe('Why the user was last blocked or unblocked.'),
  status_changed_by: z.string().nullable(),
  status_changed_at: z.string().nullable(),
  updated_at: z.string(),
});

export const adminUserPageSchema = z.object({ items: z.array(adminUserSchema), next_cursor: z.string().nullable() });

export const revealedUserSchema = z.object({
  id: z.string(),
  username: z.string(),
  email: z.string(),
  phone: z.string().nullable(),
  date_of_birth: z.string().nullable(),
});

export const blockBody = z.strictObject({ reason });
/** No body at all is fine: the reason is optional. */
export const unblockBody = z.strictObject({ reason: reason.optional() }).nullish();
export const kycBody = z.strictObject({ status: kycEnum, reason });
export const roleBody = z.strictObject({ role: roleEnum });
export const revealBody = z.strictObject({ reason });
