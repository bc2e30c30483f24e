/**
 * The password policy (ASVS 5.0: 8 to 128 code points, no composition rules, no common passwords,
 * nothing containing the username or email) at registration and change, and the password change:
 * old password checked, other sessions signed out, audited.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../../src/cli/seed.js';
import { DomainError } from '../../src/core/errors.js';
import { checkPasswordPolicy, commonPasswordCount } from '../../src/modules/identity/password-policy.js';
import { startTestBank, TEST_PASSWORD, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

function policyCode(password: string, identity = { username: 'asha.k', email: 'asha.kumari@example.in' }): string | undefined {
  try {
    checkPasswordPolicy(password, identity);
    return undefined;
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
}

describe('password policy', () => {
  it('refuses the common passwords of the dictionary (at least 10,000), without regard to case', () => {
    expect(commonPasswordCount()).toBeGreaterThanOrEqual(10_000);
    for (const password of ['password', 'PASSWORD', 'Password1', 'iloveyou', 'qwertyuiop', '12345678', 'passw0rd', 'sunshine', 'trustno1', 'Football']) {
      expect(policyCode(password), password).toBe('password_too_common');
    }
  });

  it('accepts the test and demo passwords, passphrases, any characters, without composition rules', () => {
    for (const password of [TEST_PASSWORD, DEMO_PASSWORD, 'all lower case words here', 'ज़रा सा लंबा पासवर्ड', '🔒🔑🗝️🔐🔒🔑🗝️🔐', '        x       ', 'Tr0ub4dor&3x']) {
      expect(policyCode(password), password).toBeUndefined();
    }
  });

  it('counts code points: 8 to 128', () => {
    expect(policyCode('abcdefg')).toBe('password_too_short');
    expect(policyCode('🔒'.repeat(7))).toBe('password_too_short');
    expect(policyCode('🔒'.repeat(8))).toBeUndefined();
    expect(policyCode('q'.repeat(128))).toBeUndefined();
    expect(policyCode('🔒'.repeat(128))).toBeUndefined();
    expect(policyCode('q'.repeat(129))).toBe('password_too_long');
  });

  it('refuses passwords containing the username or the email\'s local part, in any case', () => {
    expect(policyCode('my ASHA.K secret')).toBe('password_contains_identity');
    expect(policyCode('xxAsha.Kumarixx')).toBe('password_contains_identity');
    expect(policyCode('asha kumari is fine')).toBeUndefined();
  });

  it('explains the rule in the message and suggests 15 characters', () => {
    try {
      checkPasswordPolicy('short', { username: 'asha', email: 'a@example.in', field: 'new_password' });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(DomainError);
      expect((error as DomainError).message).toMatch(/at least 8 characters; 15 or more/);
      expect((error as DomainError).issues).toEqual([{ field: 'new_password', message: expect.any(String) }]);
    }
  });
});

describe('passwords over the API', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank();
  });
  afterAll(async () => bank.close());

  const login = (username: string, password: string) => bank.request('POST', `${API}/auth/login`, { body: { username, password } });
  const change = (token: string, body: unknown) => bank.request('PUT', `${API}/users/me/password`, { token, body });

  it('refuses a common password at registration (422 password_too_common) and creates nothing', async () => {
    const username = uniqueName('common');
    const reply = await bank.request('POST', `${API}/auth/register`, {
      body: { username, password: 'Password123', email: `${username}@example.in`, full_name: 'Common Choice' },
    });
    expectProblem(reply, 422, 'password_too_common');
    expect(reply.body.errors).toEqual([{ field: 'password', message: expect.any(String) }]);
    expectProblem(await login(username, 'Password123'), 401, 'invalid_credentials');
  });

  it('changes the password: the old one stops working, this session stays, every other session is signed out, audited', async () => {
    const customer = await bank.user(uniqueName('chg'));
    const other = await login(customer.username, TEST_PASSWORD);
    const current = await login(customer.username, TEST_PASSWORD);
    const newPassword = 'a brand new and long passphrase';
    const reply = await change(current.body.access_token, { old_password: TEST_PASSWORD, new_password: newPassword });
    expect(reply.status, reply.text).toBe(204);

    expect((await bank.request('GET', `${API}/auth/me`, { token: current.body.access_token })).status).toBe(200);
    expectProblem(await bank.request('GET', `${API}/auth/me`, { token: other.body.access_token }), 401, 'unauthenticated');
    expectProblem(await bank.request('GET', `${API}/auth/me`, { token: customer.token }), 401, 'unauthenticated');
    expectProblem(await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: other.body.refresh_token } }), 401, 'invalid_refresh_token');
    expect((await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: current.body.refresh_token } })).status).toBe(200);

    expectProblem(await login(customer.username, TEST_PASSWORD), 401, 'invalid_credentials');
    expect((await login(customer.username, newPassword)).status).toBe(200);

    const audit = await sql<any>`
      select action, actor_id, after from audit_log where target_id = ${customer.userId} and action = 'user.password_changed'`.execute(bank.app.context.db);
    expect(audit.rows).toEqual([{ action: 'user.password_changed', actor_id: customer.userId, after: { other_sessions_revoked: 2 } }]);
    expect(JSON.stringify(audit.rows)).not.toContain(newPassword);
    const revoked = await sql<{ count: bigint }>`
      select count(*)::int8 as count from sessions where user_id = ${customer.userId} and revoked_reason = 'password_changed'`.execute(bank.app.context.db);
    expect(revoked.rows[0]?.count).toBe(2n);
  });

  it('refuses a wrong old password (403 invalid_password) and a new password against the policy (422), changing nothing', async () => {
    const customer = await bank.user(uniqueName('bad'));
    const other = await login(customer.username, TEST_PASSWORD);
    expectProblem(await change(customer.token, { old_password: 'not my password', new_password: 'a brand new and long passphrase' }), 403, 'invalid_password');
    const refusals: [unknown, string][] = [
      [{ old_password: TEST_PASSWORD, new_password: 'short' }, 'password_too_short'],
      [{ old_password: TEST_PASSWORD, new_password: 'x'.repeat(129) }, 'password_too_long'],
      [{ old_password: TEST_PASSWORD, new_password: 'iloveyou' }, 'password_too_common'],
      [{ old_password: TEST_PASSWORD, new_password: `mine-${customer.username}-pass` }, 'password_contains_identity'],
    ];
    for (const [body, code] of refusals) {
      const reply = await change(customer.token, body);
      expectProblem(reply, 422, code);
      expect(reply.body.errors?.[0]?.field).toBe('new_password');
    }
    for (const body of [{}, { old_password: TEST_PASSWORD }, { new_password: 'a brand new and long passphrase' }, { old_password: TEST_PASSWORD, new_password: 'a brand new and long passphrase', extra: 1 }]) {
      expectProblem(await change(customer.token, body), 422, 'validation_failed');
    }
    expectProblem(await bank.request('PUT', `${API}/users/me/password`, { body: { old_password: TEST_PASSWORD, new_password: 'a brand new and long passphrase' } }), 401, 'unauthenticated');
    // Nothing changed: the old password and the other session still work.
    expect((await login(customer.username, TEST_PASSWORD)).status).toBe(200);
    expect((await bank.request('GET', `${API}/auth/me`, { token: other.body.access_token })).status).toBe(200);
  });
});
