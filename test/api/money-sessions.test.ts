/**
 * Money movements check the caller's session in the transfer engine, in the round trip that posts
 * them, rather than on arrival. A dead session (signed out, revoked, its user blocked) must still
 * get 401 and nothing else: no money moves, nothing is stored under its Idempotency-Key, no replay,
 * no refusal that tells whether an account exists, no PIN attempt, and nothing counted against the
 * user's rate limit.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, transfer, uniqueName, unusedAccountNumber, watchBalances } from './helpers.js';

const PIN = '739154';

describe('money movements from dead sessions', () => {
  let bank: TestBank;
  beforeAll(async () => {
    // A clock that starts a rate-limit window now and runs at real speed: the suite stays inside it.
    const started = Date.now();
    const base = Math.ceil(started / 60_000) * 60_000;
    bank = await startTestBank({
      env: { PIN_REQUIRED_ABOVE: '5000.00', MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '6' },
      now: () => new Date(base + (Date.now() - started)),
    });
  });
  afterAll(async () => bank?.close());

  /** A second session of the customer, then signed out: its access token is still well signed. */
  async function deadToken(customer: Customer): Promise<string> {
    const login = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
    expect(login.status, login.text).toBe(200);
    const token = login.body.access_token as string;
    expect((await bank.request('POST', `${API}/auth/logout`, { token })).status).toBe(204);
    return token;
  }

  async function setup(prefix: string) {
    const customer = await bank.user(uniqueName(prefix));
    const from = await fundedAccount(bank, customer, '20000.00');
    const to = await bank.openAccount(customer, 'checking');
    const payee = await bank.user(uniqueName(`${prefix}p`));
    const payeeAccount = await bank.openAccount(payee, 'savings');
    return { customer, from, to, payee, payeeAccount, dead: { ...customer, token: await deadToken(customer) } };
  }

  async function keyRows(userId: string): Promise<number> {
    const result = await sql<{ n: number }>`select count(*)::int as n from idempotency_keys where scope = ${userId}`.execute(bank.app.context.db);
    return result.rows[0]?.n ?? -1;
  }

  it('moves no money and stores nothing: deposit, withdrawal and transfer are 401', async () => {
    const { customer, from, to, payeeAccount, dead } = await setup('dsmove');
    const watch = await watchBalances(bank, [
      [customer, from.id],
      [customer, to.id],
    ]);
    const key = { 'idempotency-key': `dead-${uniqueName()}` };
    expectProblem(await bank.request('POST', `${API}/transactions/deposit`, { token: dead.token, body: { account_id: from.id, amount: '10.00' }, headers: key }), 401, 'unauthenticated');
    expectProblem(await bank.request('POST', `${API}/transactions/withdraw`, { token: dead.token, body: { account_id: from.id, amount: '10.00' } }), 401, 'unauthenticated');
    expectProblem(await transfer(bank, dead, { from_account_id: from.id, to_account_id: to.id, amount: '10.00' }, key), 401, 'unauthenticated');
    expectProblem(await transfer(bank, dead, { from_account_id: from.id, to_account_number: payeeAccount.number, amount: '10.00' }), 401, 'unauthenticated');
    await watch.expectUnchanged();
    expect(await keyRows(customer.userId)).toBe(0);
    // The key was not taken: the live session uses it for a movement of its own.
    const live = await transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '10.00' }, key);
    expect(live.status, live.text).toBe(201);
    expect(live.headers['idempotent-replayed']).toBeUndefined();
  });

  it('learns nothing about accounts or its own input: every refusal is 401', async () => {
    const { from, to, payee, payeeAccount, dead } = await setup('dsprobe');
    const payeeOwn = await fundedAccount(bank, payee, '100.00');
    const probes: Record<string, unknown>[] = [
      { from_account_id: from.id, to_account_number: unusedAccountNumber(), amount: '1.00' },
      { from_account_id: payeeOwn.id, to_account_id: to.id, amount: '1.00' },
      { from_account_id: from.id, to_account_id: payeeAccount.id, amount: '1.00' },
      { from_account_id: from.id, to_account_id: to.id, amount: 'ten' },
      { from_account_id: from.id, to_account_id: to.id, amount: '999999.00' },
      { from_account_id: from.id, amount: '1.00' },
      { nonsense: true },
    ];
    for (const body of probes) expectProblem(await transfer(bank, dead, body), 401, 'unauthenticated');
    expectProblem(await transfer(bank, dead, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' }, { 'idempotency-key': 'x'.repeat(300) }), 401, 'unauthenticated');
  });

  it('gets no replay of a movement its session made before it died', async () => {
    const { customer, from, to } = await setup('dsreplay');
    const login = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
    const token = login.body.access_token as string;
    const headers = { 'idempotency-key': `replay-${uniqueName()}` };
    const body = { from_account_id: from.id, to_account_id: to.id, amount: '25.00' };
    const first = await bank.request('POST', `${API}/transfers`, { token, body, headers });
    expect(first.status, first.text).toBe(201);
    expect((await bank.request('POST', `${API}/auth/logout`, { token })).status).toBe(204);
    expectProblem(await bank.request('POST', `${API}/transfers`, { token, body, headers }), 401, 'unauthenticated');
    // A payee deleted since would make preparing fail; the replay path checks the session too.
    expectProblem(await bank.request('POST', `${API}/transfers`, { token, body: { ...body, to_account_id: from.id }, headers }), 401, 'unauthenticated');
    const again = await transfer(bank, customer, body, headers);
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.text).toBe(first.text);
  });

  it('cannot try a transaction PIN', async () => {
    const { customer, from, payeeAccount, dead } = await setup('dspin');
    expect((await bank.request('PUT', `${API}/users/me/pin`, { token: customer.token, body: { password: TEST_PASSWORD, pin: PIN } })).status).toBe(200);
    const body = { from_account_id: from.id, to_account_number: payeeAccount.number, amount: '6000.00' };
    for (let attempt = 0; attempt < 6; attempt += 1) expectProblem(await transfer(bank, dead, { ...body, pin: '000000' }), 401, 'unauthenticated');
    const pins = await sql<{ failed_attempts: number }>`select failed_attempts from user_pins where user_id = ${customer.userId}`.execute(bank.app.context.db);
    expect(pins.rows[0]?.failed_attempts).toBe(0);
    const paid = await transfer(bank, customer, { ...body, pin: PIN });
    expect(paid.status, paid.text).toBe(201);
  });

  it('counts nothing against the user\'s rate limit', async () => {
    const { customer, from, to, dead } = await setup('dsrate');
    // setup's deposit counted once (the limit is 6 a minute).
    for (let attempt = 0; attempt < 8; attempt += 1) {
      expectProblem(await transfer(bank, dead, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' }), 401, 'unauthenticated');
    }
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 6; attempt += 1) {
      statuses.push((await transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' })).status);
    }
    expect(statuses).toEqual([201, 201, 201, 201, 201, 429]);
  });

  it('dead and live sessions of one user in the same batches: only the live ones post', async () => {
    const { customer, from, to, dead } = await setup('dsmix');
    const watch = await watchBalances(bank, [[customer, to.id]]);
    const shared = `mix-${uniqueName()}`;
    const replies = await Promise.all([
      transfer(bank, dead, { from_account_id: from.id, to_account_id: to.id, amount: '3.00' }, { 'idempotency-key': shared }),
      transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '3.00' }, { 'idempotency-key': shared }),
      transfer(bank, dead, { from_account_id: from.id, to_account_id: to.id, amount: '5.00' }),
      transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '7.00' }),
    ]);
    expect(replies.map((reply) => reply.status)).toEqual([401, 201, 401, 201]);
    expect(await bank.balance(customer, to.id)).toBe((Number(watch.before[0]) + 10).toFixed(2));
    expect(await bank.integrity()).toEqual([]);
  });

  it('still refuses a blocked user at once', async () => {
    const { customer, from, to } = await setup('dsblock');
    await sql`update users set status = 'blocked' where id = ${customer.userId}`.execute(bank.app.context.db);
    expectProblem(await transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' }), 401, 'unauthenticated');
    await sql`update users set status = 'active' where id = ${customer.userId}`.execute(bank.app.context.db);
    expect((await transfer(bank, customer, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' })).status).toBe(201);
  });
});
