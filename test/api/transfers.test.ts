import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import {
  API,
  expectProblem,
  expectUnprocessable,
  fundedAccount,
  transfer,
  uniqueName,
  unusedAccountNumber,
  watchBalances,
  withWrongCheckDigit,
  withdraw,
} from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

function expectRetryAfterUntilMidnight(headers: Record<string, unknown>): void {
  const retryAfter = Number(headers['retry-after']);
  expect(Number.isInteger(retryAfter)).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(86_400);
  // Seconds until the next midnight in Asia/Kolkata (UTC+05:30, no daylight saving).
  const istNow = Date.now() + 5.5 * 3600_000;
  const secondsToMidnight = Math.ceil((86_400_000 - (istNow % 86_400_000)) / 1000);
  expect(Math.abs(retryAfter - secondsToMidnight)).toBeLessThanOrEqual(5);
}

describe('transfers', () => {
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

  const setLimit = (who: Customer, accountId: string, body: unknown) =>
    bank.request('PATCH', `${API}/admin/accounts/${accountId}/limits`, { token: who.token, body });
  const limits = async (who: Customer, accountId: string) => (await bank.request('GET', `${API}/accounts/${accountId}/limits`, { token: who.token })).body;

  describe('POST /transfers', () => {
    it('moves money between own accounts by id', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const from = await fundedAccount(bank, asha, '1000.00');
      const to = await bank.openAccount(asha, 'wallet');
      const reply = await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '250.75', description: '  Pocket money  ' });
      expect(reply.status, reply.text).toBe(201);
      expect(reply.body).toEqual({
        id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        type: 'transfer',
        status: 'posted',
        from_account_id: from.id,
        to_account_id: to.id,
        amount: '250.75',
        currency: 'INR',
        description: 'Pocket money',
        reversal_of: null,
        created_at: expect.any(String),
      });
      expect(await bank.balance(asha, from.id)).toBe('749.25');
      expect(await bank.balance(asha, to.id)).toBe('250.75');
      expect(await bank.integrity()).toEqual([]);
    });

    it('moves money to any open account by its number, with spaces or hyphens allowed', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const ravi = await bank.user(uniqueName('ravi'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(ravi, 'savings');
      const plain = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: 10 });
      expect(plain.status, plain.text).toBe(201);
      expect(plain.body).toMatchObject({ to_account_id: to.id, amount: '10.00', description: null });
      const spaced = `${to.number.slice(0, 4)} ${to.number.slice(4, 8)}-${to.number.slice(8)}`;
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_number: spaced, amount: '5.00' })).status).toBe(201);
      expect(await bank.balance(asha, from.id)).toBe('85.00');
      expect(await bank.balance(ravi, to.id)).toBe('15.00');
      expect(await bank.integrity()).toEqual([]);
    });

    it('accepts the whole balance and refuses one paisa more (402 insufficient_funds)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(asha, 'checking');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '100.01' }), 402, 'insufficient_funds');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '150000.00' }), 402, 'insufficient_funds');
      await watch.expectUnchanged();
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '100.00' })).status).toBe(201);
      expect(await bank.balance(asha, from.id)).toBe('0.00');
      const empty = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '0.01' }), 402, 'insufficient_funds');
      await empty.expectUnchanged();
    });

    it('requires exactly one recipient (422 invalid_recipient)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const ravi = await bank.user(uniqueName('ravi'));
      const from = await fundedAccount(bank, asha, '100.00');
      const own = await bank.openAccount(asha, 'wallet');
      const theirs = await bank.openAccount(ravi, 'wallet');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, own.id],
        [ravi, theirs.id],
      ]);
      const bodies = [
        { from_account_id: from.id, amount: '1.00' },
        { from_account_id: from.id, to_account_id: own.id, to_account_number: theirs.number, amount: '1.00' },
        { from_account_id: from.id, to_account_id: own.id, beneficiary_id: UNKNOWN_UUID, amount: '1.00' },
        { from_account_id: from.id, to_account_number: theirs.number, beneficiary_id: UNKNOWN_UUID, amount: '1.00' },
        { from_account_id: from.id, to_account_id: own.id, to_account_number: theirs.number, beneficiary_id: UNKNOWN_UUID, amount: '1.00' },
      ];
      for (const body of bodies) expectProblem(await transfer(bank, asha, body), 422, 'invalid_recipient');
      await watch.expectUnchanged();
    });

    it('refuses a transfer to the same account (422 same_account)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const account = await fundedAccount(bank, asha, '100.00');
      const watch = await watchBalances(bank, [[asha, account.id]]);
      expectProblem(await transfer(bank, asha, { from_account_id: account.id, to_account_id: account.id, amount: '1.00' }), 422, 'same_account');
      expectProblem(await transfer(bank, asha, { from_account_id: account.id, to_account_number: account.number, amount: '1.00' }), 422, 'same_account');
      await watch.expectUnchanged();
    });

    it('refuses a transfer between different currencies (422 currency_mismatch)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const ravi = await bank.user(uniqueName('ravi'));
      const rupees = await fundedAccount(bank, asha, '100.00');
      const yen = await fundedAccount(bank, asha, '100', 'wallet', 'JPY');
      const theirYen = await bank.openAccount(ravi, 'wallet', 'JPY');
      const watch = await watchBalances(bank, [
        [asha, rupees.id],
        [asha, yen.id],
        [ravi, theirYen.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: rupees.id, to_account_id: yen.id, amount: '1' }), 422, 'currency_mismatch');
      expectProblem(await transfer(bank, asha, { from_account_id: yen.id, to_account_id: rupees.id, amount: '1' }), 422, 'currency_mismatch');
      expectProblem(await transfer(bank, asha, { from_account_id: rupees.id, to_account_number: theirYen.number, amount: '1.00' }), 422, 'currency_mismatch');
      await watch.expectUnchanged();
      const sameCurrency = await transfer(bank, asha, { from_account_id: yen.id, to_account_number: theirYen.number, amount: '40' });
      expect(sameCurrency.status, sameCurrency.text).toBe(201);
      expect(sameCurrency.body).toMatchObject({ amount: '40', currency: 'JPY' });
      expectProblem(await transfer(bank, asha, { from_account_id: yen.id, to_account_number: theirYen.number, amount: '1.5' }), 422, 'invalid_amount');
    });

    it('refuses malformed account numbers (422 invalid_account_number) and unknown ones (422 recipient_not_found)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const ravi = await bank.user(uniqueName('ravi'));
      const from = await fundedAccount(bank, asha, '100.00');
      const theirs = await bank.openAccount(ravi, 'savings');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [ravi, theirs.id],
      ]);
      for (const number of [
        withWrongCheckDigit(theirs.number),
        theirs.number.slice(0, 11),
        `${theirs.number}0`,
        `0${theirs.number.slice(1)}`,
        'ABCDEFGHIJKL',
        '',
        '12345678901234567890',
      ]) {
        expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_number: number, amount: '1.00' }), 422, 'invalid_account_number');
      }
      // A swap of two neighbouring digits is caught by the check digit as well (Damm misses none).
      const digits = theirs.number.split('');
      const swapAt = digits.findIndex(
        (digit: string, index: number) => index < 11 && digit !== digits[index + 1],
      );
      if (swapAt >= 0) {
        [digits[swapAt], digits[swapAt + 1]] = [digits[swapAt + 1], digits[swapAt]];
        expectProblem(
          await transfer(bank, asha, { from_account_id: from.id, to_account_number: digits.join(''), amount: '1.00' }),
          422,
          'invalid_account_number',
        );
      }
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_number: unusedAccountNumber(), amount: '1.00' }), 422, 'recipient_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_number: 12345, amount: '1.00' }), 422, 'validation_failed');
      await watch.expectUnchanged();
    });

    it("refuses another customer's account as the source or as to_account_id (404 account_not_found)", async () => {
      const asha = await bank.user(uniqueName('asha'));
      const ravi = await bank.user(uniqueName('ravi'));
      const mine = await fundedAccount(bank, asha, '100.00');
      const theirs = await fundedAccount(bank, ravi, '100.00');
      const watch = await watchBalances(bank, [
        [asha, mine.id],
        [ravi, theirs.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: theirs.id, to_account_id: mine.id, amount: '1.00' }), 404, 'account_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: theirs.id, to_account_number: mine.number, amount: '1.00' }), 404, 'account_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: mine.id, to_account_id: theirs.id, amount: '1.00' }), 404, 'account_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: UNKNOWN_UUID, to_account_id: mine.id, amount: '1.00' }), 404, 'account_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: 'not-a-uuid', to_account_id: mine.id, amount: '1.00' }), 404, 'account_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: mine.id, to_account_id: 'not-a-uuid', amount: '1.00' }), 404, 'account_not_found');
      await watch.expectUnchanged();
    });

    it.each([
      ['-5', '-5'],
      ['-5 (number)', -5],
      ['zero', '0'],
      ['0.00', '0.00'],
      ['zero (number)', 0],
      ['three decimals', '1.001'],
      ['exponent', '1e3'],
      ['leading space', ' 5'],
      ['trailing space', '5 '],
      ['plus sign', '+5'],
      ['hex', '0x10'],
      ['empty', ''],
      ['huge', '1000000000000000'],
      ['letters', 'abc'],
    ])('refuses the amount %s (422 invalid_amount) and moves nothing', async (_label, amount) => {
      const asha = await bank.user(uniqueName('amt'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(asha, 'wallet');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount }), 422, 'invalid_amount');
      await watch.expectUnchanged();
    });

    it('refuses null, boolean and object amounts, and malformed bodies (422)', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(asha, 'wallet');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      for (const amount of [null, true, { value: '1.00' }, ['1.00']]) {
        expectUnprocessable(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount }), ['validation_failed', 'invalid_amount']);
      }
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id }), 422, 'validation_failed');
      expectProblem(await transfer(bank, asha, { to_account_id: to.id, amount: '1.00' }), 422, 'validation_failed');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1.00', fee: '0' }), 422, 'validation_failed');
      expectProblem(
        await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1.00', description: 'd'.repeat(201) }),
        422,
        'validation_failed',
      );
      expectProblem(
        await bank.request('POST', `${API}/transfers`, { token: asha.token, rawBody: `{"from_account_id":"${from.id}","amount":` }),
        400,
        'malformed_json',
      );
      await watch.expectUnchanged();
      const longest = await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1.00', description: 'd'.repeat(200) });
      expect(longest.status).toBe(201);
    });

    it('lets only customers transfer', async () => {
      const asha = await bank.user(uniqueName('asha'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(asha, 'wallet');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      const body = { from_account_id: from.id, to_account_id: to.id, amount: '1.00' };
      expectProblem(await transfer(bank, auditor, body), 403, 'read_only_role');
      expectProblem(await transfer(bank, admin, body), 403, 'forbidden');
      expectProblem(await transfer(bank, superAdmin, body), 403, 'forbidden');
      expectProblem(await bank.request('POST', `${API}/transfers`, { body }), 401, 'unauthenticated');
      await watch.expectUnchanged();
    });
  });

  describe('daily limits', () => {
    it.each([
      ['wallet', '50000.00'],
      ['savings', '200000.00'],
      ['checking', '500000.00'],
    ] as const)('applies the default %s limit of %s: the limit itself passes, one paisa more is 429 with Retry-After', async (type, limit) => {
      const asha = await bank.user(uniqueName('lim'));
      const ravi = await bank.user(uniqueName('limto'));
      const from = await fundedAccount(bank, asha, '600000.00', type);
      const to = await bank.openAccount(ravi, 'checking');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [ravi, to.id],
      ]);
      const over = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: (Number(limit) + 0.01).toFixed(2) });
      expectProblem(over, 429, 'daily_limit_exceeded');
      expectRetryAfterUntilMidnight(over.headers);
      await watch.expectUnchanged();
      expect((await limits(asha, from.id)).used_today).toBe('0.00');

      const exact = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: limit });
      expect(exact.status, exact.text).toBe(201);
      expect(await limits(asha, from.id)).toMatchObject({ daily_limit: limit, used_today: limit, remaining: '0.00' });
      const after = await watchBalances(bank, [
        [asha, from.id],
        [ravi, to.id],
      ]);
      const more = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: '0.01' });
      expectProblem(more, 429, 'daily_limit_exceeded');
      expectRetryAfterUntilMidnight(more.headers);
      const cash = await withdraw(bank, asha, from.id, '0.01');
      expectProblem(cash, 429, 'daily_limit_exceeded');
      await after.expectUnchanged();
      // Money can still come in.
      expect((await bank.deposit(asha, from.id, '1.00')).status).toBe(201);
    });

    it('applies an admin-set limit, reflects it in /limits, and restores the default with null', async () => {
      const asha = await bank.user(uniqueName('custlim'));
      const from = await fundedAccount(bank, asha, '1000.00');
      const to = await bank.openAccount(asha, 'wallet');
      const set = await setLimit(admin, from.id, { daily_limit: '100.00' });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toMatchObject({ id: from.id, daily_limit: '100.00' });
      expect(await limits(asha, from.id)).toMatchObject({ daily_limit: '100.00', used_today: '0.00', remaining: '100.00' });

      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      const over = await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '150.00' });
      expectProblem(over, 429, 'daily_limit_exceeded');
      expectRetryAfterUntilMidnight(over.headers);
      await watch.expectUnchanged();

      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '60.00' })).status).toBe(201);
      expect(await limits(asha, from.id)).toMatchObject({ used_today: '60.00', remaining: '40.00' });
      expectProblem(await withdraw(bank, asha, from.id, '40.01'), 429, 'daily_limit_exceeded');
      expect((await withdraw(bank, asha, from.id, '40.00')).status).toBe(201);
      expect(await limits(asha, from.id)).toMatchObject({ used_today: '100.00', remaining: '0.00' });
      const spent = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '0.01' }), 429, 'daily_limit_exceeded');
      await spent.expectUnchanged();

      // Lowering below what was used leaves nothing remaining (never negative).
      expect((await setLimit(superAdmin, from.id, { daily_limit: 50 })).body.daily_limit).toBe('50.00');
      expect(await limits(asha, from.id)).toMatchObject({ daily_limit: '50.00', used_today: '100.00', remaining: '0.00' });

      const reset = await setLimit(admin, from.id, { daily_limit: null });
      expect(reset.status).toBe(200);
      expect(reset.body.daily_limit).toBe('200000.00');
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '150.00' })).status).toBe(201);
      expect(await limits(asha, from.id)).toMatchObject({ daily_limit: '200000.00', used_today: '250.00', remaining: '199750.00' });
      expect(await bank.integrity()).toEqual([]);
    });

    it('allows a zero limit, which stops all outgoing money', async () => {
      const asha = await bank.user(uniqueName('zerolim'));
      const from = await fundedAccount(bank, asha, '10.00');
      expect((await setLimit(admin, from.id, { daily_limit: '0' })).body.daily_limit).toBe('0.00');
      const watch = await watchBalances(bank, [[asha, from.id]]);
      expectProblem(await withdraw(bank, asha, from.id, '0.01'), 429, 'daily_limit_exceeded');
      await watch.expectUnchanged();
    });

    it('refuses bad limit requests', async () => {
      const asha = await bank.user(uniqueName('badlim'));
      const account = await bank.openAccount(asha, 'savings');
      expectProblem(await setLimit(asha, account.id, { daily_limit: '1.00' }), 403, 'forbidden');
      expectProblem(await setLimit(auditor, account.id, { daily_limit: '1.00' }), 403, 'read_only_role');
      expectProblem(await bank.request('PATCH', `${API}/admin/accounts/${account.id}/limits`, { body: { daily_limit: '1.00' } }), 401, 'unauthenticated');
      for (const value of ['-1', '-1.00', 'abc', '1.001', '1e5', '', -1]) {
        expectProblem(await setLimit(admin, account.id, { daily_limit: value }), 422, 'invalid_amount');
      }
      expectUnprocessable(await setLimit(admin, account.id, { daily_limit: true }), ['validation_failed', 'invalid_amount']);
      expectProblem(await setLimit(admin, account.id, {}), 422, 'validation_failed');
      expectProblem(await setLimit(admin, account.id, { daily_limit: '1.00', reason: 'x' }), 422, 'validation_failed');
      expectProblem(await setLimit(admin, UNKNOWN_UUID, { daily_limit: '1.00' }), 404, 'account_not_found');
      expectProblem(await setLimit(admin, 'nope', { daily_limit: '1.00' }), 404, 'account_not_found');
      expect(await limits(asha, account.id)).toMatchObject({ daily_limit: '200000.00' });
      expect(await bank.integrity()).toEqual([]);
    });
  });

  describe('GET /transfers/{id}', () => {
    it("is visible to the sender's and the recipient's owners and to staff, and to nobody else", async () => {
      const asha = await bank.user(uniqueName('seen'));
      const ravi = await bank.user(uniqueName('seento'));
      const eve = await bank.user(uniqueName('eve'));
      const from = await fundedAccount(bank, asha, '100.00');
      const to = await bank.openAccount(ravi, 'savings');
      await bank.openAccount(eve, 'savings');
      const sent = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: '12.34', description: 'Lunch' });
      expect(sent.status).toBe(201);
      for (const who of [asha, ravi, auditor, admin, superAdmin]) {
        const reply = await bank.request('GET', `${API}/transfers/${sent.body.id}`, { token: who.token });
        expect(reply.status, who.username).toBe(200);
        expect(reply.body).toEqual(sent.body);
      }
      expectProblem(await bank.request('GET', `${API}/transfers/${sent.body.id}`, { token: eve.token }), 404, 'transfer_not_found');
      expectProblem(await bank.request('GET', `${API}/transfers/${UNKNOWN_UUID}`, { token: asha.token }), 404, 'transfer_not_found');
      expectProblem(await bank.request('GET', `${API}/transfers/not-a-uuid`, { token: admin.token }), 404, 'transfer_not_found');
      expectProblem(await bank.request('GET', `${API}/transfers/${sent.body.id}`), 401, 'unauthenticated');
      // A deposit is a transaction too, visible only to its owner.
      const deposit = await bank.deposit(asha, from.id, '1.00');
      expect((await bank.request('GET', `${API}/transfers/${deposit.body.id}`, { token: asha.token })).body.type).toBe('deposit');
      expectProblem(await bank.request('GET', `${API}/transfers/${deposit.body.id}`, { token: ravi.token }), 404, 'transfer_not_found');
    });
  });

  it('keeps concurrent transfers from one account within its balance', async () => {
    const asha = await bank.user(uniqueName('race'));
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(asha, 'wallet');
    const replies = await Promise.all(
      Array.from({ length: 5 }, () => transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '30.00' })),
    );
    const statuses = replies.map((reply) => reply.status).sort();
    expect(statuses).toEqual([201, 201, 201, 402, 402]);
    expect(await bank.balance(asha, from.id)).toBe('10.00');
    expect(await bank.balance(asha, to.id)).toBe('90.00');
    expect(await bank.integrity()).toEqual([]);
  });
});
