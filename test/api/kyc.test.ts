/**
 * KYC statuses and tiers: administrators decide a customer's status with a reason (audited); a
 * customer whose KYC is not verified gets a lower daily limit on every account and wallets capped
 * in balance; a verified customer gets the limits of the account types.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedDemoData } from '../../src/cli/seed.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, transfer, uniqueName, watchBalances, withdraw } from './helpers.js';

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

describe('KYC', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  let payer: Customer;
  let payerAccount: any;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
    payer = await bank.user(uniqueName('payer'));
    payerAccount = await fundedAccount(bank, payer, '100000.00');
  });
  afterAll(async () => bank.close());

  const pendingCustomer = () => bank.user(uniqueName('pending'), 'customer', { kyc: 'pending' });
  const setKyc = (who: Customer | undefined, userId: string, body: unknown) =>
    bank.request('PUT', `${API}/admin/users/${userId}/kyc`, { ...(who === undefined ? {} : { token: who.token }), body });
  const limits = async (who: Customer, accountId: string) => (await bank.request('GET', `${API}/accounts/${accountId}/limits`, { token: who.token })).body;
  const me = async (who: Customer) => (await bank.request('GET', `${API}/users/me`, { token: who.token })).body;

  describe('tiers', () => {
    it('starts a new customer pending, with the unverified daily limit on every account', async () => {
      const customer = await pendingCustomer();
      expect((await me(customer)).kyc_status).toBe('pending');
      const savings = await bank.openAccount(customer, 'savings');
      const checking = await bank.openAccount(customer, 'checking');
      const wallet = await bank.openAccount(customer, 'wallet');
      for (const account of [savings, checking, wallet]) {
        expect(account.daily_limit, account.type).toBe('10000.00');
        expect((await limits(customer, account.id)).daily_limit, account.type).toBe('10000.00');
        expect((await limits(admin, account.id)).daily_limit, account.type).toBe('10000.00');
        const listed = (await bank.request('GET', `${API}/accounts/${account.id}`, { token: customer.token })).body;
        expect(listed.daily_limit).toBe('10000.00');
      }
    });

    it('gives a verified customer the limits of the account types, and uncapped wallets', async () => {
      const customer = await bank.user(uniqueName('verified'));
      expect((await me(customer)).kyc_status).toBe('verified');
      const savings = await bank.openAccount(customer, 'savings');
      const wallet = await bank.openAccount(customer, 'wallet');
      expect(savings.daily_limit).toBe('200000.00');
      expect((await limits(customer, savings.id)).daily_limit).toBe('200000.00');
      expect((await limits(customer, wallet.id)).daily_limit).toBe('50000.00');
      expect((await bank.deposit(customer, wallet.id, '75000.00')).status).toBe(201);
      expect((await withdraw(bank, customer, wallet.id, '30000.00')).status).toBe(201);
    });

    it('refuses an unverified customer more than the daily limit (429 with Retry-After), moving nothing', async () => {
      const customer = await pendingCustomer();
      const savings = await fundedAccount(bank, customer, '15000.00');
      const other = await bank.openAccount(customer, 'checking');
      expect((await withdraw(bank, customer, savings.id, '6000.00')).status).toBe(201);
      const watch = await watchBalances(bank, [[customer, savings.id], [customer, other.id]]);
      const over = await transfer(bank, customer, { from_account_id: savings.id, to_account_id: other.id, amount: '4000.01' });
      expectProblem(over, 429, 'daily_limit_exceeded');
      expect(Number(over.headers['retry-after'])).toBeGreaterThan(0);
      expect(over.body.detail).toContain('4000.00 INR');
      expectProblem(await withdraw(bank, customer, savings.id, '4000.01'), 429, 'daily_limit_exceeded');
      await watch.expectUnchanged();
      // Up to the limit exactly is fine.
      expect((await transfer(bank, customer, { from_account_id: savings.id, to_account_id: other.id, amount: '4000.00' })).status).toBe(201);
      expectProblem(await withdraw(bank, customer, savings.id, '0.01'), 429, 'daily_limit_exceeded');
      expect(await limits(customer, savings.id)).toMatchObject({ daily_limit: '10000.00', used_today: '10000.00', remaining: '0.00' });
    });

    it('refuses a credit that would lift an unverified wallet above the cap, on its own, moving nothing', async () => {
      const customer = await pendingCustomer();
      const wallet = await bank.openAccount(customer, 'wallet');
      expect((await bank.deposit(customer, wallet.id, '9000.00')).status).toBe(201);
      const watch = await watchBalances(bank, [[customer, wallet.id], [payer, payerAccount.id]]);
      const refused = await bank.deposit(customer, wallet.id, '1000.01');
      expectProblem(refused, 409, 'wallet_balance_limit');
      expect(refused.body.detail).toContain('10000.00 INR');
      const paid = await transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: wallet.number, amount: '1000.01' });
      expectProblem(paid, 409, 'wallet_balance_limit');
      await watch.expectUnchanged();
      // Up to the cap exactly is fine; then not a paisa more.
      expect((await transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: wallet.number, amount: '1000.00' })).status).toBe(201);
      expect(await bank.balance(customer, wallet.id)).toBe('10000.00');
      expectProblem(await bank.deposit(customer, wallet.id, '0.01'), 409, 'wallet_balance_limit');
      // Money out makes room again.
      expect((await withdraw(bank, customer, wallet.id, '500.00')).status).toBe(201);
      expect((await bank.deposit(customer, wallet.id, '500.00')).status).toBe(201);
      expect(await bank.balance(customer, wallet.id)).toBe('10000.00');
      expect(await bank.integrity()).toEqual([]);
    });

    it('caps only wallets: other accounts of an unverified customer take any credit', async () => {
      const customer = await pendingCustomer();
      const savings = await bank.openAccount(customer, 'savings');
      expect((await bank.deposit(customer, savings.id, '50000.00')).status).toBe(201);
      expect((await transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: savings.number, amount: '20000.00' })).status).toBe(201);
      expect(await bank.balance(customer, savings.id)).toBe('70000.00');
    });

    it('checks the cap against the running balance of concurrent credits', async () => {
      const customer = await pendingCustomer();
      const wallet = await bank.openAccount(customer, 'wallet');
      const replies = await Promise.all([
        bank.deposit(customer, wallet.id, '6000.00'),
        bank.deposit(customer, wallet.id, '6000.00'),
        transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: wallet.number, amount: '3000.00' }),
      ]);
      const balance = await bank.balance(customer, wallet.id);
      expect(['9000.00', '6000.00']).toContain(balance);
      expect(replies.filter((reply) => reply.status === 409).every((reply) => reply.body.code === 'wallet_balance_limit')).toBe(true);
      expect(replies.filter((reply) => reply.status === 201).length).toBe(balance === '9000.00' ? 2 : 1);
      expect(await bank.integrity()).toEqual([]);
    });

    it('applies the lower of an account limit set by an admin and the tier', async () => {
      const customer = await pendingCustomer();
      const savings = await bank.openAccount(customer, 'savings');
      const setLimit = (dailyLimit: string | null) =>
        bank.request('PATCH', `${API}/admin/accounts/${savings.id}/limits`, { token: admin.token, body: { daily_limit: dailyLimit } });
      expect((await setLimit('5000.00')).body.daily_limit).toBe('5000.00');
      expect((await limits(customer, savings.id)).daily_limit).toBe('5000.00');
      expect((await setLimit('100000.00')).body.daily_limit).toBe('10000.00');
      expect((await limits(customer, savings.id)).daily_limit).toBe('10000.00');
      expect((await setKyc(admin, customer.userId, { status: 'verified', reason: 'Documents checked' })).status).toBe(200);
      expect((await limits(customer, savings.id)).daily_limit).toBe('100000.00');
    });
  });

  describe('PUT /admin/users/{id}/kyc', () => {
    it('lets an admin verify a customer, with effect on the next movement, audited', async () => {
      const customer = await pendingCustomer();
      const wallet = await bank.openAccount(customer, 'wallet');
      expect((await bank.deposit(customer, wallet.id, '10000.00')).status).toBe(201);
      expectProblem(await bank.deposit(customer, wallet.id, '1.00'), 409, 'wallet_balance_limit');

      const reply = await setKyc(admin, customer.userId, { status: 'verified', reason: '  Aadhaar and PAN checked  ' });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({
        id: customer.userId,
        kyc_status: 'verified',
        kyc_reason: 'Aadhaar and PAN checked',
        kyc_decided_by: admin.userId,
        kyc_decided_at: expect.any(String),
      });
      expect((await me(customer)).kyc_status).toBe('verified');
      expect((await limits(customer, wallet.id)).daily_limit).toBe('50000.00');
      expect((await bank.deposit(customer, wallet.id, '15000.00')).status).toBe(201);

      const rows = (await bank.request('GET', `${API}/audit-logs?action=user.kyc_updated&target_id=${customer.userId}`, { token: auditor.token })).body.items;
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor_id: admin.userId,
        actor_role: 'admin',
        target_type: 'user',
        before: { kyc_status: 'pending', kyc_reason: null },
        after: { kyc_status: 'verified', kyc_reason: 'Aadhaar and PAN checked' },
      });
    });

    it('puts a rejected customer back in the lower tier: their wallet keeps its money but takes no more', async () => {
      const customer = await bank.user(uniqueName('rejected'));
      const wallet = await fundedAccount(bank, customer, '12000.00', 'wallet');
      const reply = await setKyc(admin, customer.userId, { status: 'rejected', reason: 'Document expired' });
      expect(reply.body).toMatchObject({ kyc_status: 'rejected', kyc_reason: 'Document expired' });
      expect((await limits(customer, wallet.id)).daily_limit).toBe('10000.00');
      expectProblem(await bank.deposit(customer, wallet.id, '1.00'), 409, 'wallet_balance_limit');
      expect((await withdraw(bank, customer, wallet.id, '3000.00')).status).toBe(201);
      expect(await bank.balance(customer, wallet.id)).toBe('9000.00');
    });

    it('records a repeated decision again (a re-verification)', async () => {
      const customer = await bank.user(uniqueName('again'));
      expect((await setKyc(admin, customer.userId, { status: 'verified', reason: 'Periodic re-KYC' })).status).toBe(200);
      const rows = (await bank.request('GET', `${API}/audit-logs?action=user.kyc_updated&target_id=${customer.userId}`, { token: auditor.token })).body.items;
      // The test bank's own verification (by the system) and the admin's.
      expect(rows.map((row: any) => [row.actor_role, row.after.kyc_reason])).toEqual([
        ['admin', 'Periodic re-KYC'],
        ['system', 'Test bank customer'],
      ]);
    });

    it('is for admins only, about customers, with a status and a reason', async () => {
      const customer = await pendingCustomer();
      const other = await bank.user(uniqueName('other'));
      const body = { status: 'verified', reason: 'ok' };
      expectProblem(await setKyc(undefined, customer.userId, body), 401, 'unauthenticated');
      expectProblem(await setKyc(auditor, customer.userId, body), 403, 'read_only_role');
      expectProblem(await setKyc(customer, customer.userId, body), 403, 'forbidden');
      expectProblem(await setKyc(other, customer.userId, body), 403, 'forbidden');
      expectProblem(await setKyc(admin, UNKNOWN_UUID, body), 404, 'user_not_found');
      expectProblem(await setKyc(admin, 'not-a-uuid', body), 404, 'user_not_found');
      expectProblem(await setKyc(admin, auditor.userId, body), 409, 'not_a_customer');
      expectProblem(await setKyc(admin, admin.userId, body), 403, 'self_change_forbidden');
      expectProblem(await setKyc(admin, customer.userId, { status: 'approved', reason: 'ok' }), 422, 'validation_failed');
      expectProblem(await setKyc(admin, customer.userId, { status: 'verified' }), 422, 'validation_failed');
      expectProblem(await setKyc(admin, customer.userId, { status: 'verified', reason: '   ' }), 422, 'validation_failed');
      expectProblem(await setKyc(admin, customer.userId, { status: 'verified', reason: 'r'.repeat(501) }), 422, 'validation_failed');
      expectProblem(await setKyc(admin, customer.userId, { ...body, kyc_decided_by: admin.userId }), 422, 'validation_failed');
      expect((await me(customer)).kyc_status).toBe('pending');
      expect((await setKyc(admin, customer.userId, { status: 'verified', reason: 'r'.repeat(500) })).status).toBe(200);
    });
  });

  describe('configured tiers', () => {
    let small: TestBank;
    beforeAll(async () => {
      small = await startTestBank({ env: { KYC_UNVERIFIED_DAILY_LIMIT: '300.00', KYC_UNVERIFIED_WALLET_BALANCE_MAX: '500.00' } });
    });
    afterAll(async () => small.close());

    it("uses KYC_UNVERIFIED_DAILY_LIMIT and KYC_UNVERIFIED_WALLET_BALANCE_MAX, in each currency's units", async () => {
      const customer = await small.user(uniqueName('small'), 'customer', { kyc: 'pending' });
      const rupees = await small.openAccount(customer, 'wallet');
      const yen = await small.openAccount(customer, 'wallet', 'JPY');
      expect(rupees.daily_limit).toBe('300.00');
      expect(yen.daily_limit).toBe('300');
      expectProblem(await small.deposit(customer, rupees.id, '500.01'), 409, 'wallet_balance_limit');
      expect((await small.deposit(customer, rupees.id, '500.00')).status).toBe(201);
      expectProblem(await small.deposit(customer, yen.id, '501'), 409, 'wallet_balance_limit');
      expect((await small.deposit(customer, yen.id, '500')).status).toBe(201);
      expectProblem(await withdraw(small, customer, rupees.id, '300.01'), 429, 'daily_limit_exceeded');
      expect((await withdraw(small, customer, rupees.id, '300.00')).status).toBe(201);
    });
  });

  describe('demo data', () => {
    let demo: TestBank;
    beforeAll(async () => {
      demo = await startTestBank();
      await seedDemoData(demo.app.context);
    });
    afterAll(async () => demo.close());

    it('verifies the demo customers through recorded decisions', async () => {
      const staff = await demo.user(uniqueName('auditor'), 'auditor');
      const users = (await demo.request('GET', `${API}/admin/users?role=customer`, { token: staff.token })).body.items;
      expect(users.map((user: any) => [user.username, user.kyc_status]).sort()).toEqual([
        ['arjun', 'verified'],
        ['priya', 'verified'],
        ['rahul', 'verified'],
      ]);
      const rows = (await demo.request('GET', `${API}/audit-logs?action=user.kyc_updated`, { token: staff.token })).body.items;
      expect(rows).toHaveLength(3);
      expect(rows.every((row: any) => row.actor_id === null && row.actor_role === 'system' && row.after.kyc_status === 'verified')).toBe(true);
    });
  });
});
