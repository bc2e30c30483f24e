/**
 * Alerts evaluated after commit, end to end (PGlite and PostgreSQL): each alert type fires when it
 * should and not when it should not, at its boundaries, and customers' preferences are honoured.
 * Every check waits for the outbox and the 'notify' queue to be idle, so "no alert" means the
 * event was handled and decided against.
 */
import { Secret, TOTP } from 'otpauth';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { averageBalance } from '../../src/modules/ledger/index.js';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, fundedAccount, transfer, uniqueName, withdraw } from './helpers.js';
import { captureMessages, mailTo, notificationsOf, setPreferences, settle, typesOf, type Outbox } from './notify-helpers.js';

describe('alerts', () => {
  let bank: TestBank;
  let outbox: Outbox;

  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_POLL_INTERVAL_MS: '50', LOGIN_LOCKOUT_THRESHOLD: '3' } });
    outbox = captureMessages(bank);
  });
  afterAll(async () => bank.close());

  const count = async (customer: Customer, type: string) => (await typesOf(bank, customer)).filter((item) => item === type).length;

  async function pay(customer: Customer, from: string, toNumber: string, amount: string) {
    const reply = await transfer(bank, customer, { from_account_id: from, to_account_number: toNumber, amount });
    expect(reply.status, reply.text).toBe(201);
  }

  /** A customer with a funded account and a payee account of someone else. */
  async function world(amount: string) {
    const customer = await bank.user(uniqueName('asend'));
    const payer = await bank.user(uniqueName('apayee'));
    const account = await fundedAccount(bank, customer, amount);
    const payee = await bank.openAccount(payer, 'savings');
    // Preferences apply when an event is handled: let the funding deposit be handled first.
    await settle(bank);
    return { customer, payer, account, payee };
  }

  describe('low balance', () => {
    it('fires when a debit crosses the customer threshold, not at it, and not again while below', async () => {
      const { customer, account, payee } = await world('1000.00');
      await setPreferences(bank, customer, [{ type: 'low_balance', thresholds: [{ amount: '500.00', currency: 'INR' }] }]);
      await pay(customer, account.id, payee.number, '400.00'); // 1000.00 → 600.00
      expect(await count(customer, 'low_balance')).toBe(0);
      await pay(customer, account.id, payee.number, '100.00'); // 600.00 → 500.00: exactly at the threshold
      expect(await count(customer, 'low_balance')).toBe(0);
      await pay(customer, account.id, payee.number, '0.01'); // 500.00 → 499.99: below
      expect(await count(customer, 'low_balance')).toBe(1);
      const [alert] = (await notificationsOf(bank, customer)).filter((item) => item.type === 'low_balance');
      expect(alert.data).toMatchObject({ account_id: account.id, balance: '499.99', threshold: '500.00', basis: 'threshold', currency: 'INR' });
      expect(alert.body).toContain('₹499.99');
      expect(alert.body).toContain('your alert threshold of ₹500.00');
      const mail = (await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('Low balance'));
      expect(mail).toHaveLength(1);
      await pay(customer, account.id, payee.number, '99.99'); // 499.99 → 400.00: still below
      const cash = await withdraw(bank, customer, account.id, '100.00'); // → 300.00
      expect(cash.status, cash.text).toBe(201);
      expect(await count(customer, 'low_balance')).toBe(1);
      // Back above, then below again: a new crossing fires again.
      expect((await bank.deposit(customer, account.id, '300.00')).status).toBe(201); // → 600.00
      const again = await withdraw(bank, customer, account.id, '150.00'); // → 450.00
      expect(again.status, again.text).toBe(201);
      expect(await count(customer, 'low_balance')).toBe(2);
    });

    it('fires below 20% of the 30-day average balance without a threshold, and not above it', async () => {
      const { customer, account, payee } = await world('1000.00');
      // 1000.00 → 990.00 stays far above 20% of any average up to 1000.00.
      await pay(customer, account.id, payee.number, '10.00');
      expect(await count(customer, 'low_balance')).toBe(0);
      // 990.00 → 0.00 is below 20% of a positive average.
      await pay(customer, account.id, payee.number, '990.00');
      const alerts = (await notificationsOf(bank, customer)).filter((item) => item.type === 'low_balance');
      expect(alerts).toHaveLength(1);
      expect(alerts[0].data).toMatchObject({ balance: '0.00', basis: 'average' });
      expect(alerts[0].body).toContain('20% of its 30-day average balance');
    });

    it('does not fire on credits or for the other side of a transfer', async () => {
      const { customer, payer, account, payee } = await world('1000.00');
      await setPreferences(bank, payer, [{ type: 'low_balance', thresholds: [{ amount: '5000.00', currency: 'INR' }] }]);
      await pay(customer, account.id, payee.number, '10.00');
      expect(await count(payer, 'low_balance')).toBe(0);
    });
  });

  describe('the average balance read from the books', () => {
    it('weights balances by time, leaves out movements at or after the moment asked, and knows no unknown account', async () => {
      const customer = await bank.user(uniqueName('aavg'));
      const account = await fundedAccount(bank, customer, '1000.00');
      const db = bank.app.context.db;
      const day = 86_400_000;
      // A day from now the balance will have been 1000.00 for all but the first milliseconds.
      const average = await averageBalance(db, { accountId: account.id, asOf: new Date(Date.now() + day), days: 30 });
      expect(average).toBeGreaterThanOrEqual(99_990n);
      expect(average).toBeLessThanOrEqual(100_000n);
      // Before the account existed there is no period to average.
      expect(await averageBalance(db, { accountId: account.id, asOf: new Date(Date.now() - day), days: 30 })).toBeUndefined();
      expect(await averageBalance(db, { accountId: '00000000-0000-4000-8000-000000000000', asOf: new Date(), days: 30 })).toBeUndefined();
      // Money that left after the moment asked does not count.
      const midway = new Date();
      await new Promise((resolve) => setTimeout(resolve, 5));
      expect((await withdraw(bank, customer, account.id, '1000.00')).status).toBe(201);
      const before = await averageBalance(db, { accountId: account.id, asOf: midway, days: 30 });
      expect(before).toBeGreaterThan(0n);
      expect(before).toBeLessThanOrEqual(100_000n);
      const after = await averageBalance(db, { accountId: account.id, asOf: new Date(Date.now() + day), days: 30 });
      expect(after).toBeLessThan(1_000n);
    });
  });

  describe('large transaction', () => {
    it('fires strictly above the threshold, for money out and money in', async () => {
      const { customer, payer, account, payee } = await world('5000.00');
      await setPreferences(bank, customer, [{ type: 'large_transaction', thresholds: [{ amount: '1000.00', currency: 'INR' }] }]);
      await setPreferences(bank, payer, [{ type: 'large_transaction', thresholds: [{ amount: '1000.00', currency: 'INR' }] }]);
      await pay(customer, account.id, payee.number, '1000.00');
      expect(await count(customer, 'large_transaction')).toBe(0);
      expect(await count(payer, 'large_transaction')).toBe(0);
      await pay(customer, account.id, payee.number, '1000.01');
      expect(await count(customer, 'large_transaction')).toBe(1);
      expect(await count(payer, 'large_transaction')).toBe(1);
      const [out] = (await notificationsOf(bank, customer)).filter((item) => item.type === 'large_transaction');
      expect(out.data).toMatchObject({ direction: 'debit', amount: '1000.01', threshold: '1000.00' });
      const [incoming] = (await notificationsOf(bank, payer)).filter((item) => item.type === 'large_transaction');
      expect(incoming.data).toMatchObject({ direction: 'credit', amount: '1000.01' });
      const cash = await withdraw(bank, customer, account.id, '2000.00');
      expect(cash.status, cash.text).toBe(201);
      expect(await count(customer, 'large_transaction')).toBe(2);
    });

    it('does not fire without a threshold, or with one in another currency', async () => {
      const { customer, account, payee } = await world('100000.00');
      await pay(customer, account.id, payee.number, '90000.00');
      expect(await count(customer, 'large_transaction')).toBe(0);
      await setPreferences(bank, customer, [{ type: 'large_transaction', thresholds: [{ amount: '1.00', currency: 'USD' }] }]);
      await pay(customer, account.id, payee.number, '5000.00');
      expect(await count(customer, 'large_transaction')).toBe(0);
    });
  });

  describe('money received and sent', () => {
    it('tells the recipient, not the sender, and nobody about a move between own accounts', async () => {
      const { customer, payer, account, payee } = await world('1000.00');
      const before = await count(customer, 'money_received');
      await pay(customer, account.id, payee.number, '25.00');
      expect(await count(payer, 'money_received')).toBe(1);
      expect(await count(customer, 'money_received')).toBe(before);
      const [received] = (await notificationsOf(bank, payer)).filter((item) => item.type === 'money_received');
      expect(received.title).toBe('₹25.00 received');
      const savings = await bank.openAccount(customer, 'checking');
      await pay(customer, account.id, savings.number, '5.00');
      expect(await count(customer, 'money_received')).toBe(before);
      const sent = (await notificationsOf(bank, customer)).filter((item) => item.type === 'transfer_sent');
      expect(sent.map((item) => item.data.own_transfer)).toEqual([true, false]);
    });

    it('tells the owner about a deposit and a withdrawal', async () => {
      const customer = await bank.user(uniqueName('acash'));
      const account = await fundedAccount(bank, customer, '300.00');
      const cash = await withdraw(bank, customer, account.id, '50.00');
      expect(cash.status, cash.text).toBe(201);
      const items = await notificationsOf(bank, customer);
      expect(items.find((item) => item.type === 'money_received')?.data).toMatchObject({ kind: 'deposit', amount: '300.00', balance: '300.00' });
      expect(items.find((item) => item.type === 'transfer_sent')).toMatchObject({ title: '₹50.00 withdrawn', data: { kind: 'withdrawal', balance: '250.00' } });
    });

    it('honours the preferences of money received per channel', async () => {
      const { customer, payer, account, payee } = await world('1000.00');
      await setPreferences(bank, payer, [{ type: 'money_received', channels: { in_app: false, email: false } }]);
      await pay(customer, account.id, payee.number, '30.00');
      expect(await count(payer, 'money_received')).toBe(0);
      expect((await mailTo(bank, outbox, payer)).filter((message) => message.subject.includes('received'))).toHaveLength(0);
      await setPreferences(bank, payer, [{ type: 'money_received', channels: { email: true } }]);
      await pay(customer, account.id, payee.number, '31.00');
      expect(await count(payer, 'money_received')).toBe(0);
      expect((await mailTo(bank, outbox, payer)).filter((message) => message.subject.includes('₹31.00 received'))).toHaveLength(1);
    });
  });

  describe('sign-ins', () => {
    const login = (username: string, password: string, userAgent: string) =>
      bank.request('POST', `${API}/auth/login`, { body: { username, password }, headers: { 'user-agent': userAgent } });
    const FIREFOX = 'Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0';
    const SAFARI = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1';

    it('alerts a sign-in from a new device, not one from a known device', async () => {
      const customer = await bank.user(uniqueName('adevice'));
      const start = await count(customer, 'new_device_sign_in');
      expect((await login(customer.username, TEST_PASSWORD, FIREFOX)).status).toBe(200);
      expect(await count(customer, 'new_device_sign_in')).toBe(start + 1);
      expect((await login(customer.username, TEST_PASSWORD, FIREFOX)).status).toBe(200);
      expect(await count(customer, 'new_device_sign_in')).toBe(start + 1);
      expect((await login(customer.username, TEST_PASSWORD, SAFARI)).status).toBe(200);
      expect(await count(customer, 'new_device_sign_in')).toBe(start + 2);
      const [latest] = (await notificationsOf(bank, customer)).filter((item) => item.type === 'new_device_sign_in');
      expect(latest.title).toMatch(/^New sign-in on /);
      const mail = (await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('New sign-in'));
      expect(mail).toHaveLength(start + 2);
    });

    it('alerts failed sign-ins in the app and the lockout by e-mail too', async () => {
      const customer = await bank.user(uniqueName('alock'));
      expect(await count(customer, 'sign_in_failed')).toBe(0);
      expect((await login(customer.username, 'wrong password 1', FIREFOX)).status).toBe(401);
      expect(await count(customer, 'sign_in_failed')).toBe(1);
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('Failed sign-in'))).toHaveLength(0);
      expect(await count(customer, 'sign_in_locked')).toBe(0);
      for (const attempt of [2, 3]) expect((await login(customer.username, `wrong password ${attempt}`, FIREFOX)).status).toBe(401);
      expect(await count(customer, 'sign_in_locked')).toBe(1);
      const [locked] = (await notificationsOf(bank, customer)).filter((item) => item.type === 'sign_in_locked');
      expect(locked.data).toMatchObject({ failed_attempts: 3 });
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('Sign-in locked'))).toHaveLength(1);
      // Attempts while locked, even with the right password, add nothing: the customer was told.
      const failed = await count(customer, 'sign_in_failed');
      expect((await login(customer.username, 'wrong password 4', FIREFOX)).status).toBe(401);
      expect((await login(customer.username, TEST_PASSWORD, FIREFOX)).status).toBe(401);
      expect(await count(customer, 'sign_in_failed')).toBe(failed);
      expect(await count(customer, 'sign_in_locked')).toBe(1);
    });

    it('sends nothing about a failed sign-in with a name that belongs to nobody', async () => {
      const before = outbox.mail.length;
      expect((await login(uniqueName('nobody'), 'whatever password', FIREFOX)).status).toBe(401);
      await notificationsOf(bank, await bank.user(uniqueName('awitness')));
      expect(outbox.mail.slice(before).filter((message) => message.subject.includes('Failed sign-in'))).toHaveLength(0);
    });
  });

  describe('account and security events', () => {
    it('welcomes a new customer in the app and by e-mail', async () => {
      const username = uniqueName('awelcome');
      const email = `${username}@example.in`;
      const registered = await bank.request('POST', `${API}/auth/register`, { body: { username, password: TEST_PASSWORD, email, full_name: 'Meera <Iyer>' } });
      expect(registered.status, registered.text).toBe(201);
      const signedIn = await bank.request('POST', `${API}/auth/login`, { body: { username, password: TEST_PASSWORD } });
      const customer: Customer = { userId: registered.body.id, username, token: signedIn.body.access_token };
      expect(await count(customer, 'welcome')).toBe(1);
      const mail = (await mailTo(bank, outbox, customer)).filter((message) => message.subject === 'Kosh Bank: Welcome to Kosh Bank');
      expect(mail).toHaveLength(1);
      expect(mail[0]?.to).toBe(email);
      expect(mail[0]?.html).toContain('Meera &lt;Iyer&gt;');
    });

    it('alerts a new beneficiary', async () => {
      const { customer, payee } = await world('10.00');
      const before = await count(customer, 'beneficiary_added');
      const saved = await bank.request('POST', `${API}/beneficiaries`, { token: customer.token, body: { name: 'Ravi <Kumar>', account_number: payee.number } });
      expect(saved.status, saved.text).toBe(201);
      expect(await count(customer, 'beneficiary_added')).toBe(before + 1);
      const [alert] = (await notificationsOf(bank, customer)).filter((item) => item.type === 'beneficiary_added');
      expect(alert.data).toMatchObject({ name: 'Ravi <Kumar>', account_number_masked: `XXXX${payee.number.slice(-4)}` });
      const [mail] = (await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('New beneficiary'));
      expect(mail?.html).toContain('Ravi &lt;Kumar&gt;');
      expect(mail?.html).not.toContain('<Kumar>');
    });

    it('alerts a password change', async () => {
      const customer = await bank.user(uniqueName('apass'));
      const changed = await bank.request('PUT', `${API}/users/me/password`, { token: customer.token, body: { old_password: TEST_PASSWORD, new_password: 'a much longer new passphrase 2026' } });
      expect(changed.status, changed.text).toBe(204);
      expect(await count(customer, 'password_changed')).toBe(1);
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('Your password was changed'))).toHaveLength(1);
    });

    it('alerts two-factor authentication turned on and off', async () => {
      const customer = await bank.user(uniqueName('a2fa'));
      const enrolment = await bank.request('POST', `${API}/users/me/2fa/enroll`, { token: customer.token, body: { password: TEST_PASSWORD } });
      expect(enrolment.status, enrolment.text).toBe(200);
      const code = new TOTP({ secret: Secret.fromBase32(enrolment.body.secret) }).generate();
      const confirmed = await bank.request('POST', `${API}/users/me/2fa/confirm`, { token: customer.token, body: { code } });
      expect(confirmed.status, confirmed.text).toBe(200);
      let titles = (await notificationsOf(bank, customer)).filter((item) => item.type === 'two_factor_changed').map((item) => item.title);
      expect(titles).toEqual(['Two-factor authentication turned on']);
      // A right password waiting for its second factor is not a failed sign-in.
      const halfway = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
      expect(halfway.status, halfway.text).not.toBe(200);
      expect(await count(customer, 'sign_in_failed')).toBe(0);
      const disabled = await bank.request('POST', `${API}/users/me/2fa/disable`, { token: customer.token, body: { password: TEST_PASSWORD, code: confirmed.body.recovery_codes[0] } });
      expect(disabled.status, disabled.text).toBe(200);
      titles = (await notificationsOf(bank, customer)).filter((item) => item.type === 'two_factor_changed').map((item) => item.title);
      expect(titles).toEqual(['Two-factor authentication turned off', 'Two-factor authentication turned on']);
    });

    it('alerts an account frozen by the customer or by the bank, and unfrozen', async () => {
      const { customer, account } = await world('10.00');
      const admin = await bank.user(uniqueName('aadmin'), 'admin');
      const freeze = (caller: Customer, frozen: boolean) => bank.request('PATCH', `${API}/accounts/${account.id}/freeze`, { token: caller.token, body: { frozen } });
      expect((await freeze(customer, true)).status).toBe(200);
      expect((await freeze(customer, false)).status).toBe(200);
      expect((await freeze(admin, true)).status).toBe(200);
      const items = (await notificationsOf(bank, customer)).filter((item) => item.type.startsWith('account_'));
      expect(items.map((item) => [item.type, item.data.by])).toEqual([
        ['account_frozen', 'bank'],
        ['account_unfrozen', 'customer'],
        ['account_frozen', 'customer'],
      ]);
      expect(items[0].body).toContain('Kosh Bank froze account XXXX');
      // The admin is not the account's owner: nothing about it reaches them.
      expect((await typesOf(bank, admin)).filter((type) => type.startsWith('account_'))).toEqual([]);
    });

    it('keeps security alerts in the app when their e-mail is turned off', async () => {
      const customer = await bank.user(uniqueName('asecure'));
      await setPreferences(bank, customer, [{ type: 'password_changed', channels: { email: false, sms: false } }]);
      const changed = await bank.request('PUT', `${API}/users/me/password`, { token: customer.token, body: { old_password: TEST_PASSWORD, new_password: 'another long passphrase 2026' } });
      expect(changed.status, changed.text).toBe(204);
      expect(await count(customer, 'password_changed')).toBe(1);
      expect((await mailTo(bank, outbox, customer)).filter((message) => message.subject.includes('password'))).toHaveLength(0);
    });
  });
});
