/**
 * The events a customer's actions publish through the outbox, on both databases: each fact that
 * committed appears once, addressed to the customers it concerns, with the contract's payload
 * (amounts as decimal strings, balances after the movement, masked account numbers); a refused
 * action publishes nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OutboxEvent, OutboxTopic } from '../../src/platform/outbox/index.js';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';
import { API, transfer, uniqueName, withdraw } from './helpers.js';

describe('outbox events of customer actions', () => {
  let bank: TestBank;
  let admin: Customer;
  const events: OutboxEvent[] = [];

  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_POLL_INTERVAL_MS: '50' } });
    bank.app.context.outbox.subscribe({
      name: 'eventlog',
      topics: '*',
      async handle(event) {
        events.push(event);
      },
    });
    admin = await bank.user(uniqueName('evadmin'), 'admin');
  });
  afterAll(async () => bank.app.close());

  /** The events of one topic about one user, once every pending row has been relayed and handled. */
  async function eventsOf(topic: OutboxTopic, userId: string, count = 1): Promise<OutboxEvent[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      await bank.app.context.jobs.relayPending();
      // Jobs run concurrently, so handling order is not commit order; the outbox id is.
      const found = events
        .filter((event) => event.topic === topic && event.userIds.includes(userId))
        .sort((a, b) => (BigInt(a.id) < BigInt(b.id) ? -1 : BigInt(a.id) > BigInt(b.id) ? 1 : 0));
      if (found.length >= count || Date.now() > deadline) return found;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  it('publishes registration and sign-in (a new device, then a known one), and failed sign-ins of a known user', async () => {
    const name = uniqueName('evuser');
    const user = await bank.user(name);
    const [registered] = await eventsOf('user.registered', user.userId);
    expect(registered?.payload).toEqual({ user_id: user.userId, username: name, email: expect.stringContaining('@example.in'), full_name: `Test ${name}` });
    const [first] = await eventsOf('user.signed_in', user.userId);
    expect(first?.payload).toMatchObject({ user_id: user.userId, session_id: expect.any(String), new_device: true });
    expect(first?.userIds).toEqual([user.userId]);

    const again = await bank.request('POST', `${API}/auth/login`, { body: { username: name, password: TEST_PASSWORD } });
    expect(again.status).toBe(200);
    const signIns = await eventsOf('user.signed_in', user.userId, 2);
    expect(signIns.map((event) => event.payload.new_device)).toEqual([true, false]);

    const wrong = await bank.request('POST', `${API}/auth/login`, { body: { username: name, password: 'not the password at all' } });
    expect(wrong.status).toBe(401);
    const [failed] = await eventsOf('user.sign_in_failed', user.userId);
    expect(failed?.payload).toMatchObject({ user_id: user.userId, outcome: 'bad_password' });
    // A name that names nobody concerns nobody: no event.
    const before = events.filter((event) => event.topic === 'user.sign_in_failed').length;
    await bank.request('POST', `${API}/auth/login`, { body: { username: uniqueName('nobody'), password: 'whatever it is' } });
    await bank.app.context.jobs.relayPending();
    expect(events.filter((event) => event.topic === 'user.sign_in_failed').length).toBe(before);
  });

  it('publishes the movements with their owners, amounts and balances after, and nothing for a refused one', async () => {
    const asha = await bank.user(uniqueName('evasha'));
    const ravi = await bank.user(uniqueName('evravi'));
    const from = await bank.openAccount(asha);
    const to = await bank.openAccount(ravi);
    const [opened] = await eventsOf('account.opened', asha.userId);
    expect(opened?.payload).toEqual({ account_id: from.id, user_id: asha.userId, type: 'savings', currency: 'INR' });

    expect((await bank.deposit(asha, from.id, '1000.00')).status).toBe(201);
    const [deposit] = await eventsOf('deposit.posted', asha.userId);
    expect(deposit?.payload).toEqual({
      transfer_id: expect.any(String),
      kind: 'deposit',
      account_id: from.id,
      user_id: asha.userId,
      amount: '1000.00',
      currency: 'INR',
      balance_after: '1000.00',
    });

    const sent = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: '250.50', description: 'Rent share' });
    expect(sent.status, sent.text).toBe(201);
    const [posted] = await eventsOf('transfer.posted', ravi.userId);
    expect(posted?.userIds).toEqual([asha.userId, ravi.userId]);
    expect(posted?.payload).toEqual({
      transfer_id: sent.body.id,
      kind: 'transfer',
      from_account_id: from.id,
      to_account_id: to.id,
      from_user_id: asha.userId,
      to_user_id: ravi.userId,
      amount: '250.50',
      currency: 'INR',
      from_balance_after: '749.50',
      to_balance_after: '250.50',
      description: 'Rent share',
    });
    expect(JSON.stringify(posted?.payload)).not.toContain(to.number);

    expect((await withdraw(bank, asha, from.id, '5000.00')).status).toBe(402);
    expect((await withdraw(bank, asha, from.id, '49.50')).status).toBe(201);
    const withdrawals = await eventsOf('withdrawal.posted', asha.userId);
    expect(withdrawals).toHaveLength(1);
    expect(withdrawals[0]?.payload).toMatchObject({ kind: 'withdrawal', account_id: from.id, amount: '49.50', balance_after: '700.00' });

    const reversed = await bank.request('POST', `${API}/admin/transfers/${sent.body.id}/reverse`, { token: admin.token, body: { reason: 'Wrong payee' } });
    expect(reversed.status, reversed.text).toBe(201);
    const [reversal] = await eventsOf('reversal.posted', asha.userId);
    expect(reversal?.payload).toEqual({
      transfer_id: reversed.body.id,
      reversal_of: sent.body.id,
      from_account_id: to.id,
      to_account_id: from.id,
      amount: '250.50',
      currency: 'INR',
      reason: 'Wrong payee',
    });
    expect([...(reversal?.userIds ?? [])].sort()).toEqual([asha.userId, ravi.userId].sort());
  });

  it('publishes freezes by the customer and the bank, unfreezes, closing, beneficiaries and a password change', async () => {
    const meera = await bank.user(uniqueName('evmeera'));
    const payee = await bank.user(uniqueName('evpayee'));
    const account = await bank.openAccount(meera);
    const payeeAccount = await bank.openAccount(payee);
    const freeze = (who: Customer, frozen: boolean) => bank.request('PATCH', `${API}/accounts/${account.id}/freeze`, { token: who.token, body: { frozen } });
    expect((await freeze(meera, true)).status).toBe(200);
    expect((await freeze(meera, true)).status).toBe(200); // already frozen: nothing happens
    expect((await freeze(meera, false)).status).toBe(200);
    expect((await freeze(admin, true)).status).toBe(200);
    const frozen = await eventsOf('account.frozen', meera.userId, 2);
    expect(frozen.map((event) => event.payload)).toEqual([
      { account_id: account.id, user_id: meera.userId, by: 'customer' },
      { account_id: account.id, user_id: meera.userId, by: 'bank' },
    ]);
    expect((await eventsOf('account.unfrozen', meera.userId)).map((event) => event.payload.by)).toEqual(['customer']);
    expect((await freeze(admin, false)).status).toBe(200);
    expect((await bank.request('PATCH', `${API}/accounts/${account.id}/close`, { token: meera.token })).status).toBe(200);
    expect((await eventsOf('account.closed', meera.userId))[0]?.payload).toEqual({ account_id: account.id, user_id: meera.userId });

    const saved = await bank.request('POST', `${API}/beneficiaries`, { token: meera.token, body: { name: 'Payee', account_number: payeeAccount.number } });
    expect(saved.status, saved.text).toBe(201);
    const [beneficiary] = await eventsOf('beneficiary.added', meera.userId);
    expect(beneficiary?.payload).toEqual({
      beneficiary_id: saved.body.id,
      user_id: meera.userId,
      name: 'Payee',
      account_number_masked: expect.stringMatching(/^[X*•x]+\d{4}$|\d{4}$/),
    });
    expect(JSON.stringify(beneficiary?.payload)).not.toContain(payeeAccount.number);

    const changed = await bank.request('PUT', `${API}/users/me/password`, {
      token: meera.token,
      body: { old_password: TEST_PASSWORD, new_password: 'a brand new and long passphrase' },
    });
    expect(changed.status, changed.text).toBeLessThan(300);
    expect((await eventsOf('user.password_changed', meera.userId))[0]?.payload).toEqual({ user_id: meera.userId });
  });

  it('publishes a lock with its end and the attempts that caused it', async () => {
    const name = uniqueName('evlock');
    const user = await bank.user(name);
    for (let attempt = 0; attempt < bank.app.context.config.LOGIN_LOCKOUT_THRESHOLD; attempt += 1) {
      await bank.request('POST', `${API}/auth/login`, { body: { username: name, password: 'wrong password again' } });
    }
    const [locked] = await eventsOf('user.locked', user.userId);
    expect(locked?.payload).toMatchObject({ user_id: user.userId, failed_attempts: bank.app.context.config.LOGIN_LOCKOUT_THRESHOLD, locked_until: expect.any(String) });
    expect(new Date(String(locked?.payload.locked_until)).getTime()).toBeGreaterThan(Date.now());
  });
});
