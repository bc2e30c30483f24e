/**
 * Lockout: consecutive failed sign-ins (wrong passwords or wrong one-time codes) lock a user for a
 * while, a locked user is answered exactly like a wrong password, a success resets the count, an
 * admin can unlock. Every attempt is in the sign-in history; the lock and unlock are audited; the
 * identity events fire. The clock is the application's (moved by the test).
 *
 * The second factor is replaced by a stand-in (its own suite tests TOTP): a user marked enrolled
 * passes with the code 123456 only.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { identityEvents, type IdentityEvents } from '../../src/modules/identity/index.js';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

const enrolled = vi.hoisted(() => new Set<string>());

vi.mock('../../src/modules/identity/second-factor.js', () => ({
  async checkSecondFactor(_context: unknown, userId: string, otp: string | undefined) {
    if (!enrolled.has(userId)) return 'not_enrolled';
    if (otp === undefined) return 'missing';
    return otp === '123456' ? 'passed' : 'invalid';
  },
}));

const START = Date.parse('2030-06-01T09:00:00Z');

describe('lockout', () => {
  let clock = new Date(START);
  let bank: TestBank;
  const events: { name: keyof IdentityEvents; event: any }[] = [];
  beforeAll(async () => {
    bank = await startTestBank({ now: () => clock });
    const bus = identityEvents(bank.app.context);
    for (const name of ['login.succeeded', 'login.failed', 'user.locked'] as const) bus.on(name, (event) => void events.push({ name, event }));
  });
  afterAll(async () => bank.close());

  const login = (username: string, password: string, otp?: string, userAgent = 'lockout-test/1.0') =>
    bank.request('POST', `${API}/auth/login`, { body: { username, password, ...(otp === undefined ? {} : { otp }) }, headers: { 'user-agent': userAgent } });
  const advance = (ms: number) => {
    clock = new Date(clock.getTime() + ms);
  };

  async function attempts(userId: string): Promise<string[]> {
    const result = await sql<{ outcome: string }>`
      select outcome from login_attempts where user_id = ${userId} order by id`.execute(bank.app.context.db);
    return result.rows.map((row) => row.outcome);
  }

  async function audit(userId: string, action: string): Promise<any[]> {
    const result = await sql<any>`
      select actor_id, actor_role, before, after from audit_log where target_id = ${userId} and action = ${action} order by seq`.execute(bank.app.context.db);
    return result.rows;
  }

  it('locks after 5 consecutive wrong passwords; a locked user gets the wrong-password answer even with the right one', async () => {
    const user = await bank.user(uniqueName('lock'));
    events.length = 0;
    const wrong = await login(user.username, 'not the password');
    expectProblem(wrong, 401, 'invalid_credentials');
    for (let i = 0; i < 4; i += 1) expectProblem(await login(user.username, 'not the password'), 401, 'invalid_credentials');
    const locked = await login(user.username, TEST_PASSWORD);
    expectProblem(locked, 401, 'invalid_credentials');
    expect(locked.body).toEqual(wrong.body);
    expect(await attempts(user.userId)).toEqual(['success', 'bad_password', 'bad_password', 'bad_password', 'bad_password', 'bad_password', 'locked']);

    const [lockRow, ...more] = await audit(user.userId, 'user.locked');
    expect(more).toEqual([]);
    expect(lockRow).toMatchObject({ actor_id: null, actor_role: 'system', after: { failed_attempts: 5 } });
    expect(Date.parse(lockRow.after.locked_until)).toBe(clock.getTime() + 15 * 60_000);

    expect(events.filter((e) => e.name === 'user.locked')).toEqual([
      { name: 'user.locked', event: expect.objectContaining({ userId: user.userId, failedAttempts: 5, lockedUntil: new Date(clock.getTime() + 15 * 60_000) }) },
    ]);
    expect(events.filter((e) => e.name === 'login.failed').map((e) => e.event.outcome)).toEqual([
      'bad_password', 'bad_password', 'bad_password', 'bad_password', 'bad_password', 'locked',
    ]);
    // The sessions the user already had are not touched by the lock.
    expect((await bank.request('GET', `${API}/auth/me`, { token: user.token })).status).toBe(200);
  });

  it('lifts the lock when its time is over, and the count starts again', async () => {
    const user = await bank.user(uniqueName('expire'));
    for (let i = 0; i < 5; i += 1) await login(user.username, 'wrong wrong wrong');
    advance(15 * 60_000 - 1_000);
    expectProblem(await login(user.username, TEST_PASSWORD), 401, 'invalid_credentials');
    advance(1_000);
    const after = await login(user.username, TEST_PASSWORD);
    expect(after.status, after.text).toBe(200);
    // A new lock needs 5 new failures.
    for (let i = 0; i < 4; i += 1) await login(user.username, 'wrong wrong wrong');
    expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
  });

  it('resets the count on a successful sign-in: only consecutive failures lock', async () => {
    const user = await bank.user(uniqueName('reset'));
    for (let round = 0; round < 3; round += 1) {
      for (let i = 0; i < 4; i += 1) expectProblem(await login(user.username, 'nearly right'), 401, 'invalid_credentials');
      expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
    }
    expect(await audit(user.userId, 'user.locked')).toEqual([]);
  });

  it('records unknown users and blocked users in the history without counting them', async () => {
    const ghost = uniqueName('ghost');
    expectProblem(await login(ghost, 'whatever it is'), 401, 'invalid_credentials');
    const unknown = await sql<any>`select user_id, username, outcome, ip, user_agent from login_attempts where username = ${ghost}`.execute(bank.app.context.db);
    expect(unknown.rows).toEqual([{ user_id: null, username: ghost, outcome: 'unknown_user', ip: expect.any(String), user_agent: 'lockout-test/1.0' }]);

    const user = await bank.user(uniqueName('blocked'));
    await sql`update users set status = 'blocked' where id = ${user.userId}`.execute(bank.app.context.db);
    for (let i = 0; i < 6; i += 1) expectProblem(await login(user.username, TEST_PASSWORD), 401, 'invalid_credentials');
    expect(await attempts(user.userId)).toEqual(['success', ...Array(6).fill('blocked')]);
    await sql`update users set status = 'active' where id = ${user.userId}`.execute(bank.app.context.db);
    expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
  });

  it('asks for the one-time code without counting (401 otp_required); wrong codes count towards the lock (401 otp_invalid)', async () => {
    const user = await bank.user(uniqueName('otp'));
    enrolled.add(user.userId);
    for (let i = 0; i < 6; i += 1) expectProblem(await login(user.username, TEST_PASSWORD), 401, 'otp_required');
    // A wrong password never reveals that a code would be needed.
    expectProblem(await login(user.username, 'wrong password!'), 401, 'invalid_credentials');
    expect((await login(user.username, TEST_PASSWORD, '123456')).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expectProblem(await login(user.username, TEST_PASSWORD, '000000'), 401, 'otp_invalid');
    expectProblem(await login(user.username, TEST_PASSWORD, '123456'), 401, 'invalid_credentials');
    expect(await attempts(user.userId)).toEqual([
      'success', ...Array(6).fill('otp_required'), 'bad_password', 'success', ...Array(5).fill('otp_invalid'), 'locked',
    ]);
    expect(await audit(user.userId, 'user.locked')).toHaveLength(1);
  });

  it('tells listeners about sign-ins from a new device', async () => {
    const user = await bank.user(uniqueName('device'));
    events.length = 0;
    const firefox = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
    expect((await login(user.username, TEST_PASSWORD, undefined, firefox)).status).toBe(200);
    expect((await login(user.username, TEST_PASSWORD, undefined, firefox)).status).toBe(200);
    const succeeded = events.filter((e) => e.name === 'login.succeeded').map((e) => e.event);
    expect(succeeded).toEqual([
      expect.objectContaining({ userId: user.userId, newDevice: true, device: 'Firefox on Linux', userAgent: firefox, sessionId: expect.any(String) }),
      expect.objectContaining({ userId: user.userId, newDevice: false }),
    ]);
  });

  it('keeps answering when a listener fails', async () => {
    const user = await bank.user(uniqueName('listener'));
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.message);
    process.on('warning', onWarning);
    const off = identityEvents(bank.app.context).on('login.succeeded', () => {
      throw new Error('listener broke');
    });
    try {
      expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
      await new Promise((resolve) => setImmediate(resolve));
      expect(warnings.some((message) => message.includes('listener broke'))).toBe(true);
    } finally {
      off();
      process.off('warning', onWarning);
    }
  });

  describe('POST /admin/users/{id}/unlock', () => {
    // Signed in after the earlier tests moved the clock, so that the token is fresh.
    let admin: Customer;
    beforeAll(async () => {
      admin = await bank.user(uniqueName('admin'), 'admin');
    });
    async function lockedUser(): Promise<Customer> {
      const user = await bank.user(uniqueName('locked'));
      for (let i = 0; i < 5; i += 1) await login(user.username, 'wrong wrong wrong');
      expectProblem(await login(user.username, TEST_PASSWORD), 401, 'invalid_credentials');
      return user;
    }
    const unlock = (who: Customer | undefined, userId: string) =>
      bank.request('POST', `${API}/admin/users/${userId}/unlock`, who === undefined ? {} : { token: who.token });

    it('lets an admin or super admin lift the lock at once, audited as user.unlocked', async () => {
      for (const role of ['admin', 'super_admin'] as const) {
        const staff = role === 'admin' ? admin : await bank.user(uniqueName('super'), 'super_admin');
        const user = await lockedUser();
        const reply = await unlock(staff, user.userId);
        expect(reply.status, reply.text).toBe(204);
        expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
        const [row] = await audit(user.userId, 'user.unlocked');
        expect(row).toMatchObject({ actor_id: staff.userId, actor_role: role, before: { locked: true, failed_attempts: 0 }, after: { locked_until: null, failed_attempts: 0 } });
      }
    });

    it('clears a partial count too; unlocking an unlocked user changes and audits nothing', async () => {
      const user = await bank.user(uniqueName('partial'));
      for (let i = 0; i < 4; i += 1) await login(user.username, 'wrong wrong wrong');
      expect((await unlock(admin, user.userId)).status).toBe(204);
      // The count started again: four more failures do not lock.
      for (let i = 0; i < 4; i += 1) await login(user.username, 'wrong wrong wrong');
      expect((await login(user.username, TEST_PASSWORD)).status).toBe(200);
      expect((await unlock(admin, user.userId)).status).toBe(204);
      expect(await audit(user.userId, 'user.unlocked')).toHaveLength(1);
    });

    it('refuses auditors (403 read_only_role), customers (403 forbidden), strangers (401); unknown users are 404', async () => {
      const user = await lockedUser();
      const auditor = await bank.user(uniqueName('auditor'), 'auditor');
      const customer = await bank.user(uniqueName('cust'));
      expectProblem(await unlock(auditor, user.userId), 403, 'read_only_role');
      expectProblem(await unlock(customer, user.userId), 403, 'forbidden');
      expectProblem(await unlock(user, user.userId), 403, 'forbidden');
      expectProblem(await unlock(undefined, user.userId), 401, 'unauthenticated');
      expectProblem(await unlock(admin, '00000000-0000-7000-8000-000000000000'), 404, 'user_not_found');
      expectProblem(await unlock(admin, 'not-a-user'), 404, 'user_not_found');
      // Still locked.
      expectProblem(await login(user.username, TEST_PASSWORD), 401, 'invalid_credentials');
      expect(await audit(user.userId, 'user.unlocked')).toEqual([]);
    });
  });
});

describe('lockout turned off', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ env: { LOGIN_LOCKOUT_THRESHOLD: '0' } });
  });
  afterAll(async () => bank.close());

  it('never locks with LOGIN_LOCKOUT_THRESHOLD=0', async () => {
    const user = await bank.user(uniqueName('nolock'));
    for (let i = 0; i < 8; i += 1) {
      expectProblem(await bank.request('POST', `${API}/auth/login`, { body: { username: user.username, password: 'wrong wrong wrong' } }), 401, 'invalid_credentials');
    }
    expect((await bank.request('POST', `${API}/auth/login`, { body: { username: user.username, password: TEST_PASSWORD } })).status).toBe(200);
  });

  it('uses a shorter window when LOGIN_LOCKOUT_MINUTES says so', async () => {
    let clock = new Date(START);
    const timed = await startTestBank({ now: () => clock, env: { LOGIN_LOCKOUT_THRESHOLD: '2', LOGIN_LOCKOUT_MINUTES: '1' } });
    try {
      const user = await timed.user(uniqueName('short'));
      const login = (password: string) => timed.request('POST', `${API}/auth/login`, { body: { username: user.username, password } });
      await login('wrong wrong wrong');
      await login('wrong wrong wrong');
      expectProblem(await login(TEST_PASSWORD), 401, 'invalid_credentials');
      clock = new Date(START + 60_000);
      expect((await login(TEST_PASSWORD)).status).toBe(200);
    } finally {
      await timed.close();
    }
  });
});
