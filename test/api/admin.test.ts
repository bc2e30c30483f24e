import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, paise, rupees, transfer, uniqueName, withdraw } from './helpers.js';

describe('admin reports', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  let superAdmin: Customer;
  let customer: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
    superAdmin = await bank.user(uniqueName('root'), 'super_admin');
    customer = await bank.user(uniqueName('cust'));
  });
  afterAll(async () => bank.close());

  const get = (who: Customer | undefined, path: string) => bank.request('GET', `${API}${path}`, who === undefined ? {} : { token: who.token });

  /** Every account in the bank (staff listing, all pages). */
  async function allAccounts(): Promise<any[]> {
    const accounts: any[] = [];
    let cursor: string | null = null;
    do {
      const reply: any = await get(admin, `/accounts?limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(reply.status).toBe(200);
      accounts.push(...reply.body.items);
      cursor = reply.body.next_cursor;
    } while (cursor !== null);
    return accounts;
  }

  /** Every movement in the bank (staff history, all pages). */
  async function allMovements(): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    do {
      const reply: any = await get(admin, `/transactions?limit=100${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
      expect(reply.status).toBe(200);
      items.push(...reply.body.items);
      cursor = reply.body.next_cursor;
    } while (cursor !== null);
    return items;
  }

  describe('GET /admin/ledger/integrity', () => {
    it('reports right books to auditors, admins and super admins', async () => {
      const account = await fundedAccount(bank, customer, '100.00');
      expect((await withdraw(bank, customer, account.id, '10.00')).status).toBe(201);
      for (const staff of [auditor, admin, superAdmin]) {
        const reply = await get(staff, '/admin/ledger/integrity');
        expect(reply.status, reply.text).toBe(200);
        expect(reply.body).toEqual({ ok: true, checked_at: expect.any(String), problems: [] });
      }
    });

    it('is closed to customers and anonymous callers', async () => {
      expectProblem(await get(customer, '/admin/ledger/integrity'), 403, 'forbidden');
      expectProblem(await get(undefined, '/admin/ledger/integrity'), 401, 'unauthenticated');
    });
  });

  describe('GET /admin/reports/balance-sheet', () => {
    it('balances, with liabilities equal to customer balances and the cash vault equal to net cash in', async () => {
      const asha = await bank.user(uniqueName('bsasha'));
      const ravi = await bank.user(uniqueName('bsravi'));
      const savings = await fundedAccount(bank, asha, '12345.67');
      const wallet = await fundedAccount(bank, ravi, '1000.00', 'wallet');
      const checking = await fundedAccount(bank, asha, '500.00', 'checking');
      expect((await withdraw(bank, asha, savings.id, '345.67')).status).toBe(201);
      expect((await transfer(bank, asha, { from_account_id: savings.id, to_account_number: wallet.number, amount: '2000.00' })).status).toBe(201);
      expect((await transfer(bank, ravi, { from_account_id: wallet.id, to_account_number: checking.number, amount: '99.99' })).status).toBe(201);
      const reversible = await transfer(bank, asha, { from_account_id: checking.id, to_account_number: wallet.number, amount: '10.00' });
      expect((await bank.request('POST', `${API}/admin/transfers/${reversible.body.id}/reverse`, { token: admin.token, body: { reason: 'Test reversal' } })).status).toBe(201);
      await fundedAccount(bank, ravi, '250', 'wallet', 'JPY');

      for (const staff of [auditor, admin]) {
        const reply = await get(staff, '/admin/reports/balance-sheet');
        expect(reply.status, reply.text).toBe(200);
        expect(reply.body.generated_at).toEqual(expect.any(String));
        const currencies = reply.body.currencies as any[];
        for (const sheet of currencies) {
          expect(sheet).toMatchObject({
            currency: expect.any(String),
            assets: { total: expect.any(String), lines: expect.any(Array) },
            liabilities: { total: expect.any(String), lines: expect.any(Array) },
            equity: { total: expect.any(String), lines: expect.any(Array) },
            income: { total: expect.any(String), lines: expect.any(Array) },
            expenses: { total: expect.any(String), lines: expect.any(Array) },
            balanced: true,
          });
          for (const section of ['assets', 'liabilities', 'equity', 'income', 'expenses']) {
            const lines = sheet[section].lines as any[];
            if (sheet.currency !== 'JPY') {
              const sum = lines.reduce((total: bigint, line: any) => total + paise(line.balance), 0n);
              expect(rupees(sum), `${sheet.currency} ${section}`).toBe(sheet[section].total);
            }
          }
        }
        const inr = currencies.find((sheet) => sheet.currency === 'INR');
        expect(inr).toBeDefined();

        const accounts = await allAccounts();
        const customerTotal = accounts
          .filter((account) => account.currency === 'INR')
          .reduce((total: bigint, account: any) => total + paise(account.balance), 0n);
        expect(inr.liabilities.total).toBe(rupees(customerTotal));

        const movements = await allMovements();
        let cashIn = 0n;
        for (const movement of movements) {
          if (movement.currency !== 'INR') continue;
          if (movement.type === 'deposit') cashIn += paise(movement.amount);
          if (movement.type === 'withdrawal') cashIn -= paise(movement.amount);
        }
        const vault = (inr.assets.lines as any[]).find((line) => line.code === 'cash_vault');
        expect(vault).toBeDefined();
        expect(vault.balance).toBe(rupees(cashIn));

        // Customer account types appear as liability lines with their counts.
        const savingsLine = (inr.liabilities.lines as any[]).find((line) => line.category === 'savings');
        expect(savingsLine.accounts).toBe(accounts.filter((account) => account.currency === 'INR' && account.type === 'savings').length);

        const jpy = currencies.find((sheet) => sheet.currency === 'JPY');
        expect(jpy).toMatchObject({ balanced: true, liabilities: { total: '250' } });
      }
      expect(await bank.integrity()).toEqual([]);
    });

    it('is closed to customers and anonymous callers', async () => {
      expectProblem(await get(customer, '/admin/reports/balance-sheet'), 403, 'forbidden');
      expectProblem(await get(undefined, '/admin/reports/balance-sheet'), 401, 'unauthenticated');
    });
  });

  it('reads several balances in one snapshot, for staff only', async () => {
    const owner = await bank.user(uniqueName('snap'));
    const first = await fundedAccount(bank, owner, '120.00');
    const second = await fundedAccount(bank, owner, '30.50');
    const path = `/admin/ledger/balances?account_ids=${first.id},${second.id},${first.id}`;
    for (const staff of [auditor, admin]) {
      const reply = await get(staff, path);
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.balances).toEqual([
        { account_id: first.id, currency: 'INR', balance: '120.00', status: 'active' },
        { account_id: second.id, currency: 'INR', balance: '30.50', status: 'active' },
      ]);
      expect(Number.isNaN(Date.parse(reply.body.as_of))).toBe(false);
    }
    expectProblem(await get(owner, path), 403, 'forbidden');
    expectProblem(await get(auditor, '/admin/ledger/balances?account_ids=,'), 422, 'invalid_account_ids');
    const tooMany = Array.from({ length: 101 }, (_, index) => `00000000-0000-7000-8000-${String(index).padStart(12, '0')}`).join(',');
    expectProblem(await get(auditor, `/admin/ledger/balances?account_ids=${tooMany}`), 422, 'invalid_account_ids');
    const unknown = await get(auditor, '/admin/ledger/balances?account_ids=00000000-0000-7000-8000-000000000000,not-an-id');
    expect(unknown.body.balances).toEqual([]);
  });
});
