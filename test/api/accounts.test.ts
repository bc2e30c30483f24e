import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import {
  API,
  expectProblem,
  fundedAccount,
  isCheckDigitValid,
  paise,
  transfer,
  uniqueName,
  unusedAccountNumber,
  watchBalances,
  withdraw,
} from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

describe('accounts', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  let superAdmin: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
    superAdmin = await bank.user(uniqueName('root'), 'super_admin');
  });
  afterAll(async () => bank.close());

  const open = (customer: Customer, body: unknown) => bank.request('POST', `${API}/accounts`, { token: customer.token, body });
  const get = (customer: Customer | undefined, url: string) =>
    bank.request('GET', `${API}${url}`, customer === undefined ? {} : { token: customer.token });
  const patch = (customer: Customer, url: string, body?: unknown) =>
    bank.request('PATCH', `${API}${url}`, { token: customer.token, ...(body === undefined ? {} : { body }) });

  describe('POST /accounts', () => {
    it.each([
      ['savings', '200000.00'],
      ['checking', '500000.00'],
      ['wallet', '50000.00'],
    ])('opens a %s account with a check-digit 12-digit number and the default daily limit %s', async (type, limit) => {
      const customer = await bank.user(uniqueName('open'));
      const reply = await open(customer, { type, nickname: '  Rainy day  ' });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        number: expect.stringMatching(/^[1-9][0-9]{11}$/),
        type,
        currency: 'INR',
        nickname: 'Rainy day',
        balance: '0.00',
        status: 'active',
        owner_id: customer.userId,
        daily_limit: limit,
        frozen_by_bank: false,
        created_at: expect.any(String),
        closed_at: null,
      });
      expect(isCheckDigitValid(reply.body.number)).toBe(true);
    });

    it('gives every account a distinct valid number', async () => {
      const customer = await bank.user(uniqueName('numbers'));
      const numbers = new Set<string>();
      for (let index = 0; index < 8; index += 1) {
        const account = await bank.openAccount(customer, 'wallet');
        expect(isCheckDigitValid(account.number), account.number).toBe(true);
        numbers.add(account.number);
      }
      expect(numbers.size).toBe(8);
    });

    it('stores an empty nickname as null and refuses one over 50 characters', async () => {
      const customer = await bank.user(uniqueName('nick'));
      expect((await open(customer, { type: 'wallet', nickname: '   ' })).body.nickname).toBeNull();
      expect((await open(customer, { type: 'wallet', nickname: null })).body.nickname).toBeNull();
      expect((await open(customer, { type: 'wallet', nickname: 'n'.repeat(50) })).status).toBe(201);
      expectProblem(await open(customer, { type: 'wallet', nickname: 'n'.repeat(51) }), 422, 'validation_failed');
    });

    it('refuses loan, unknown and missing types, and unknown fields (422)', async () => {
      const customer = await bank.user(uniqueName('types'));
      const loan = await open(customer, { type: 'loan' });
      expect(loan.status, loan.text).toBe(422);
      expect(['validation_failed', 'unsupported_account_type']).toContain(loan.body.code);
      expectProblem(await open(customer, { type: 'SAVINGS' }), 422, 'validation_failed');
      expectProblem(await open(customer, { type: 'fixed_deposit' }), 422, 'validation_failed');
      expectProblem(await open(customer, {}), 422, 'validation_failed');
      expectProblem(await open(customer, { type: 'savings', balance: '1000000.00' }), 422, 'validation_failed');
      expectProblem(await open(customer, { type: 'savings', owner_id: admin.userId }), 422, 'validation_failed');
      expect((await get(customer, '/accounts')).body.items).toEqual([]);
    });

    it('handles currencies by their ISO 4217 decimals and refuses unknown ones', async () => {
      const customer = await bank.user(uniqueName('fx'));
      expectProblem(await open(customer, { type: 'savings', currency: 'XYZ' }), 422, 'unsupported_currency');
      expectProblem(await open(customer, { type: 'savings', currency: 'XAU' }), 422, 'unsupported_currency');
      expectProblem(await open(customer, { type: 'savings', currency: 'XXX' }), 422, 'unsupported_currency');
      expectProblem(await open(customer, { type: 'savings', currency: 'inr' }), 422, 'validation_failed');
      expectProblem(await open(customer, { type: 'savings', currency: 'INRR' }), 422, 'validation_failed');
      expect((await get(customer, '/accounts')).body.items).toEqual([]);
      const jpy = await open(customer, { type: 'savings', currency: 'JPY' });
      expect(jpy.status, jpy.text).toBe(201);
      expect(jpy.body).toMatchObject({ currency: 'JPY', balance: '0', daily_limit: '200000' });
      const kwd = await open(customer, { type: 'wallet', currency: 'KWD' });
      expect(kwd.status, kwd.text).toBe(201);
      expect(kwd.body).toMatchObject({ currency: 'KWD', balance: '0.000', daily_limit: '50000.000' });
      const inr = await open(customer, { type: 'checking', currency: 'INR' });
      expect(inr.body).toMatchObject({ currency: 'INR', balance: '0.00' });
    });

    it('lets only customers open accounts', async () => {
      expectProblem(await open(auditor, { type: 'savings' }), 403, 'read_only_role');
      expectProblem(await open(admin, { type: 'savings' }), 403, 'forbidden');
      expectProblem(await open(superAdmin, { type: 'savings' }), 403, 'forbidden');
      expectProblem(await bank.request('POST', `${API}/accounts`, { body: { type: 'savings' } }), 401, 'unauthenticated');
      for (const staff of [auditor, admin, superAdmin]) {
        expect((await get(admin, `/accounts?owner_id=${staff.userId}`)).body.items).toEqual([]);
      }
      expect(await bank.integrity()).toEqual([]);
    });

    it('caps a customer at 20 open accounts; closing one frees a place', async () => {
      const customer = await bank.user(uniqueName('cap'));
      const opened: any[] = [];
      for (let index = 0; index < 20; index += 1) opened.push(await bank.openAccount(customer, 'wallet'));
      expectProblem(await open(customer, { type: 'savings' }), 409, 'account_limit_reached');
      expectProblem(await open(customer, { type: 'wallet', currency: 'JPY' }), 409, 'account_limit_reached');
      const listed = await get(customer, '/accounts?limit=100');
      expect(listed.body.items).toHaveLength(20);
      expect((await patch(customer, `/accounts/${opened[0].id}/close`)).status).toBe(200);
      expect((await open(customer, { type: 'savings' })).status).toBe(201);
      expectProblem(await open(customer, { type: 'savings' }), 409, 'account_limit_reached');
      expect(await bank.integrity()).toEqual([]);
    });
  });

  describe('GET /accounts', () => {
    let owner: Customer;
    let other: Customer;
    let ownerAccounts: any[];
    let otherAccount: any;
    beforeAll(async () => {
      owner = await bank.user(uniqueName('lister'));
      other = await bank.user(uniqueName('listother'));
      ownerAccounts = [];
      for (const type of ['savings', 'checking', 'wallet', 'savings', 'wallet'] as const) ownerAccounts.push(await bank.openAccount(owner, type));
      ownerAccounts.push(await bank.openAccount(owner, 'wallet', 'JPY'));
      otherAccount = await bank.openAccount(other, 'savings');
    });

    it('shows a customer only their own accounts, newest first, whatever owner_id says', async () => {
      const reply = await get(owner, '/accounts');
      expect(reply.status).toBe(200);
      expect(reply.body.next_cursor).toBeNull();
      expect(reply.body.items.map((account: any) => account.id)).toEqual([...ownerAccounts].reverse().map((account) => account.id));
      expect(reply.body.items.every((account: any) => account.owner_id === owner.userId)).toBe(true);
      const spoofed = await get(owner, `/accounts?owner_id=${other.userId}`);
      expect(spoofed.status).toBe(200);
      expect(spoofed.body.items.map((account: any) => account.id)).not.toContain(otherAccount.id);
      expect(spoofed.body.items.every((account: any) => account.owner_id === owner.userId)).toBe(true);
      const byNumber = await get(owner, `/accounts?number=${otherAccount.number}`);
      expect(byNumber.body.items).toEqual([]);
    });

    it('lets staff see every account, with filters', async () => {
      for (const staff of [auditor, admin]) {
        const byOwner = await get(staff, `/accounts?owner_id=${owner.userId}&limit=100`);
        expect(byOwner.status).toBe(200);
        expect(byOwner.body.items).toHaveLength(ownerAccounts.length);
        const wallets = await get(staff, `/accounts?owner_id=${owner.userId}&type=wallet`);
        expect(wallets.body.items).toHaveLength(3);
        expect(wallets.body.items.every((account: any) => account.type === 'wallet')).toBe(true);
        const yen = await get(staff, `/accounts?owner_id=${owner.userId}&currency=JPY`);
        expect(yen.body.items.map((account: any) => account.id)).toEqual([ownerAccounts[5].id]);
        const exact = await get(staff, `/accounts?number=${otherAccount.number}`);
        expect(exact.body.items.map((account: any) => account.id)).toEqual([otherAccount.id]);
        const prefix = otherAccount.number.slice(0, 3);
        const byPrefix = await get(staff, `/accounts?number=${prefix}&limit=100`);
        expect(byPrefix.body.items.map((account: any) => account.id)).toContain(otherAccount.id);
        // Staff see other customers' account numbers masked; the owner sees each one whole.
        expect(byPrefix.body.items.every((account: any) => /^XXXX[0-9]{4}$/.test(account.number))).toBe(true);
        expect(exact.body.items[0].number).toBe(`XXXX${otherAccount.number.slice(-4)}`);
        const unknownOwner = await get(staff, `/accounts?owner_id=${UNKNOWN_UUID}`);
        expect(unknownOwner.body.items).toEqual([]);
        const all = await get(staff, '/accounts?limit=100');
        const ids = all.body.items.map((account: any) => account.id);
        expect(ids).toContain(otherAccount.id);
        expect(ids).toContain(ownerAccounts[0].id);
      }
    });

    it('filters by status (frozen, closed)', async () => {
      const customer = await bank.user(uniqueName('status'));
      const frozen = await bank.openAccount(customer, 'savings');
      const closed = await bank.openAccount(customer, 'savings');
      await bank.openAccount(customer, 'savings');
      expect((await patch(customer, `/accounts/${frozen.id}/freeze`, { frozen: true })).status).toBe(200);
      expect((await patch(customer, `/accounts/${closed.id}/close`)).status).toBe(200);
      const onlyFrozen = await get(customer, '/accounts?status=frozen');
      expect(onlyFrozen.body.items.map((account: any) => account.id)).toEqual([frozen.id]);
      const onlyClosed = await get(admin, `/accounts?owner_id=${customer.userId}&status=closed`);
      expect(onlyClosed.body.items.map((account: any) => account.id)).toEqual([closed.id]);
      expect(onlyClosed.body.items[0]).toMatchObject({ status: 'closed', closed_at: expect.any(String) });
      expect((await get(customer, '/accounts?status=active')).body.items).toHaveLength(1);
    });

    it('pages through a status filter without gaps or duplicates', async () => {
      const customer = await bank.user(uniqueName('statuspage'));
      const frozenIds: string[] = [];
      for (let index = 0; index < 7; index += 1) {
        const account = await bank.openAccount(customer, 'wallet');
        if (index % 3 !== 1) {
          expect((await patch(customer, `/accounts/${account.id}/freeze`, { frozen: true })).status).toBe(200);
          frozenIds.unshift(account.id);
        }
      }
      for (const limit of [1, 2, 3]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const reply: any = await get(admin, `/accounts?owner_id=${customer.userId}&status=frozen&limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
          expect(reply.status, reply.text).toBe(200);
          expect(reply.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...reply.body.items.map((account: any) => account.id));
          cursor = reply.body.next_cursor;
          pages += 1;
          expect(pages).toBeLessThan(20);
        } while (cursor !== null);
        expect(seen).toEqual(frozenIds);
      }
    });

    it('pages with a stable cursor: no duplicates, no gaps, newest first', async () => {
      for (const limit of [1, 2, 4]) {
        const seen: string[] = [];
        let cursor: string | null = null;
        let pages = 0;
        do {
          const reply: any = await get(owner, `/accounts?limit=${limit}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
          expect(reply.status, reply.text).toBe(200);
          expect(reply.body.items.length).toBeLessThanOrEqual(limit);
          seen.push(...reply.body.items.map((account: any) => account.id));
          cursor = reply.body.next_cursor;
          pages += 1;
          expect(pages).toBeLessThan(20);
        } while (cursor !== null);
        expect(seen).toEqual([...ownerAccounts].reverse().map((account) => account.id));
      }
    });

    it('refuses bad paging and filter parameters (422)', async () => {
      expectProblem(await get(owner, '/accounts?limit=0'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?limit=101'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?limit=-1'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?limit=abc'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?limit=1.5'), 422, 'validation_failed');
      expect((await get(owner, '/accounts?limit=100')).status).toBe(200);
      expectProblem(await get(owner, '/accounts?cursor=garbage'), 422, 'invalid_cursor');
      expectProblem(await get(owner, `/accounts?cursor=${Buffer.from('k1:-5').toString('base64url')}`), 422, 'invalid_cursor');
      expectProblem(await get(owner, '/accounts?type=loanx'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?status=dormant'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?currency=inr'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?number=12ab'), 422, 'validation_failed');
      expectProblem(await get(owner, '/accounts?sort=balance'), 422, 'validation_failed');
      expectProblem(await get(undefined, '/accounts'), 401, 'unauthenticated');
    });

    it('refuses a forged cursor past the 64-bit range as invalid_cursor', async () => {
      const huge = Buffer.from('k1:9999999999999999999').toString('base64url');
      expectProblem(await get(owner, `/accounts?cursor=${huge}`), 422, 'invalid_cursor');
    });
  });

  describe('GET /accounts/{id}, /balance and /limits', () => {
    it('shows the account with its ten latest transactions, newest first, with signed amounts and running balances', async () => {
      const customer = await bank.user(uniqueName('detail'));
      const account = await bank.openAccount(customer, 'savings');
      for (let index = 1; index <= 8; index += 1) expect((await bank.deposit(customer, account.id, `${index}00.00`)).status).toBe(201);
      expect((await withdraw(bank, customer, account.id, '150.00')).status).toBe(201);
      const other = await bank.openAccount(customer, 'wallet');
      expect((await transfer(bank, customer, { from_account_id: account.id, to_account_id: other.id, amount: '50.25' })).status).toBe(201);
      expect((await bank.deposit(customer, account.id, '0.01')).status).toBe(201);
      expect((await bank.deposit(customer, account.id, '0.02')).status).toBe(201);

      const reply = await get(customer, `/accounts/${account.id}`);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ id: account.id, number: account.number, balance: '3399.78', status: 'active' });
      const recent = reply.body.recent_transactions as any[];
      expect(recent).toHaveLength(10);
      expect(recent[0]).toMatchObject({ type: 'deposit', amount: '0.02', balance: '3399.78' });
      expect(recent[1]).toMatchObject({ type: 'deposit', amount: '0.01', balance: '3399.76' });
      expect(recent[2]).toMatchObject({ type: 'transfer', amount: '-50.25', balance: '3399.75' });
      expect(recent[3]).toMatchObject({ type: 'withdrawal', amount: '-150.00', balance: '3450.00' });
      for (let index = 0; index < recent.length - 1; index += 1) {
        const current = recent[index];
        const older = recent[index + 1];
        expect(paise(older.balance) + paise(current.amount)).toBe(paise(current.balance));
        expect(Date.parse(current.date)).toBeGreaterThanOrEqual(Date.parse(older.date));
      }
      // The oldest deposit (100.00) fell off the list of ten.
      expect(recent.at(-1)).toMatchObject({ type: 'deposit', amount: '300.00', balance: '600.00' });
    });

    it('returns 404 account_not_found for another customer, an unknown id or a non-uuid id', async () => {
      const owner = await bank.user(uniqueName('hide'));
      const stranger = await bank.user(uniqueName('stranger'));
      const account = await fundedAccount(bank, owner, '10.00');
      for (const suffix of ['', '/balance', '/limits', '/statement']) {
        expectProblem(await get(stranger, `/accounts/${account.id}${suffix}`), 404, 'account_not_found');
        expectProblem(await get(owner, `/accounts/${UNKNOWN_UUID}${suffix}`), 404, 'account_not_found');
        expectProblem(await get(owner, `/accounts/not-a-uuid${suffix}`), 404, 'account_not_found');
        expectProblem(await get(undefined, `/accounts/${account.id}${suffix}`), 401, 'unauthenticated');
      }
      expectProblem(await get(owner, `/accounts/${'x'.repeat(101)}`), 422, 'validation_failed');
    });

    it('lets auditors and admins read any account', async () => {
      const owner = await bank.user(uniqueName('staffread'));
      const account = await fundedAccount(bank, owner, '42.00');
      for (const staff of [auditor, admin, superAdmin]) {
        expect((await get(staff, `/accounts/${account.id}`)).body).toMatchObject({ id: account.id, balance: '42.00' });
        expect((await get(staff, `/accounts/${account.id}/balance`)).body).toMatchObject({ balance: '42.00' });
        expect((await get(staff, `/accounts/${account.id}/limits`)).status).toBe(200);
      }
    });

    it('returns the balance', async () => {
      const owner = await bank.user(uniqueName('bal'));
      const account = await fundedAccount(bank, owner, '1234.50');
      const reply = await get(owner, `/accounts/${account.id}/balance`);
      expect(reply.status).toBe(200);
      expect(reply.body).toEqual({ account_id: account.id, currency: 'INR', balance: '1234.50', status: 'active', as_of: expect.any(String) });
      const yen = await bank.openAccount(owner, 'wallet', 'JPY');
      expect((await bank.deposit(owner, yen.id, '500')).status).toBe(201);
      expect((await get(owner, `/accounts/${yen.id}/balance`)).body).toMatchObject({ currency: 'JPY', balance: '500' });
    });

    it('reports the daily limit, what withdrawals and outgoing transfers used today, and the reset at midnight IST', async () => {
      const owner = await bank.user(uniqueName('limits'));
      const payee = await bank.user(uniqueName('limpayee'));
      const account = await fundedAccount(bank, owner, '5000.00', 'wallet');
      const own = await bank.openAccount(owner, 'savings');
      const theirs = await bank.openAccount(payee, 'savings');
      const fresh = await get(owner, `/accounts/${account.id}/limits`);
      expect(fresh.status).toBe(200);
      expect(fresh.body).toEqual({
        account_id: account.id,
        currency: 'INR',
        daily_limit: '50000.00',
        used_today: '0.00',
        remaining: '50000.00',
        resets_at: expect.any(String),
      });
      const resetsAt = Date.parse(fresh.body.resets_at);
      expect(resetsAt).toBeGreaterThan(Date.now());
      expect(resetsAt - Date.now()).toBeLessThanOrEqual(86_400_000);
      // Midnight in Asia/Kolkata (UTC+05:30) is 18:30 UTC.
      expect(fresh.body.resets_at).toMatch(/T18:30:00(\.000)?Z$/);

      expect((await withdraw(bank, owner, account.id, '100.00')).status).toBe(201);
      expect((await transfer(bank, owner, { from_account_id: account.id, to_account_id: own.id, amount: '25.50' })).status).toBe(201);
      expect((await transfer(bank, owner, { from_account_id: account.id, to_account_number: theirs.number, amount: '10.00' })).status).toBe(201);
      // Money in does not count.
      expect((await bank.deposit(owner, account.id, '999.00')).status).toBe(201);
      expect((await bank.deposit(payee, theirs.id, '100.00')).status).toBe(201);
      expect((await transfer(bank, payee, { from_account_id: theirs.id, to_account_number: account.number, amount: '30.00' })).status).toBe(201);
      // A refused withdrawal does not count either.
      expect((await withdraw(bank, owner, account.id, '100000.00')).status).toBe(429);
      const used = await get(owner, `/accounts/${account.id}/limits`);
      expect(used.body).toMatchObject({ daily_limit: '50000.00', used_today: '135.50', remaining: '49864.50' });
      const incoming = await get(payee, `/accounts/${theirs.id}/limits`);
      expect(incoming.body).toMatchObject({ used_today: '30.00', remaining: '199970.00' });
    });
  });

  describe('PATCH /accounts/{id}/freeze', () => {
    it('lets the owner freeze and unfreeze; a frozen account neither sends nor receives', async () => {
      const owner = await bank.user(uniqueName('freezer'));
      const payer = await bank.user(uniqueName('payer'));
      const account = await fundedAccount(bank, owner, '1000.00');
      const sibling = await fundedAccount(bank, owner, '1000.00', 'checking');
      const payerAccount = await fundedAccount(bank, payer, '1000.00');

      const frozen = await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true });
      expect(frozen.status, frozen.text).toBe(200);
      expect(frozen.body).toMatchObject({ id: account.id, status: 'frozen', frozen_by_bank: false, balance: '1000.00' });
      expect((await get(owner, `/accounts/${account.id}/balance`)).body.status).toBe('frozen');
      // Freezing again changes nothing.
      expect((await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true })).body.status).toBe('frozen');

      const watch = await watchBalances(bank, [
        [owner, account.id],
        [owner, sibling.id],
        [payer, payerAccount.id],
      ]);
      expectProblem(await bank.deposit(owner, account.id, '10.00'), 409, 'account_frozen');
      expectProblem(await withdraw(bank, owner, account.id, '10.00'), 409, 'account_frozen');
      expectProblem(await transfer(bank, owner, { from_account_id: account.id, to_account_id: sibling.id, amount: '10.00' }), 409, 'account_frozen');
      expectProblem(await transfer(bank, owner, { from_account_id: sibling.id, to_account_id: account.id, amount: '10.00' }), 409, 'account_frozen');
      expectProblem(
        await transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: account.number, amount: '10.00' }),
        409,
        'account_frozen',
      );
      await watch.expectUnchanged();

      const thawed = await patch(owner, `/accounts/${account.id}/freeze`, { frozen: false });
      expect(thawed.status).toBe(200);
      expect(thawed.body).toMatchObject({ status: 'active', frozen_by_bank: false });
      expect((await patch(owner, `/accounts/${account.id}/freeze`, { frozen: false })).body.status).toBe('active');
      expect((await bank.deposit(owner, account.id, '10.00')).status).toBe(201);
      expect((await transfer(bank, owner, { from_account_id: account.id, to_account_id: sibling.id, amount: '10.00' })).status).toBe(201);
      expect(await bank.balance(owner, account.id)).toBe('1000.00');
    });

    it('keeps an account frozen by the bank frozen until the bank unfreezes it', async () => {
      const owner = await bank.user(uniqueName('bankfrz'));
      const account = await fundedAccount(bank, owner, '500.00');
      const byBank = await patch(admin, `/accounts/${account.id}/freeze`, { frozen: true });
      expect(byBank.status, byBank.text).toBe(200);
      expect(byBank.body).toMatchObject({ status: 'frozen', frozen_by_bank: true });
      const watch = await watchBalances(bank, [[owner, account.id]]);
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: false }), 403, 'frozen_by_bank');
      expect((await get(owner, `/accounts/${account.id}`)).body).toMatchObject({ status: 'frozen', frozen_by_bank: true });
      expectProblem(await withdraw(bank, owner, account.id, '1.00'), 409, 'account_frozen');
      await watch.expectUnchanged();
      const thawed = await patch(superAdmin, `/accounts/${account.id}/freeze`, { frozen: false });
      expect(thawed.body).toMatchObject({ status: 'active', frozen_by_bank: false });
      expect((await withdraw(bank, owner, account.id, '1.00')).status).toBe(201);
    });

    it('marks an account the customer froze as frozen by the bank once an admin freezes it too', async () => {
      const owner = await bank.user(uniqueName('bothfrz'));
      const account = await fundedAccount(bank, owner, '50.00');
      expect((await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true })).body).toMatchObject({ status: 'frozen', frozen_by_bank: false });
      const byBank = await patch(admin, `/accounts/${account.id}/freeze`, { frozen: true });
      expect(byBank.status, byBank.text).toBe(200);
      expect(byBank.body).toMatchObject({ status: 'frozen', frozen_by_bank: true });
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: false }), 403, 'frozen_by_bank');
      expect((await get(owner, `/accounts/${account.id}`)).body.status).toBe('frozen');
    });

    it('refuses auditors, strangers and malformed bodies', async () => {
      const owner = await bank.user(uniqueName('frzrefuse'));
      const stranger = await bank.user(uniqueName('frzstranger'));
      const account = await fundedAccount(bank, owner, '25.00');
      const watch = await watchBalances(bank, [[owner, account.id]]);
      expectProblem(await patch(auditor, `/accounts/${account.id}/freeze`, { frozen: true }), 403, 'read_only_role');
      expectProblem(await patch(stranger, `/accounts/${account.id}/freeze`, { frozen: true }), 404, 'account_not_found');
      expectProblem(await patch(owner, `/accounts/${UNKNOWN_UUID}/freeze`, { frozen: true }), 404, 'account_not_found');
      expectProblem(await patch(owner, `/accounts/nope/freeze`, { frozen: true }), 404, 'account_not_found');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: 'yes' }), 422, 'validation_failed');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: 1 }), 422, 'validation_failed');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, {}), 422, 'validation_failed');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true, by: 'bank' }), 422, 'validation_failed');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`), 422, 'validation_failed');
      expectProblem(await bank.request('PATCH', `${API}/accounts/${account.id}/freeze`, { body: { frozen: true } }), 401, 'unauthenticated');
      expect((await get(owner, `/accounts/${account.id}`)).body.status).toBe('active');
      await watch.expectUnchanged();
    });
  });

  describe('PATCH /accounts/{id}/close', () => {
    it('closes only at zero balance; a closed account accepts nothing and cannot be changed', async () => {
      const owner = await bank.user(uniqueName('closer'));
      const payer = await bank.user(uniqueName('closepayer'));
      const account = await fundedAccount(bank, owner, '100.00');
      const sibling = await fundedAccount(bank, owner, '100.00', 'checking');
      const payerAccount = await fundedAccount(bank, payer, '100.00');

      const early = await watchBalances(bank, [[owner, account.id]]);
      expectProblem(await patch(owner, `/accounts/${account.id}/close`), 409, 'balance_not_zero');
      expect((await get(owner, `/accounts/${account.id}`)).body.status).toBe('active');
      await early.expectUnchanged();

      expect((await withdraw(bank, owner, account.id, '100.00')).status).toBe(201);
      const closed = await patch(owner, `/accounts/${account.id}/close`);
      expect(closed.status, closed.text).toBe(200);
      expect(closed.body).toMatchObject({ status: 'closed', balance: '0.00', closed_at: expect.any(String) });

      const watch = await watchBalances(bank, [
        [owner, account.id],
        [owner, sibling.id],
        [payer, payerAccount.id],
      ]);
      expectProblem(await bank.deposit(owner, account.id, '10.00'), 409, 'account_closed');
      expectProblem(await withdraw(bank, owner, account.id, '10.00'), 409, 'account_closed');
      expectProblem(await transfer(bank, owner, { from_account_id: account.id, to_account_id: sibling.id, amount: '1.00' }), 409, 'account_closed');
      expectProblem(await transfer(bank, owner, { from_account_id: sibling.id, to_account_id: account.id, amount: '1.00' }), 409, 'account_closed');
      // A closed destination is a conflict with the account's state, whichever way it is addressed.
      expectProblem(
        await transfer(bank, payer, { from_account_id: payerAccount.id, to_account_number: account.number, amount: '1.00' }),
        409,
        'account_closed',
      );
      expectProblem(
        await bank.request('POST', `${API}/beneficiaries`, { token: payer.token, body: { name: 'Closed', account_number: account.number } }),
        422,
        'recipient_not_found',
      );
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true }), 409, 'account_closed');
      expectProblem(await patch(owner, `/accounts/${account.id}/freeze`, { frozen: false }), 409, 'account_closed');
      expectProblem(await patch(owner, `/accounts/${account.id}/close`), 409, 'account_closed');
      expectProblem(await patch(admin, `/accounts/${account.id}/freeze`, { frozen: true }), 409, 'account_closed');
      expectProblem(await patch(admin, `/admin/accounts/${account.id}/limits`, { daily_limit: '10.00' }), 409, 'account_closed');
      await watch.expectUnchanged();
      expect((await get(owner, `/accounts/${account.id}`)).body.status).toBe('closed');
      // A closed account can still be read, with its history.
      expect((await get(owner, `/accounts/${account.id}/statement`)).status).toBe(200);
    });

    it('refuses a closing with money in a frozen account too, and lets an admin close an empty account', async () => {
      const owner = await bank.user(uniqueName('closefrz'));
      const account = await fundedAccount(bank, owner, '5.00');
      expect((await patch(owner, `/accounts/${account.id}/freeze`, { frozen: true })).status).toBe(200);
      expectProblem(await patch(admin, `/accounts/${account.id}/close`), 409, 'balance_not_zero');
      const empty = await bank.openAccount(owner, 'wallet');
      const closed = await patch(admin, `/accounts/${empty.id}/close`);
      expect(closed.status).toBe(200);
      expect(closed.body.status).toBe('closed');
    });

    it('refuses auditors and strangers', async () => {
      const owner = await bank.user(uniqueName('closeref'));
      const stranger = await bank.user(uniqueName('closestr'));
      const account = await bank.openAccount(owner, 'savings');
      const funded = await fundedAccount(bank, owner, '5.00');
      const watch = await watchBalances(bank, [
        [owner, account.id],
        [owner, funded.id],
      ]);
      expectProblem(await patch(stranger, `/accounts/${funded.id}/close`), 404, 'account_not_found');
      expectProblem(await patch(auditor, `/accounts/${funded.id}/close`), 403, 'read_only_role');
      expectProblem(await patch(auditor, `/accounts/${account.id}/close`), 403, 'read_only_role');
      expectProblem(await patch(stranger, `/accounts/${account.id}/close`), 404, 'account_not_found');
      expectProblem(await patch(owner, `/accounts/${UNKNOWN_UUID}/close`), 404, 'account_not_found');
      expectProblem(await bank.request('PATCH', `${API}/accounts/${account.id}/close`), 401, 'unauthenticated');
      expect((await get(owner, `/accounts/${account.id}`)).body.status).toBe('active');
      await watch.expectUnchanged();
    });
  });

  it('never hands out an account number that a transfer would find for nobody', async () => {
    const owner = await bank.user(uniqueName('numcheck'));
    const account = await fundedAccount(bank, owner, '10.00');
    const watch = await watchBalances(bank, [[owner, account.id]]);
    expectProblem(await transfer(bank, owner, { from_account_id: account.id, to_account_number: unusedAccountNumber(), amount: '1.00' }), 422, 'recipient_not_found');
    await watch.expectUnchanged();
  });
});
