/**
 * TOTP two-factor authentication: enrolment (secret, otpauth URI, QR code), confirmation with a
 * code computed here by an independent RFC 6238 implementation (node:crypto, not the library the
 * server uses), sign-in with a code (drift of one step, no reuse), recovery codes (once each),
 * the lock after wrong codes, turning it off, new recovery codes, and audit rows without secrets.
 * The clock is injected, so time steps are exact.
 */
import { createHmac } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, expectUnprocessable, uniqueName } from './helpers.js';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of text.replace(/=+$/, '')) {
    const index = BASE32.indexOf(char);
    if (index < 0) throw new Error(`not base32: ${char}`);
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP with HMAC-SHA1 and 30-second steps (RFC 4226 dynamic truncation). */
function totp(key: Buffer, timeMs: number, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(timeMs / 30_000)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = (((mac[offset] ?? 0) & 0x7f) << 24) | ((mac[offset + 1] ?? 0) << 16) | ((mac[offset + 2] ?? 0) << 8) | (mac[offset + 3] ?? 0);
  return String(binary % 10 ** digits).padStart(digits, '0');
}

describe('the independent TOTP of this suite', () => {
  it('matches the RFC 6238 test vectors (SHA-1)', () => {
    const key = Buffer.from('12345678901234567890', 'ascii');
    expect(totp(key, 59_000, 8)).toBe('94287082');
    expect(totp(key, 1_111_111_109_000, 8)).toBe('07081804');
    expect(totp(key, 1_234_567_890_000, 8)).toBe('89005924');
    expect(totp(key, 20_000_000_000_000, 8)).toBe('65353130');
    expect(base32Decode('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ').toString('ascii')).toBe('12345678901234567890');
  });
});

describe('two-factor authentication', () => {
  let bank: TestBank;
  let auditor: Customer;
  // Start mid-step, so that moving by whole steps never lands on a boundary.
  let nowMs = Math.floor(Date.now() / 30_000) * 30_000 + 10_000;
  const advance = (ms: number) => {
    nowMs += ms;
  };

  beforeAll(async () => {
    // Tokens outlive the clock moves of the lock tests.
    bank = await startTestBank({ env: { ACCESS_TOKEN_TTL_SECONDS: '86400' }, now: () => new Date(nowMs) });
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
  });
  afterAll(async () => bank.close());

  const post = (who: Customer, path: string, body: unknown) => bank.request('POST', `${API}/users/me/2fa${path}`, { token: who.token, body });
  const status = async (who: Customer) => (await bank.request('GET', `${API}/users/me/2fa`, { token: who.token })).body;
  const login = (who: Customer, otp?: string) =>
    bank.request('POST', `${API}/auth/login`, { body: { username: who.username, password: TEST_PASSWORD, ...(otp === undefined ? {} : { otp }) } });
  const auditRows = async (userId: string) => {
    const reply = await bank.request('GET', `${API}/audit-logs?target_id=${userId}&limit=100`, { token: auditor.token });
    expect(reply.status, reply.text).toBe(200);
    return reply.body.items as any[];
  };

  async function enrolled(prefix: string) {
    const user = await bank.user(uniqueName(prefix));
    const enrolment = await post(user, '/enroll', { password: TEST_PASSWORD });
    expect(enrolment.status, enrolment.text).toBe(200);
    const key = base32Decode(enrolment.body.secret);
    const confirmed = await post(user, '/confirm', { code: totp(key, nowMs) });
    expect(confirmed.status, confirmed.text).toBe(200);
    return { user, key, secret: enrolment.body.secret as string, recoveryCodes: confirmed.body.recovery_codes as string[] };
  }

  describe('enrolment', () => {
    it('returns a base32 secret, an otpauth URI with the bank as issuer, and a PNG QR code; nothing is on until confirmed', async () => {
      const asha = await bank.user(uniqueName('tfenrol'));
      expect(await status(asha)).toEqual({ enabled: false, pending: false, enabled_at: null, recovery_codes_left: 0 });
      const reply = await post(asha, '/enroll', { password: TEST_PASSWORD });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.headers['cache-control']).toBe('no-store');
      const { secret, otpauth_uri: uri, qr_code: qr } = reply.body;
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      expect(base32Decode(secret)).toHaveLength(20);

      const parsed = new URL(uri);
      expect(parsed.protocol).toBe('otpauth:');
      expect(parsed.host).toBe('totp');
      expect(decodeURIComponent(parsed.pathname)).toBe(`/Kosh Bank:${asha.username}`);
      expect(parsed.searchParams.get('secret')).toBe(secret);
      expect(parsed.searchParams.get('issuer')).toBe('Kosh Bank');
      expect(parsed.searchParams.get('algorithm') ?? 'SHA1').toBe('SHA1');
      expect(parsed.searchParams.get('digits') ?? '6').toBe('6');
      expect(parsed.searchParams.get('period') ?? '30').toBe('30');

      expect(qr).toMatch(/^data:image\/png;base64,[A-Za-z0-9+/]+=*$/);
      const png = Buffer.from(qr.slice('data:image/png;base64,'.length), 'base64');
      expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
      expect(png.length).toBeGreaterThan(200);

      expect(await status(asha)).toEqual({ enabled: false, pending: true, enabled_at: null, recovery_codes_left: 0 });
      // Pending enrolment does not change signing in.
      expect((await login(asha)).status).toBe(200);

      // The secret is stored sealed: neither its base32 nor its bytes appear in the row.
      const row = await sql<{ secret_sealed: string }>`select secret_sealed from user_two_factor where user_id = ${asha.userId}`.execute(bank.app.context.db);
      const sealed = row.rows[0]?.secret_sealed ?? '';
      expect(sealed).toMatch(/^v1\./);
      expect(sealed).not.toContain(secret);
      expect(sealed).not.toContain(base32Decode(secret).toString('hex'));
      expect(sealed).not.toContain(base32Decode(secret).toString('base64url'));
    });

    it('refuses a wrong password (403 invalid_password) and a bad body (422)', async () => {
      const asha = await bank.user(uniqueName('tfpw'));
      expectProblem(await post(asha, '/enroll', { password: 'wrong password' }), 403, 'invalid_password');
      expectUnprocessable(await post(asha, '/enroll', {}), ['validation_failed']);
      expectUnprocessable(await post(asha, '/enroll', { password: TEST_PASSWORD, secret: 'JBSWY3DPEHPK3PXP' }), ['validation_failed']);
      expect((await status(asha)).pending).toBe(false);
      expectProblem(await bank.request('POST', `${API}/users/me/2fa/enroll`, { body: { password: TEST_PASSWORD } }), 401, 'unauthenticated');
    });

    it('confirms with a current code only, returns ten recovery codes once, and refuses a second enrolment (409)', async () => {
      const asha = await bank.user(uniqueName('tfconf'));
      expectProblem(await post(asha, '/confirm', { code: '123456' }), 409, 'two_factor_not_pending');
      // A restarted enrolment replaces the first secret.
      const first = await post(asha, '/enroll', { password: TEST_PASSWORD });
      const second = await post(asha, '/enroll', { password: TEST_PASSWORD });
      expect(second.body.secret).not.toBe(first.body.secret);
      const key = base32Decode(second.body.secret);
      expectProblem(await post(asha, '/confirm', { code: totp(base32Decode(first.body.secret), nowMs) }), 403, 'otp_invalid');
      expectProblem(await post(asha, '/confirm', { code: totp(key, nowMs - 60_000) }), 403, 'otp_invalid');
      expectProblem(await post(asha, '/confirm', { code: 'abcdef' }), 403, 'otp_invalid');
      expect((await status(asha)).enabled).toBe(false);

      const confirmed = await post(asha, '/confirm', { code: totp(key, nowMs) });
      expect(confirmed.status, confirmed.text).toBe(200);
      expect(confirmed.headers['cache-control']).toBe('no-store');
      const codes: string[] = confirmed.body.recovery_codes;
      expect(codes).toHaveLength(10);
      expect(new Set(codes).size).toBe(10);
      for (const code of codes) expect(code).toMatch(/^[0-9a-hjkmnp-tv-z]{4}(-[0-9a-hjkmnp-tv-z]{4}){3}$/);
      expect(await status(asha)).toMatchObject({ enabled: true, pending: false, enabled_at: new Date(nowMs).toISOString(), recovery_codes_left: 10 });

      const stored = await sql<{ code_hash: string }>`select code_hash from user_recovery_codes where user_id = ${asha.userId}`.execute(bank.app.context.db);
      expect(stored.rows).toHaveLength(10);
      const hashes = stored.rows.map((row) => row.code_hash).join(' ');
      for (const code of codes) {
        expect(hashes).not.toContain(code);
        expect(hashes).not.toContain(code.replaceAll('-', ''));
      }

      expectProblem(await post(asha, '/enroll', { password: TEST_PASSWORD }), 409, 'two_factor_already_enabled');
      expectProblem(await post(asha, '/confirm', { code: totp(key, nowMs) }), 409, 'two_factor_already_enabled');
    });
  });

  describe('signing in', () => {
    it('needs a code once enabled: missing is 401 otp_required, wrong is 401 otp_invalid', async () => {
      const { user, key } = await enrolled('tflogin');
      advance(30_000);
      expectProblem(await login(user), 401, 'otp_required');
      expectProblem(await login(user, '000000'), 401, 'otp_invalid');
      const signedIn = await login(user, totp(key, nowMs));
      expect(signedIn.status, signedIn.text).toBe(200);
      expect(signedIn.body.access_token).toEqual(expect.any(String));
    });

    it('accepts each code once, and one step of drift either way, but not two', async () => {
      const { user, key } = await enrolled('tfreuse');
      // The confirming code is spent.
      expectProblem(await login(user, totp(key, nowMs)), 401, 'otp_invalid');
      advance(90_000);
      expectProblem(await login(user, totp(key, nowMs - 60_000)), 401, 'otp_invalid');
      expectProblem(await login(user, totp(key, nowMs + 60_000)), 401, 'otp_invalid');
      // The previous step still works (drift), once.
      const late = totp(key, nowMs - 30_000);
      expect((await login(user, late)).status).toBe(200);
      expectProblem(await login(user, late), 401, 'otp_invalid');
      // The next step works too; after it, the current step (earlier) no longer does.
      expect((await login(user, totp(key, nowMs + 30_000))).status).toBe(200);
      expectProblem(await login(user, totp(key, nowMs)), 401, 'otp_invalid');
      advance(60_000);
      expect((await login(user, totp(key, nowMs))).status).toBe(200);
    });

    it('accepts a recovery code once (any case, spaces or hyphens), and audits its use', async () => {
      const { user, recoveryCodes } = await enrolled('tfrecov');
      const [code = '', other = ''] = recoveryCodes;
      expect((await login(user, code)).status).toBe(200);
      expectProblem(await login(user, code), 401, 'otp_invalid');
      expect((await login(user, ` ${other.toUpperCase().replaceAll('-', ' ')} `)).status).toBe(200);
      expect((await status(user)).recovery_codes_left).toBe(8);
      const used = (await auditRows(user.userId)).filter((row) => row.action === 'user.recovery_code_used');
      expect(used).toHaveLength(2);
      expect(used[0]).toMatchObject({ actor_id: user.userId, target_type: 'user', after: { codes_left: 8 } });
    });

    it('ignores an otp for users without two-factor authentication', async () => {
      const asha = await bank.user(uniqueName('tfnone'));
      expect((await login(asha)).status).toBe(200);
      expect((await login(asha, '123456')).status).toBe(200);
    });
  });

  describe('turning it off and new recovery codes', () => {
    it('turns off with the password and a code; signing in needs no code after', async () => {
      const { user, key } = await enrolled('tfoff');
      advance(30_000);
      expectProblem(await post(user, '/disable', { password: 'wrong password', code: totp(key, nowMs) }), 403, 'invalid_password');
      expectProblem(await post(user, '/disable', { password: TEST_PASSWORD, code: '000000' }), 403, 'otp_invalid');
      expectUnprocessable(await post(user, '/disable', { password: TEST_PASSWORD }), ['validation_failed']);
      expect((await status(user)).enabled).toBe(true);
      const off = await post(user, '/disable', { password: TEST_PASSWORD, code: totp(key, nowMs) });
      expect(off.status, off.text).toBe(200);
      expect(off.body).toEqual({ enabled: false, pending: false, enabled_at: null, recovery_codes_left: 0 });
      expect((await login(user)).status).toBe(200);
      expectProblem(await post(user, '/disable', { password: TEST_PASSWORD, code: totp(key, nowMs) }), 409, 'two_factor_not_enabled');
      const rows = await sql`select 1 from user_recovery_codes where user_id = ${user.userId}`.execute(bank.app.context.db);
      expect(rows.rows).toEqual([]);
    });

    it('turns off with a recovery code', async () => {
      const { user, recoveryCodes } = await enrolled('tfoffrc');
      const off = await post(user, '/disable', { password: TEST_PASSWORD, code: recoveryCodes[3] });
      expect(off.status, off.text).toBe(200);
      expect((await status(user)).enabled).toBe(false);
    });

    it('replaces the recovery codes: the old ones stop working, the new ones work', async () => {
      const { user, key, recoveryCodes } = await enrolled('tfregen');
      advance(30_000);
      expectProblem(await post(user, '/recovery-codes', { password: TEST_PASSWORD, code: '111111' }), 403, 'otp_invalid');
      const fresh = await post(user, '/recovery-codes', { password: TEST_PASSWORD, code: totp(key, nowMs) });
      expect(fresh.status, fresh.text).toBe(200);
      expect(fresh.headers['cache-control']).toBe('no-store');
      const codes: string[] = fresh.body.recovery_codes;
      expect(codes).toHaveLength(10);
      expect(codes.some((code) => recoveryCodes.includes(code))).toBe(false);
      expectProblem(await login(user, recoveryCodes[0]), 401, 'otp_invalid');
      expect((await login(user, codes[0])).status).toBe(200);
      expect((await status(user)).recovery_codes_left).toBe(9);
    });

    it('locks codes after 5 wrong ones (429 two_factor_locked), even the right one, until the window passes', async () => {
      const { user, key } = await enrolled('tflock');
      advance(30_000);
      const disable = (code: string) => post(user, '/disable', { password: TEST_PASSWORD, code });
      for (const code of ['111111', '222222', '333333', '444444']) expectProblem(await disable(code), 403, 'otp_invalid');
      const fifth = await disable('555555');
      expectProblem(fifth, 429, 'two_factor_locked');
      expect(Number(fifth.headers['retry-after'])).toBe(900);
      advance(30_000);
      expectProblem(await disable(totp(key, nowMs)), 429, 'two_factor_locked');
      const [locked] = (await auditRows(user.userId)).filter((row) => row.action === 'user.two_factor_locked');
      expect(locked).toMatchObject({ actor_id: user.userId, after: { failed_attempts: 5 } });
      advance(15 * 60_000);
      const off = await disable(totp(key, nowMs));
      expect(off.status, off.text).toBe(200);
    });
  });

  it('audits every change without secrets, codes or hashes', async () => {
    const { user, key, secret, recoveryCodes } = await enrolled('tfaudit');
    expect((await login(user, recoveryCodes[1])).status).toBe(200);
    advance(30_000);
    const regenerated = await post(user, '/recovery-codes', { password: TEST_PASSWORD, code: totp(key, nowMs) });
    advance(30_000);
    const code = totp(key, nowMs);
    expect((await post(user, '/disable', { password: TEST_PASSWORD, code })).status).toBe(200);

    const actions = [
      'user.two_factor_enrollment_started',
      'user.two_factor_enabled',
      'user.recovery_code_used',
      'user.recovery_codes_regenerated',
      'user.two_factor_disabled',
    ];
    const rows = (await auditRows(user.userId)).filter((row) => actions.includes(row.action));
    expect(rows.map((row) => row.action).reverse()).toEqual(actions);
    for (const row of rows) expect(row).toMatchObject({ actor_id: user.userId, target_type: 'user', target_id: user.userId });
    const text = JSON.stringify(rows);
    const sealed = await sql<{ count: bigint }>`select count(*)::int8 as count from user_two_factor where user_id = ${user.userId}`.execute(bank.app.context.db);
    expect(sealed.rows[0]?.count).toBe(0n);
    for (const value of [secret, key.toString('hex'), code, TEST_PASSWORD, ...recoveryCodes, ...regenerated.body.recovery_codes]) {
      expect(text).not.toContain(value);
    }
    expect(text.toLowerCase()).not.toContain(secret.toLowerCase());
  });
});
