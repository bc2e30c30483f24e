import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, expectUnprocessable, fundedAccount, paise, rupees, uniqueName, watchBalances } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

const invalidAmounts: [string, unknown][] = [
  ['"-5"', '-5'],
  ['-5', -5],
  ['"-0.01"', '-0.01'],
  ['"0"', '0'],
  ['0', 0],
  ['"0.00"', '0.00'],
  ['"1.001"', '1.001'],
  ['1.001', 1.001],
  ['0.1 + 0.2', 0.1 + 0.2],
  ['"abc"', 'abc'],
  ['"1e3"', '1e3'],
  ['" 5"', ' 5'],
  ['"5 "', '5 '],
  ['"+5"', '+5'],
  ['"0x10"', '0x10'],
  ['""', ''],
  ['"01"', '01'],
  ['"5."', '5.'],
  ['".5"', '.5'],
  ['"1,000"', '1,000'],
  ['"५"', '५'],
  ['"NaN"', 'NaN'],
  ['"Infinity"', 'Infinity'],
  ['"1000000000000000"', '1000000000000000'],
  ['1e-7', 1e-7],
  ['1e21', 1e21],
];

describe('deposits and withdrawals', () => {
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

  const cash = (kind: 'deposit' | 'withdraw', who: Customer | undefined, body: unknown) =>
    bank.request('POST', `${API}/transactions/${kind}`, { ...(who === undefined ? {} : { token: who.token }), body });
  const cashRaw = (kind: 'deposit' | 'withdraw', who: Customer, rawBody: string) =>
    bank.request('POST', `${API}/transactions/${kind}`, { token: who.token, rawBody });

  describe('POST /transactions/deposit', () => {
    it('deposits into an own account', async () => {
      const asha = await bank.user(uniqueName('dep'));
      const account = await bank.openAccount(asha, 'savings');
      const reply = await cash('deposit', asha, { account_id: account.id, amount: '2500.50', description: 'Salary' });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'deposit',
        status: 'posted',
        from_account_id: null,
        to_account_id: account.id,
        amount: '2500.50',
        currency: 'INR',
        description: 'Salary',
        reversal_of: null,
        created_at: expect.any(String),
      });
      expect(Number.isNaN(Date.parse(reply.body.created_at))).toBe(false);
      expect(await bank.balance(asha, account.id)).toBe('2500.50');
      const defaulted = await cash('deposit', asha, { account_id: account.id, amount: '1.00', description: '   ' });
      expect(defaulted.body.description).toBe('Cash deposit');
      const nullDescription = await cash('deposit', asha, { account_id: account.id, amount: '1.00', description: null });
      expect(nullDescription.body.description).toBe('Cash deposit');
      expect(await bank.integrity()).toEqual([]);
    });

    it('accepts amounts as decimal strings or JSON numbers', async () => {
      const asha = await bank.user(uniqueName('accept'));
      const account = await bank.openAccount(asha, 'savings');
      const accepted: [unknown, string][] = [
        ['5', '5.00'],
        ['5.5', '5.50'],
        ['5.50', '5.50'],
        [5.5, '5.50'],
        [5, '5.00'],
        ['0.01', '0.01'],
        [0.1, '0.10'],
      ];
      let total = 0n;
      for (const [amount, expected] of accepted) {
        const reply = await cash('deposit', asha, { account_id: account.id, amount });
        expect(reply.status, `${String(amount)}: ${reply.text}`).toBe(201);
        expect(reply.body.amount).toBe(expected);
        total += paise(expected);
      }
      expect(await bank.balance(asha, account.id)).toBe(rupees(total));
      // A number exactly as written: 1e3 in JSON is one thousand.
      const exponent = await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":1e3}`);
      expect(exponent.status, exponent.text).toBe(201);
      expect(exponent.body.amount).toBe('1000.00');
    });

    it('accepts the largest amount and refuses anything larger', async () => {
      const asha = await bank.user(uniqueName('max'));
      const account = await bank.openAccount(asha, 'checking');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      expectProblem(await cash('deposit', asha, { account_id: account.id, amount: '10000000000000.00' }), 422, 'invalid_amount');
      await watch.expectUnchanged();
      const largest = await cash('deposit', asha, { account_id: account.id, amount: '9999999999999.99' });
      expect(largest.status, largest.text).toBe(201);
      expect(await bank.balance(asha, account.id)).toBe('9999999999999.99');
      expect(await bank.integrity()).toEqual([]);
    });


    it.each(invalidAmounts)('refuses the deposit amount %s (422 invalid_amount) and moves nothing', async (_label, amount) => {
      const asha = await bank.user(uniqueName('badamt'));
      const account = await fundedAccount(bank, asha, '10.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      // 0.1 + 0.2 serializes with 17 significant digits, which the JSON parser refuses as imprecise.
      expectUnprocessable(await cash('deposit', asha, { account_id: account.id, amount }), ['invalid_amount', 'imprecise_number']);
      await watch.expectUnchanged();
    });

    it('refuses JSON numbers beyond 2^53, negative zero and non-numbers in raw JSON', async () => {
      const asha = await bank.user(uniqueName('rawamt'));
      const account = await fundedAccount(bank, asha, '10.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      for (const literal of ['9007199254740993', '9007199254740992', '18014398509481984', '1e300', '-0', '-0.0']) {
        expectUnprocessable(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":${literal}}`), ['invalid_amount', 'imprecise_number']);
      }
      // A number with more digits than a double keeps would silently become another amount.
      expectProblem(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":10.0000000000000001}`), 422, 'imprecise_number');
      for (const literal of ['null', 'true', 'false', '{}', '{"value":"5.00"}', '[]', '["5.00"]']) {
        expectUnprocessable(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":${literal}}`), ['validation_failed', 'invalid_amount']);
      }
      expectProblem(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":NaN}`), 400, 'malformed_json');
      expectProblem(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":Infinity}`), 400, 'malformed_json');
      expectProblem(await cashRaw('deposit', asha, `{"account_id":"${account.id}","amount":"5.00"`), 400, 'malformed_json');
      await watch.expectUnchanged();
    });

    it('applies the decimals of the account currency (JPY 0, KWD 3)', async () => {
      const asha = await bank.user(uniqueName('fxamt'));
      const yen = await bank.openAccount(asha, 'wallet', 'JPY');
      const dinar = await bank.openAccount(asha, 'wallet', 'KWD');
      const watch = await watchBalances(bank, [
        [asha, yen.id],
        [asha, dinar.id],
      ]);
      expectProblem(await cash('deposit', asha, { account_id: yen.id, amount: '1.5' }), 422, 'invalid_amount');
      expectProblem(await cash('deposit', asha, { account_id: yen.id, amount: '1.0' }), 422, 'invalid_amount');
      expectProblem(await cash('deposit', asha, { account_id: yen.id, amount: 1.5 }), 422, 'invalid_amount');
      expectProblem(await cash('deposit', asha, { account_id: dinar.id, amount: '1.0001' }), 422, 'invalid_amount');
      await watch.expectUnchanged();
      const yenDeposit = await cash('deposit', asha, { account_id: yen.id, amount: '1500' });
      expect(yenDeposit.body).toMatchObject({ amount: '1500', currency: 'JPY' });
      const dinarDeposit = await cash('deposit', asha, { account_id: dinar.id, amount: '1.001' });
      expect(dinarDeposit.body).toMatchObject({ amount: '1.001', currency: 'KWD' });
      expect(await bank.balance(asha, yen.id)).toBe('1500');
      expect(await bank.balance(asha, dinar.id)).toBe('1.001');
      expect(await bank.integrity()).toEqual([]);
    });

    it("refuses another customer's account, unknown ids and non-uuid ids (404 account_not_found)", async () => {
      const asha = await bank.user(uniqueName('own'));
      const ravi = await bank.user(uniqueName('notown'));
      const mine = await fundedAccount(bank, asha, '10.00');
      const theirs = await fundedAccount(bank, ravi, '10.00');
      const watch = await watchBalances(bank, [
        [asha, mine.id],
        [ravi, theirs.id],
      ]);
      for (const kind of ['deposit', 'withdraw'] as const) {
        expectProblem(await cash(kind, asha, { account_id: theirs.id, amount: '1.00' }), 404, 'account_not_found');
        expectProblem(await cash(kind, asha, { account_id: UNKNOWN_UUID, amount: '1.00' }), 404, 'account_not_found');
        expectProblem(await cash(kind, asha, { account_id: 'not-a-uuid', amount: '1.00' }), 404, 'account_not_found');
        expectProblem(await cash(kind, asha, { account_id: theirs.number, amount: '1.00' }), 404, 'account_not_found');
      }
      await watch.expectUnchanged();
    });

    it('refuses malformed bodies (422 validation_failed)', async () => {
      const asha = await bank.user(uniqueName('malformed'));
      const account = await fundedAccount(bank, asha, '10.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      for (const kind of ['deposit', 'withdraw'] as const) {
        expectProblem(await cash(kind, asha, { amount: '1.00' }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: account.id }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: '', amount: '1.00' }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: account.id, amount: '1.00', currency: 'USD' }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: account.id, amount: '1.00', description: 'd'.repeat(201) }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: account.id, amount: '1'.repeat(41) }), 422, 'validation_failed');
        expectProblem(await cash(kind, asha, { account_id: account.id, amount: '1.00', description: 'a\u0000b' }), 422, 'invalid_characters');
        expectProblem(await cash(kind, asha, undefined), 422, 'validation_failed');
      }
      await watch.expectUnchanged();
    });

    it('lets only customers deposit and withdraw', async () => {
      const asha = await bank.user(uniqueName('roles'));
      const account = await fundedAccount(bank, asha, '10.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      for (const kind of ['deposit', 'withdraw'] as const) {
        const body = { account_id: account.id, amount: '1.00' };
        expectProblem(await cash(kind, auditor, body), 403, 'read_only_role');
        expectProblem(await cash(kind, admin, body), 403, 'forbidden');
        expectProblem(await cash(kind, superAdmin, body), 403, 'forbidden');
        expectProblem(await cash(kind, undefined, body), 401, 'unauthenticated');
      }
      await watch.expectUnchanged();
    });
  });

  describe('POST /transactions/withdraw', () => {
    it('withdraws from an own account, up to the whole balance', async () => {
      const asha = await bank.user(uniqueName('wd'));
      const account = await fundedAccount(bank, asha, '100.00');
      const reply = await cash('withdraw', asha, { account_id: account.id, amount: 40.25 });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toMatchObject({
        type: 'withdrawal',
        status: 'posted',
        from_account_id: account.id,
        to_account_id: null,
        amount: '40.25',
        currency: 'INR',
        description: 'Cash withdrawal',
        reversal_of: null,
      });
      expect(await bank.balance(asha, account.id)).toBe('59.75');

      const watch = await watchBalances(bank, [[asha, account.id]]);
      expectProblem(await cash('withdraw', asha, { account_id: account.id, amount: '59.76' }), 402, 'insufficient_funds');
      expectProblem(await cash('withdraw', asha, { account_id: account.id, amount: '1000.00' }), 402, 'insufficient_funds');
      await watch.expectUnchanged();

      expect((await cash('withdraw', asha, { account_id: account.id, amount: '59.75', description: 'ATM' })).body.description).toBe('ATM');
      expect(await bank.balance(asha, account.id)).toBe('0.00');
      const empty = await watchBalances(bank, [[asha, account.id]]);
      expectProblem(await cash('withdraw', asha, { account_id: account.id, amount: '0.01' }), 402, 'insufficient_funds');
      await empty.expectUnchanged();
    });

    it.each(invalidAmounts)('refuses the withdrawal amount %s (422 invalid_amount) and moves nothing', async (_label, amount) => {
      const asha = await bank.user(uniqueName('wdamt'));
      const account = await fundedAccount(bank, asha, '10.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      expectUnprocessable(await cash('withdraw', asha, { account_id: account.id, amount }), ['invalid_amount', 'imprecise_number']);
      await watch.expectUnchanged();
    });

    it('counts withdrawals against the daily limit (wallet: 50000.00)', async () => {
      const asha = await bank.user(uniqueName('wdlim'));
      const wallet = await fundedAccount(bank, asha, '60000.00', 'wallet');
      const watch = await watchBalances(bank, [[asha, wallet.id]]);
      const over = await cash('withdraw', asha, { account_id: wallet.id, amount: '50000.01' });
      expectProblem(over, 429, 'daily_limit_exceeded');
      const retryAfter = Number(over.headers['retry-after']);
      expect(retryAfter).toBeGreaterThan(0);
      expect(retryAfter).toBeLessThanOrEqual(86_400);
      await watch.expectUnchanged();
      expect((await cash('withdraw', asha, { account_id: wallet.id, amount: '50000.00' })).status).toBe(201);
      const spent = await watchBalances(bank, [[asha, wallet.id]]);
      expectProblem(await cash('withdraw', asha, { account_id: wallet.id, amount: '0.01' }), 429, 'daily_limit_exceeded');
      await spent.expectUnchanged();
      expect(await bank.balance(asha, wallet.id)).toBe('10000.00');
    });

    it('never overdraws under concurrent withdrawals', async () => {
      const asha = await bank.user(uniqueName('wdrace'));
      const account = await fundedAccount(bank, asha, '100.00');
      const replies = await Promise.all(Array.from({ length: 4 }, () => cash('withdraw', asha, { account_id: account.id, amount: '60.00' })));
      expect(replies.map((reply) => reply.status).sort()).toEqual([201, 402, 402, 402]);
      expect(await bank.balance(asha, account.id)).toBe('40.00');
      expect(await bank.integrity()).toEqual([]);
    });
  });
});
