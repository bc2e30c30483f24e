import { createHash } from 'node:crypto';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, TEST_PASSWORD, type TestBank } from '../support/bank.js';
import { addDays, allKeys, API, bankToday, expectNoStackTrace, expectProblem, uniqueName } from './helpers.js';

const PASSWORD = 'a long and private passphrase';

function registration(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const username = uniqueName('reg');
  return { username, password: PASSWORD, email: `${username}@example.in`, full_name: 'Asha Kumari', ...overrides };
}

function expectNoSecrets(body: unknown, text: string): void {
  expect(allKeys(body).filter((key) => /pass|hash|secret/i.test(key))).toEqual([]);
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain('$argon2');
}

function base64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

function decodePayload(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
}

describe('auth', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank();
  });
  afterAll(async () => bank.close());

  const register = (body: unknown) => bank.request('POST', `${API}/auth/register`, { body });
  const login = (body: unknown) => bank.request('POST', `${API}/auth/login`, { body });
  const me = (token?: string, headers?: Record<string, string>) =>
    bank.request('GET', `${API}/auth/me`, { ...(token === undefined ? {} : { token }), ...(headers === undefined ? {} : { headers }) });

  /** A refused registration must not have created the user: the same username registers afterwards. */
  async function expectNotCreated(username: string): Promise<void> {
    const again = await register(registration({ username, email: `${username}-retry@example.in` }));
    expect(again.status, again.text).toBe(201);
  }

  describe('POST /auth/register', () => {
    it('registers a customer and never returns the password or its hash', async () => {
      const body = registration({ phone: '9876543210', date_of_birth: '1990-05-17' });
      const reply = await register(body);
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toMatchObject({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        username: body.username,
        email: body.email,
        full_name: 'Asha Kumari',
        phone: '+919876543210',
        date_of_birth: '1990-05-17',
        role: 'customer',
        status: 'active',
        kyc_status: 'pending',
      });
      expect(Number.isNaN(Date.parse(reply.body.created_at))).toBe(false);
      expectNoSecrets(reply.body, reply.text);
    });

    it('lower-cases the username and the email, and trims the full name', async () => {
      const name = uniqueName('MiXed');
      const reply = await register(registration({ username: name.toUpperCase(), email: `${name.toUpperCase()}@Example.IN`, full_name: '  Ravi  ' }));
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body.username).toBe(name.toLowerCase());
      expect(reply.body.email).toBe(`${name.toLowerCase()}@example.in`);
      expect(reply.body.full_name).toBe('Ravi');
      expect(reply.body.phone).toBeNull();
      expect(reply.body.date_of_birth).toBeNull();
    });

    it('refuses a duplicate username or email, without regard to case', async () => {
      const first = registration();
      expect((await register(first)).status).toBe(201);
      expectProblem(await register(registration({ username: String(first.username).toUpperCase() })), 409, 'username_taken');
      expectProblem(await register(registration({ email: String(first.email).toUpperCase() })), 409, 'email_taken');
      expectProblem(await register(registration({ email: ` ${String(first.email)} ` })), 409, 'email_taken');
    });

    it.each([
      ['too short', 'ab'],
      ['too long (33)', 'a'.repeat(33)],
      ['a space', 'has space'],
      ['leading hyphen', '-leading'],
      ['leading dot', '.leading'],
      ['non-ASCII letter', 'émile'],
      ['a slash', 'a/b/c'],
      ['empty', ''],
    ])('refuses a username with %s (422 invalid_username)', async (_label, username) => {
      expectProblem(await register(registration({ username })), 422, 'invalid_username');
    });

    it('accepts usernames at the length bounds (3 and 32 characters)', async () => {
      const short = `z${String(Date.now() % 100).padStart(2, '0')}`;
      const three = await register(registration({ username: short, email: `${uniqueName('e')}@example.in` }));
      expect(three.status, three.text).toBe(201);
      const long = `${uniqueName('l')}${'x'.repeat(32)}`.slice(0, 32);
      const thirtyTwo = await register(registration({ username: long, email: `${uniqueName('e')}@example.in` }));
      expect(thirtyTwo.status, thirtyTwo.text).toBe(201);
      expect(thirtyTwo.body.username).toHaveLength(32);
    });

    it.each(['not-an-email', 'a@b', 'a@@example.in', 'a b@example.in', 'a..b@example.in', '@example.in', 'asha@', ''])(
      'refuses the email %j (422 invalid_email)',
      async (email) => {
        const body = registration({ email });
        expectProblem(await register(body), 422, 'invalid_email');
        await expectNotCreated(String(body.username));
      },
    );

    it.each([
      ['9876543210', '+919876543210'],
      ['+91 98765 43210', '+919876543210'],
      ['+91-98765-43210', '+919876543210'],
      ['09876543210', '+919876543210'],
      ['6000000000', '+916000000000'],
      ['+14155550123', '+14155550123'],
    ])('normalizes the phone %j to %j', async (phone, expected) => {
      const reply = await register(registration({ phone }));
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body.phone).toBe(expected);
    });

    it.each(['12345', '5876543210', '+91 12345 67890', '98765432101', 'phone', '+91'])('refuses the phone %j (422 invalid_phone)', async (phone) => {
      const body = registration({ phone });
      expectProblem(await register(body), 422, 'invalid_phone');
      await expectNotCreated(String(body.username));
    });

    it('refuses a date of birth in the future, today, or not a real date (422 invalid_date_of_birth)', async () => {
      const today = bankToday();
      for (const date of [addDays(today, 1), addDays(today, 400), today, '2001-02-29', '1990-13-01', '1990-00-10', '1990-1-1', 'abcd-ef-gh']) {
        const body = registration({ date_of_birth: date });
        const reply = await register(body);
        expectProblem(reply, 422, 'invalid_date_of_birth');
      }
      expect((await register(registration({ date_of_birth: '2000-02-29' }))).status).toBe(201);
      expect((await register(registration({ date_of_birth: addDays(today, -1) }))).status).toBe(201);
    });

    it('applies the password length bounds (8..128 characters)', async () => {
      expectProblem(await register(registration({ password: 'x'.repeat(7) })), 422, 'password_too_short');
      expectProblem(await register(registration({ password: '' })), 422, 'password_too_short');
      expect((await register(registration({ password: 'y'.repeat(8) }))).status).toBe(201);
      expect((await register(registration({ password: 'z'.repeat(128) }))).status).toBe(201);
      expectProblem(await register(registration({ password: 'w'.repeat(129) })), 422, 'password_too_long');
      // Length is counted in characters, not UTF-16 units or bytes.
      expect((await register(registration({ password: '🔒'.repeat(8) }))).status).toBe(201);
      expectProblem(await register(registration({ password: '🔒'.repeat(7) })), 422, 'password_too_short');
    });

    it('refuses a password containing the username or the email name', async () => {
      const username = uniqueName('ident');
      expectProblem(
        await register(registration({ username, email: `${username}@example.in`, password: `My${username.toUpperCase()}pass!` })),
        422,
        'password_contains_identity',
      );
      expectProblem(
        await register(registration({ email: 'priya.sharma@example.in', password: 'xxpriya.sharmaxx' })),
        422,
        'password_contains_identity',
      );
      await expectNotCreated(username);
    });

    it('refuses unknown fields, missing fields and wrong types (422 validation_failed)', async () => {
      const extra = registration({ role: 'admin' });
      expectProblem(await register(extra), 422, 'validation_failed');
      await expectNotCreated(String(extra.username));
      for (const field of ['username', 'password', 'email', 'full_name']) {
        const body = registration();
        delete body[field];
        expectProblem(await register(body), 422, 'validation_failed');
      }
      expectProblem(await register(registration({ username: 12345 })), 422, 'validation_failed');
      expectProblem(await register(registration({ full_name: '   ' })), 422, 'validation_failed');
      expectProblem(await register(registration({ full_name: 'x'.repeat(101) })), 422, 'validation_failed');
      expectProblem(await register([]), 422, 'validation_failed');
      expectProblem(await register('just a string'), 422, 'validation_failed');
      expectProblem(await bank.request('POST', `${API}/auth/register`), 422, 'validation_failed');
    });

    it('answers 400 malformed_json for broken JSON and 415 for other media types', async () => {
      expectProblem(await bank.request('POST', `${API}/auth/register`, { rawBody: '{"username": "asha",' }), 400, 'malformed_json');
      expectProblem(await bank.request('POST', `${API}/auth/register`, { rawBody: '{"username": "asha"} trailing' }), 400, 'malformed_json');
      expectProblem(await bank.request('POST', `${API}/auth/register`, { rawBody: "{'single': 'quotes'}" }), 400, 'malformed_json');
      expectProblem(
        await bank.request('POST', `${API}/auth/register`, { rawBody: 'username=asha', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        415,
        'unsupported_media_type',
      );
      expectProblem(
        await bank.request('POST', `${API}/auth/register`, { rawBody: JSON.stringify(registration()), headers: { 'content-type': 'text/plain' } }),
        415,
        'unsupported_media_type',
      );
    });
  });

  describe('POST /auth/login', () => {
    it('signs in with the username or the email and returns a bearer token pair', async () => {
      const body = registration();
      expect((await register(body)).status).toBe(201);
      for (const identifier of [body.username, body.email, String(body.email).toUpperCase(), ` ${String(body.username)} `]) {
        const reply = await login({ username: identifier, password: PASSWORD });
        expect(reply.status, reply.text).toBe(200);
        expect(reply.body).toEqual({
          access_token: expect.any(String),
          token_type: 'bearer',
          expires_in: expect.any(Number),
          refresh_token: expect.any(String),
        });
        expect(reply.body.expires_in).toBeGreaterThan(0);
        expectNoSecrets(reply.body, reply.text);
        expect((await me(reply.body.access_token)).status).toBe(200);
      }
    });

    it('answers an unknown user and a wrong password identically (401 invalid_credentials)', async () => {
      const body = registration();
      expect((await register(body)).status).toBe(201);
      const wrongPassword = await login({ username: body.username, password: 'not the right password' });
      const unknownUser = await login({ username: uniqueName('ghost'), password: 'not the right password' });
      expectProblem(wrongPassword, 401, 'invalid_credentials');
      expectProblem(unknownUser, 401, 'invalid_credentials');
      expect(unknownUser.body.detail).toBe(wrongPassword.body.detail);
      expect(unknownUser.body).toEqual(wrongPassword.body);
      // The password is case-sensitive.
      expectProblem(await login({ username: body.username, password: PASSWORD.toUpperCase() }), 401, 'invalid_credentials');
    });

    it('refuses malformed login bodies (422 validation_failed)', async () => {
      expectProblem(await login({ username: 'asha' }), 422, 'validation_failed');
      expectProblem(await login({ password: PASSWORD }), 422, 'validation_failed');
      expectProblem(await login({ username: '', password: PASSWORD }), 422, 'validation_failed');
      expectProblem(await login({ username: 'asha', password: '' }), 422, 'validation_failed');
      expectProblem(await login({ username: 'asha', password: PASSWORD, remember: true }), 422, 'validation_failed');
      expectProblem(await bank.request('POST', `${API}/auth/login`, { rawBody: '{' }), 400, 'malformed_json');
    });
  });

  describe('POST /auth/refresh', () => {
    it('rotates the refresh token: the new pair works; the old refresh token is refused and its reuse ends the session', async () => {
      const customer = await bank.user(uniqueName('refresh'));
      const first = await login({ username: customer.username, password: TEST_PASSWORD });
      const rotated = await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: first.body.refresh_token } });
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String), refresh_token: expect.any(String) });
      expect(rotated.body.refresh_token).not.toBe(first.body.refresh_token);
      expect(rotated.body.access_token).not.toBe(first.body.access_token);
      expect((await me(rotated.body.access_token)).body.username).toBe(customer.username);

      const again = await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: rotated.body.refresh_token } });
      expect(again.status, again.text).toBe(200);

      // Presenting a refresh token that was already exchanged revokes the whole session.
      const reused = await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: first.body.refresh_token } });
      expectProblem(reused, 401, 'invalid_refresh_token');
      expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: again.body.refresh_token } }), 401, 'invalid_refresh_token');
      expectProblem(await me(again.body.access_token), 401, 'unauthenticated');
      expect((await me(customer.token)).status).toBe(200);
    });

    it('refuses garbage and malformed refresh requests', async () => {
      expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: 'garbage' } }), 401, 'invalid_refresh_token');
      expectProblem(
        await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: 'A'.repeat(43) } }),
        401,
        'invalid_refresh_token',
      );
      expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: {} }), 422, 'validation_failed');
      expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: '' } }), 422, 'validation_failed');
      expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: 'x'.repeat(201) } }), 422, 'validation_failed');
    });
  });

  describe('POST /auth/logout', () => {
    it('ends the session: its access token and refresh token stop working, other sessions stay', async () => {
      const customer = await bank.user(uniqueName('logout'));
      const session = await login({ username: customer.username, password: TEST_PASSWORD });
      const out = await bank.request('POST', `${API}/auth/logout`, { token: session.body.access_token });
      expect(out.status, out.text).toBe(204);
      expect(out.text).toBe('');
      expectProblem(await me(session.body.access_token), 401, 'unauthenticated');
      expectProblem(
        await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: session.body.refresh_token } }),
        401,
        'invalid_refresh_token',
      );
      expectProblem(await bank.request('POST', `${API}/auth/logout`, { token: session.body.access_token }), 401, 'unauthenticated');
      // The harness's own session for this user is unaffected.
      expect((await me(customer.token)).status).toBe(200);
    });

    it('requires a token', async () => {
      expectProblem(await bank.request('POST', `${API}/auth/logout`), 401, 'unauthenticated');
    });
  });

  describe('GET /auth/me', () => {
    it('returns the signed-in user without credentials', async () => {
      const admin = await bank.user(uniqueName('meadmin'), 'admin');
      const reply = await me(admin.token);
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ id: admin.userId, username: admin.username, role: 'admin', status: 'active' });
      expectNoSecrets(reply.body, reply.text);
    });

    it('refuses missing, garbage, forged and unsigned tokens (401 unauthenticated)', async () => {
      const customer = await bank.user(uniqueName('forge'));
      const [header, payload] = customer.token.split('.') as [string, string, string];
      const claims = decodePayload(customer.token);
      const otherKey = new Uint8Array(32).fill(7);
      const headerJson = JSON.parse(Buffer.from(header, 'base64url').toString('utf8')) as { kid: string };
      const signedWithOtherKey = await new SignJWT({ role: 'customer', sid: claims.sid })
        .setProtectedHeader({ alg: 'HS256', typ: 'JWT', kid: headerJson.kid })
        .setSubject(String(claims.sub))
        .setIssuer(String(claims.iss))
        .setAudience(String(claims.aud))
        .setIssuedAt()
        .setExpirationTime('10m')
        .sign(otherKey);
      const unsigned = `${base64url({ alg: 'none', typ: 'JWT' })}.${payload}.`;
      const unsignedWithKid = `${base64url({ alg: 'none', typ: 'JWT', kid: headerJson.kid })}.${payload}.`;
      const escalated = `${header}.${base64url({ ...claims, role: 'super_admin' })}.${customer.token.split('.')[2]}`;
      const cases: [string, Record<string, string> | undefined][] = [
        ['no header', undefined],
        ['garbage', { authorization: 'Bearer garbage' }],
        ['empty bearer', { authorization: 'Bearer ' }],
        ['basic scheme', { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` }],
        ['raw token without scheme', { authorization: customer.token }],
        ['another key', { authorization: `Bearer ${signedWithOtherKey}` }],
        ['alg none', { authorization: `Bearer ${unsigned}` }],
        ['alg none with kid', { authorization: `Bearer ${unsignedWithKid}` }],
        ['tampered payload', { authorization: `Bearer ${escalated}` }],
        ['truncated signature', { authorization: `Bearer ${customer.token.slice(0, -4)}` }],
        ['huge token', { authorization: `Bearer ${'a'.repeat(5000)}` }],
      ];
      for (const [label, headers] of cases) {
        const reply = await me(undefined, headers);
        expect(reply.status, label).toBe(401);
        expectProblem(reply, 401, 'unauthenticated');
      }
      expect((await me(customer.token)).status).toBe(200);
    });
  });

  describe('tokens under a known signing secret', () => {
    const secret = 'test-secret-for-token-forgery-checks-0123456789';
    const key = new TextEncoder().encode(secret);
    const kid = createHash('sha256').update(key).digest('hex').slice(0, 16);
    let known: TestBank;
    beforeAll(async () => {
      known = await startTestBank({ env: { JWT_SECRET: secret } });
    });
    afterAll(async () => known.close());

    it('accepts a correctly signed token and refuses expired, wrong-issuer, wrong-audience, wrong-kid and other-algorithm tokens', async () => {
      const customer = await known.user(uniqueName('known'));
      const claims = decodePayload(customer.token);
      const sign = (options: { alg?: string; kid?: string; iss?: string; aud?: string; exp?: number; role?: string; sid?: unknown }) =>
        new SignJWT({ role: options.role ?? 'customer', sid: options.sid ?? claims.sid })
          .setProtectedHeader({ alg: options.alg ?? 'HS256', typ: 'JWT', kid: options.kid ?? kid })
          .setSubject(String(claims.sub))
          .setIssuer(options.iss ?? String(claims.iss))
          .setAudience(options.aud ?? String(claims.aud))
          .setIssuedAt(Math.floor(Date.now() / 1000) - 120)
          .setExpirationTime(options.exp ?? Math.floor(Date.now() / 1000) + 600)
          .sign(key);
      const meWith = (token: string) => known.request('GET', `${API}/auth/me`, { token });

      const control = await meWith(await sign({}));
      expect(control.status, control.text).toBe(200);

      const refused: [string, string][] = [
        ['expired', await sign({ exp: Math.floor(Date.now() / 1000) - 60 })],
        ['wrong issuer', await sign({ iss: 'someone-else' })],
        ['wrong audience', await sign({ aud: 'another-api' })],
        ['wrong kid', await sign({ kid: 'ffffffffffffffff' })],
        ['HS512', await sign({ alg: 'HS512' })],
        ['role not in the session', await sign({ role: 'admin' })],
        ['unknown role', await sign({ role: 'root' })],
        ['unknown session', await sign({ sid: '00000000-0000-7000-8000-000000000000' })],
      ];
      for (const [label, token] of refused) {
        const reply = await meWith(token);
        expect(reply.status, label).toBe(401);
        expectProblem(reply, 401, 'unauthenticated');
        expectNoStackTrace(reply);
      }
    });
  });
});
