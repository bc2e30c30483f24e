/**
 * Rate limits: /api/v1/auth/* per client IP, sign-in per username, money movements per user; each
 * refusal is a 429 rate_limited problem with Retry-After, changes nothing, and the next minute
 * (by the application's clock) starts afresh. 0 turns a limit off.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRateLimiter } from '../../src/platform/http/rate-limit.js';
import { startTestBank, TEST_PASSWORD, type Customer, type Reply, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, uniqueName } from './helpers.js';

// Ten seconds into a minute, so a refusal waits the other fifty.
const START = Date.parse('2030-07-01T06:00:10Z');

function expectRateLimited(reply: Reply, retryAfterSeconds: number): void {
  expectProblem(reply, 429, 'rate_limited');
  expect(reply.headers['retry-after']).toBe(String(retryAfterSeconds));
}

describe('rate limits', () => {
  let clock = new Date(START);
  let bank: TestBank;
  let asha: Customer;
  let ravi: Customer;
  let ashaAccount: any;
  let raviAccount: any;
  beforeAll(async () => {
    bank = await startTestBank({
      now: () => clock,
      env: { TRUST_PROXY: 'true', AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '5', LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '3', MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '4', CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE: '3' },
    });
    asha = await bank.user(uniqueName('asha'));
    ravi = await bank.user(uniqueName('ravi'));
    ashaAccount = await bank.openAccount(asha, 'savings');
    raviAccount = await bank.openAccount(ravi, 'savings');
  });
  afterAll(async () => bank.close());

  /** Moves the clock to ten seconds into the next minute: every window starts afresh. */
  function nextMinute(): void {
    clock = new Date((Math.floor(clock.getTime() / 60_000) + 1) * 60_000 + 10_000);
  }

  const from = (ip: string) => ({ 'x-forwarded-for': ip });

  it('limits password, PIN and one-time-code checks per user', async () => {
    nextMinute();
    const guess = (who: Customer, index: number) =>
      bank.request('PUT', `${API}/users/me/pin`, { token: who.token, body: { password: `wrong guess number ${index}`, pin: '2580' } });
    for (let index = 0; index < 3; index += 1) expectProblem(await guess(asha, index), 403, 'invalid_password');
    expectRateLimited(await guess(asha, 3), 50);
    expectRateLimited(
      await bank.request('POST', `${API}/users/me/2fa/enroll`, { token: asha.token, body: { password: TEST_PASSWORD } }),
      50,
    );
    expectRateLimited(
      await bank.request('PUT', `${API}/users/me/password`, { token: asha.token, body: { old_password: 'x'.repeat(10), new_password: 'y'.repeat(20) } }),
      50,
    );
    // Reading is not limited, and another user has a budget of their own.
    expect((await bank.request('GET', `${API}/users/me/2fa`, { token: asha.token })).status).toBe(200);
    expectProblem(await guess(ravi, 0), 403, 'invalid_password');
  });

  it('limits /api/v1/auth/* per client IP; other IPs and other routes are not affected', async () => {
    nextMinute();
    const ip = '203.0.113.7';
    const requests = [
      () => bank.request('POST', `${API}/auth/login`, { body: { username: uniqueName('nobody'), password: 'whatever it is' }, headers: from(ip) }),
      () => bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: 'garbage' }, headers: from(ip) }),
      () => bank.request('GET', `${API}/auth/me`, { token: asha.token, headers: from(ip) }),
      () => bank.request('POST', `${API}/auth/register`, { body: {}, headers: from(ip) }),
      () => bank.request('POST', `${API}/auth/login`, { body: { username: asha.username, password: TEST_PASSWORD }, headers: from(ip) }),
    ];
    for (const send of requests) expect((await send()).status).not.toBe(429);
    for (const send of requests) expectRateLimited(await send(), 50);
    // The refused sign-in did no work: with the right password it is still refused.
    expectRateLimited(await bank.request('POST', `${API}/auth/login`, { body: { username: ravi.username, password: TEST_PASSWORD }, headers: from(ip) }), 50);

    expect((await bank.request('GET', `${API}/auth/me`, { token: asha.token, headers: from('203.0.113.8') })).status).toBe(200);
    expect((await bank.request('GET', `${API}/accounts`, { token: asha.token, headers: from(ip) })).status).toBe(200);

    clock = new Date(clock.getTime() + 49_000);
    expectRateLimited(await requests[2]!(), 1);
    nextMinute();
    expect((await requests[2]!()).status).toBe(200);
  });

  it('limits sign-in attempts per username whatever the IP, without regard to case or spaces', async () => {
    nextMinute();
    const login = (username: string, ip: string, password = TEST_PASSWORD) =>
      bank.request('POST', `${API}/auth/login`, { body: { username, password }, headers: from(ip) });
    expect((await login(asha.username, '198.51.100.1', 'wrong guess one')).status).toBe(401);
    expect((await login(asha.username.toUpperCase(), '198.51.100.2', 'wrong guess two')).status).toBe(401);
    expect((await login(` ${asha.username} `, '198.51.100.3')).status).toBe(200);
    expectRateLimited(await login(asha.username, '198.51.100.4'), 50);
    // Someone else's name is unaffected from the same addresses.
    expect((await login(ravi.username, '198.51.100.4')).status).toBe(200);
    nextMinute();
    expect((await login(asha.username, '198.51.100.5')).status).toBe(200);
  });

  it('limits deposits, withdrawals and transfers per user; a refusal moves no money; reads are not limited', async () => {
    nextMinute();
    // Fresh tokens: the clock has moved past the earlier ones' lifetime.
    const aToken = (await bank.request('POST', `${API}/auth/login`, { body: { username: asha.username, password: TEST_PASSWORD }, headers: from('192.0.2.1') })).body.access_token;
    const rToken = (await bank.request('POST', `${API}/auth/login`, { body: { username: ravi.username, password: TEST_PASSWORD }, headers: from('192.0.2.2') })).body.access_token;
    const a: Customer = { ...asha, token: aToken };
    const r: Customer = { ...ravi, token: rToken };
    const moves = [
      () => bank.deposit(a, ashaAccount.id, '100.00'),
      () => bank.request('POST', `${API}/transactions/withdraw`, { token: aToken, body: { account_id: ashaAccount.id, amount: '10.00' } }),
      () => bank.request('POST', `${API}/transfers`, { token: aToken, body: { from_account_id: ashaAccount.id, to_account_number: raviAccount.number, amount: '5.00' } }),
      () => bank.deposit(a, ashaAccount.id, '1.00'),
    ];
    for (const move of moves) expect((await move()).status).toBe(201);
    const balance = await bank.balance(a, ashaAccount.id);
    expect(balance).toBe('86.00');
    for (const move of moves) expectRateLimited(await move(), 50);
    expect(await bank.balance(a, ashaAccount.id)).toBe(balance);
    expect(await bank.integrity()).toEqual([]);
    // Reads go on; another user moves money as usual.
    for (let i = 0; i < 10; i += 1) expect((await bank.request('GET', `${API}/accounts/${ashaAccount.id}/balance`, { token: aToken })).status).toBe(200);
    expect((await bank.deposit(r, raviAccount.id, '1.00')).status).toBe(201);
    nextMinute();
    expect((await bank.deposit(a, ashaAccount.id, '1.00')).status).toBe(201);
  });

  it('counts reversals by admins too', async () => {
    nextMinute();
    const admin = await bank.user(uniqueName('admin'), 'admin');
    const aToken = (await bank.request('POST', `${API}/auth/login`, { body: { username: asha.username, password: TEST_PASSWORD }, headers: from('192.0.2.9') })).body.access_token;
    const account = await fundedAccount(bank, { ...asha, token: aToken }, '50.00');
    const transfers: string[] = [];
    for (let i = 0; i < 3; i += 1) {
      const sent = await bank.request('POST', `${API}/transfers`, { token: aToken, body: { from_account_id: account.id, to_account_number: raviAccount.number, amount: '1.00' } });
      expect(sent.status, sent.text).toBe(201);
      transfers.push(sent.body.id);
    }
    const reverse = (id: string) => bank.request('POST', `${API}/admin/transfers/${id}/reverse`, { token: admin.token, body: { reason: 'test' } });
    for (let i = 0; i < 4; i += 1) {
      const reply = await reverse(transfers[i % 3]!);
      expect(reply.status, reply.text).not.toBe(429);
    }
    expectRateLimited(await reverse(transfers[0]!), 50);
  });
});

describe('rate limits turned off', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ env: { AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '0', LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '0', MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '0' } });
  });
  afterAll(async () => bank.close());

  it('refuses nothing when a limit is 0', async () => {
    const user = await bank.user(uniqueName('free'));
    const account = await bank.openAccount(user, 'savings');
    for (let i = 0; i < 12; i += 1) {
      expect((await bank.request('POST', `${API}/auth/login`, { body: { username: user.username, password: 'wrong guess here' } })).status).toBe(401);
      expect((await bank.deposit(user, account.id, '1.00')).status).toBe(201);
    }
  });
});

describe('the limiter', () => {
  it('counts per key in one-minute windows of the clock and is off at 0', () => {
    let nowMs = 120_000 + 30_000;
    const limiter = createRateLimiter({ perMinute: 2, nowMs: () => nowMs });
    expect(limiter?.hit('a')).toBeUndefined();
    expect(limiter?.hit('a')).toBeUndefined();
    expect(limiter?.hit('a')).toBe(30);
    expect(limiter?.hit('b')).toBeUndefined();
    nowMs += 29_500;
    expect(limiter?.hit('a')).toBe(1);
    nowMs += 500;
    expect(limiter?.hit('a')).toBeUndefined();
    // A clock that goes back starts a new window rather than refusing for a long time.
    nowMs = 10_000;
    expect(limiter?.hit('a')).toBeUndefined();
    expect(createRateLimiter({ perMinute: 0, nowMs: () => nowMs })).toBeUndefined();
  });

  it('keeps memory bounded: past the key cap, new keys pass unchecked', () => {
    const limiter = createRateLimiter({ perMinute: 1, nowMs: () => 0, keysMax: 3 });
    for (const key of ['a', 'b', 'c']) expect(limiter?.hit(key)).toBeUndefined();
    expect(limiter?.hit('a')).toBe(60);
    expect(limiter?.hit('d')).toBeUndefined();
    expect(limiter?.hit('d')).toBeUndefined();
  });
});
