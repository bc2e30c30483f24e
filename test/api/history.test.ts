import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { addDays, API, bankToday, expectProblem, paise, transfer, uniqueName, withdraw } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

describe('GET /transactions', () => {
  let bank: TestBank;
  let auditor: Customer;
  let asha: Customer;
  let ravi: Customer;
  let savings: any;
  let wallet: any;
  let yen: any;
  let ravisAccount: any;
  /** Every transaction touching asha's accounts, newest first. */
  let ashaIds: string[];
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    asha = await bank.user(uniqueName('asha'));
    ravi = await bank.user(uniqueName('ravi'));
    savings = await bank.openAccount(asha, 'savings');
    wallet = await bank.openAccount(asha, 'wallet');
    yen = await bank.openAccount(asha, 'wallet', 'JPY');
    ravisAccount = await bank.openAccount(ravi, 'savings');
    const created: string[] = [];
    const record = (reply: { status: number; body: any; text: string }) => {
      if (reply.status !== 201) throw new Error(reply.text);
      created.push(reply.body.id);
    };
    record(await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: savings.id, amount: '10000.00', description: 'Salary for MARCH' } }));
    for (let index = 1; index <= 12; index += 1) {
      record(await transfer(bank, asha, { from_account_id: savings.id, to_account_id: wallet.id, amount: `${index}.00`, description: `Top-up #${index}` }));
    }
    record(await withdraw(bank, asha, savings.id, '500.00'));
    record(await transfer(bank, asha, { from_account_id: savings.id, to_account_number: ravisAccount.number, amount: '100.00', description: '100% cashback' }));
    record(await transfer(bank, asha, { from_account_id: savings.id, to_account_number: ravisAccount.number, amount: '101.00', description: '100 rupees cashback' }));
    record(await transfer(bank, asha, { from_account_id: savings.id, to_account_number: ravisAccount.number, amount: '102.00', description: 'snake_case' }));
    record(await transfer(bank, asha, { from_account_id: savings.id, to_account_number: ravisAccount.number, amount: '103.00', description: 'snakeXcase' }));
    record(await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: yen.id, amount: '5000' } }));
    // Ravi's own deposit is not asha's business; his transfer to her is.
    expect((await bank.deposit(ravi, ravisAccount.id, '50.00')).status).toBe(201);
    record(await transfer(bank, ravi, { from_account_id: ravisAccount.id, to_account_number: wallet.number, amount: '7.00', description: 'Back to you' }));
    ashaIds = [...created].reverse();
  });
  afterAll(async () => bank.close());

  const history = (who: Customer | undefined, query = '') =>
    bank.request('GET', `${API}/transactions${query === '' ? '' : `?${query}`}`, who === undefined ? {} : { token: who.token });

  async function walk(who: Customer, query: string, limit: number, between?: () => Promise<void>): Promise<any[]> {
    const items: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const parts: string[] = [query, `limit=${limit}`, cursor === null ? '' : `cursor=${encodeURIComponent(cursor)}`].filter((part) => part !== '');
      const reply: any = await history(who, parts.join('&'));
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.items.length).toBeLessThanOrEqual(limit);
      if (reply.body.next_cursor !== null) expect(reply.body.items).toHaveLength(limit);
      items.push(...reply.body.items);
      cursor = reply.body.next_cursor;
      pages += 1;
      if (pages === 1 && between !== undefined) await between();
      expect(pages).toBeLessThan(100);
    } while (cursor !== null);
    return items;
  }

  it("shows a customer every movement touching their accounts, newest first, and nobody else's", async () => {
    const reply = await history(asha, 'limit=100');
    expect(reply.status).toBe(200);
    expect(reply.body.next_cursor).toBeNull();
    expect(reply.body.items.map((item: any) => item.id)).toEqual(ashaIds);
    const own = new Set([savings.id, wallet.id, yen.id]);
    for (const item of reply.body.items) {
      expect(own.has(item.from_account_id) || own.has(item.to_account_id)).toBe(true);
    }
    const ravis = await history(ravi, 'limit=100');
    for (const item of ravis.body.items) expect([item.from_account_id, item.to_account_id]).toContain(ravisAccount.id);
    expect(ravis.body.items).toHaveLength(6);
    const stranger = await bank.user(uniqueName('stranger'));
    expect((await history(stranger)).body).toEqual({ items: [], next_cursor: null });
    await bank.openAccount(stranger, 'savings');
    expect((await history(stranger)).body).toEqual({ items: [], next_cursor: null });
  });

  it('orders strictly newest first', async () => {
    const items = (await history(asha, 'limit=100')).body.items as any[];
    for (let index = 0; index < items.length - 1; index += 1) {
      expect(Date.parse(items[index].created_at)).toBeGreaterThanOrEqual(Date.parse(items[index + 1].created_at));
    }
    expect(new Set(items.map((item) => item.id)).size).toBe(items.length);
  });

  it('pages with a stable cursor: every page walk yields the full list, no duplicates, no gaps', async () => {
    for (const limit of [1, 3, 5, 7, 19, 20]) {
      const items = await walk(asha, '', limit);
      expect(items.map((item) => item.id)).toEqual(ashaIds);
    }
    const filtered = await walk(asha, `account_id=${wallet.id}`, 4);
    const expected = (await history(asha, `account_id=${wallet.id}&limit=100`)).body.items.map((item: any) => item.id);
    expect(filtered.map((item) => item.id)).toEqual(expected);
  });

  it('keeps the walk stable while new movements arrive', async () => {
    const walker = await bank.user(uniqueName('walker'));
    const account = await bank.openAccount(walker, 'savings');
    for (let index = 0; index < 9; index += 1) expect((await bank.deposit(walker, account.id, `${index + 1}.00`)).status).toBe(201);
    const before = (await history(walker, 'limit=100')).body.items.map((item: any) => item.id);
    const walked = await walk(walker, '', 4, async () => {
      expect((await bank.deposit(walker, account.id, '99.00')).status).toBe(201);
    });
    expect(walked.map((item) => item.id)).toEqual(before);
  });

  it('filters by account, type, dates, currency, amounts and text', async () => {
    const byWallet = (await history(asha, `account_id=${wallet.id}&limit=100`)).body.items as any[];
    expect(byWallet).toHaveLength(13);
    for (const item of byWallet) expect([item.from_account_id, item.to_account_id]).toContain(wallet.id);

    const deposits = (await history(asha, 'type=deposit&limit=100')).body.items as any[];
    expect(deposits.map((item) => item.type)).toEqual(['deposit', 'deposit']);
    expect((await history(asha, 'type=withdrawal')).body.items.map((item: any) => item.amount)).toEqual(['500.00']);
    expect((await history(asha, 'type=reversal')).body.items).toEqual([]);

    const today = bankToday();
    expect((await history(asha, `from=${today}&to=${today}&limit=100`)).body.items).toHaveLength(ashaIds.length);
    expect((await history(asha, `from=${today}&limit=100`)).body.items).toHaveLength(ashaIds.length);
    expect((await history(asha, `to=${addDays(today, -1)}`)).body.items).toEqual([]);
    expect((await history(asha, `from=${addDays(today, 1)}`)).body.items).toEqual([]);
    expect((await history(asha, 'from=2020-01-01&to=2020-12-31')).body.items).toEqual([]);

    const yenOnly = (await history(asha, 'currency=JPY')).body.items as any[];
    expect(yenOnly.map((item) => [item.currency, item.amount])).toEqual([['JPY', '5000']]);

    const mid = (await history(asha, 'min_amount=100&max_amount=102.00&limit=100')).body.items as any[];
    expect(mid.map((item) => item.amount).sort()).toEqual(['100.00', '101.00', '102.00']);
    for (const item of (await history(asha, 'min_amount=10&limit=100')).body.items) expect(paise(item.amount)).toBeGreaterThanOrEqual(1000n);
    for (const item of (await history(asha, 'max_amount=5.00&limit=100')).body.items) {
      expect(item.currency).toBe('INR');
      expect(paise(item.amount)).toBeLessThanOrEqual(500n);
    }
    expect((await history(asha, 'min_amount=0&limit=100')).body.items.every((item: any) => item.currency === 'INR')).toBe(true);
  });

  it('matches q case-insensitively and treats % and _ literally', async () => {
    const march = (await history(asha, 'q=march')).body.items as any[];
    expect(march.map((item) => item.description)).toEqual(['Salary for MARCH']);
    expect((await history(asha, 'q=SALARY')).body.items).toHaveLength(1);
    const percent = (await history(asha, `q=${encodeURIComponent('100%')}`)).body.items as any[];
    expect(percent.map((item) => item.description)).toEqual(['100% cashback']);
    const underscore = (await history(asha, 'q=snake_case')).body.items as any[];
    expect(underscore.map((item) => item.description)).toEqual(['snake_case']);
    expect((await history(asha, `q=${encodeURIComponent('%')}`)).body.items.map((item: any) => item.description)).toEqual(['100% cashback']);
    expect((await history(asha, `q=${encodeURIComponent('\\')}`)).body.items).toEqual([]);
    expect((await history(asha, "q=%27%20OR%201%3D1%20--")).body.items).toEqual([]);
    expect((await history(asha, 'q=top-up&limit=100')).body.items).toHaveLength(12);
    // Ravi cannot find asha's descriptions.
    expect((await history(ravi, 'q=salary')).body.items).toEqual([]);
  });

  it("refuses another customer's account (404 account_not_found)", async () => {
    expectProblem(await history(ravi, `account_id=${savings.id}`), 404, 'account_not_found');
    expectProblem(await history(asha, `account_id=${UNKNOWN_UUID}`), 404, 'account_not_found');
    expectProblem(await history(asha, 'account_id=not-a-uuid'), 404, 'account_not_found');
  });

  it('lets staff see every movement', async () => {
    const all = (await history(auditor, 'limit=100')).body.items.map((item: any) => item.id);
    for (const id of ashaIds) expect(all).toContain(id);
    const ravisOwn = (await history(auditor, `account_id=${ravisAccount.id}&type=deposit`)).body.items;
    expect(ravisOwn).toHaveLength(1);
  });

  it('refuses bad parameters (422)', async () => {
    expectProblem(await history(asha, 'limit=0'), 422, 'validation_failed');
    expectProblem(await history(asha, 'limit=101'), 422, 'validation_failed');
    expectProblem(await history(asha, 'limit=ten'), 422, 'validation_failed');
    expectProblem(await history(asha, 'type=payment'), 422, 'validation_failed');
    expectProblem(await history(asha, 'currency=inr'), 422, 'validation_failed');
    expectProblem(await history(asha, `q=${'q'.repeat(101)}`), 422, 'validation_failed');
    expectProblem(await history(asha, 'page=2'), 422, 'validation_failed');
    for (const query of ['cursor=garbage', `cursor=${Buffer.from('k2:10').toString('base64url')}`]) {
      const reply = await history(asha, query);
      expect(reply.status, reply.text).toBe(422);
      expect(['invalid_cursor', 'invalid_filter']).toContain(reply.body.code);
    }
    for (const query of ['from=2026-02-30', 'to=2026-13-01', 'from=yesterday', `from=${addDays(bankToday(), 1)}&to=${bankToday()}`]) {
      expectProblem(await history(asha, query), 422, 'invalid_filter');
    }
    expectProblem(await history(asha, 'currency=XYZ'), 422, 'invalid_filter');
    for (const query of ['min_amount=abc', 'max_amount=-1', 'min_amount=1.001', 'max_amount=1e3']) {
      expectProblem(await history(asha, query), 422, 'invalid_amount');
    }
    expectProblem(await history(undefined), 401, 'unauthenticated');
  });

  it('refuses a forged cursor past the 64-bit range as invalid', async () => {
    const huge = Buffer.from('k1:9999999999999999999').toString('base64url');
    const reply = await history(asha, `cursor=${huge}`);
    expect(reply.status, reply.text).toBe(422);
    expect(['invalid_cursor', 'invalid_filter']).toContain(reply.body.code);
  });
});
