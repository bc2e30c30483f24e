import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, transfer, uniqueName, watchBalances, withdraw } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

describe('POST /admin/transfers/{id}/reverse', () => {
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

  const reverse = (who: Customer | undefined, id: string, body: unknown = { reason: 'Customer dispute' }) =>
    bank.request('POST', `${API}/admin/transfers/${id}/reverse`, { ...(who === undefined ? {} : { token: who.token }), body });
  const show = (who: Customer, id: string) => bank.request('GET', `${API}/transfers/${id}`, { token: who.token });

  async function sentTransfer(amount = '300.00') {
    const asha = await bank.user(uniqueName('sender'));
    const ravi = await bank.user(uniqueName('recipient'));
    const from = await fundedAccount(bank, asha, '1000.00');
    const to = await bank.openAccount(ravi, 'savings');
    const sent = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount, description: 'Oops' });
    expect(sent.status, sent.text).toBe(201);
    return { asha, ravi, from, to, sent: sent.body };
  }

  it('reverses a transfer with a mirroring transaction and restores both balances', async () => {
    const { asha, ravi, from, to, sent } = await sentTransfer();
    const reply = await reverse(admin, sent.id, { reason: '  Sent to the wrong person  ' });
    expect(reply.status, reply.text).toBe(201);
    expect(reply.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      type: 'reversal',
      status: 'posted',
      from_account_id: to.id,
      to_account_id: from.id,
      amount: '300.00',
      currency: 'INR',
      description: expect.any(String),
      reversal_of: sent.id,
      created_at: expect.any(String),
    });
    expect((await show(asha, sent.id)).body).toMatchObject({ id: sent.id, status: 'reversed', type: 'transfer' });
    expect((await show(ravi, reply.body.id)).body).toMatchObject({ type: 'reversal', reversal_of: sent.id });
    expect(await bank.balance(asha, from.id)).toBe('1000.00');
    expect(await bank.balance(ravi, to.id)).toBe('0.00');
    expect(await bank.integrity()).toEqual([]);
  });

  it('refuses a second reversal (409 already_reversed) and the reversal of a reversal (422 not_reversible)', async () => {
    const { asha, ravi, from, to, sent } = await sentTransfer();
    const first = await reverse(admin, sent.id);
    expect(first.status).toBe(201);
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [ravi, to.id],
    ]);
    expectProblem(await reverse(admin, sent.id), 409, 'already_reversed');
    expectProblem(await reverse(superAdmin, sent.id, { reason: 'Another reason' }), 409, 'already_reversed');
    expectProblem(await reverse(admin, first.body.id), 422, 'not_reversible');
    await watch.expectUnchanged();
    expect((await show(admin, first.body.id)).body.status).toBe('posted');
  });

  it('refuses when the recipient already spent the money (402) and changes nothing', async () => {
    const { asha, ravi, from, to, sent } = await sentTransfer('300.00');
    expect((await withdraw(bank, ravi, to.id, '250.00')).status).toBe(201);
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [ravi, to.id],
    ]);
    expectProblem(await reverse(admin, sent.id), 402, 'insufficient_funds');
    await watch.expectUnchanged();
    expect((await show(admin, sent.id)).body.status).toBe('posted');
    // Once the money is back, the reversal goes through.
    expect((await bank.deposit(ravi, to.id, '250.00')).status).toBe(201);
    expect((await reverse(admin, sent.id)).status).toBe(201);
    expect(await bank.balance(asha, from.id)).toBe('1000.00');
    expect(await bank.balance(ravi, to.id)).toBe('0.00');
  });

  it('refuses when an account involved is now frozen or closed (409), changing nothing', async () => {
    const frozenCase = await sentTransfer('100.00');
    expect((await bank.request('PATCH', `${API}/accounts/${frozenCase.to.id}/freeze`, { token: frozenCase.ravi.token, body: { frozen: true } })).status).toBe(200);
    const frozenWatch = await watchBalances(bank, [
      [frozenCase.asha, frozenCase.from.id],
      [frozenCase.ravi, frozenCase.to.id],
    ]);
    expectProblem(await reverse(admin, frozenCase.sent.id), 409, 'account_frozen');
    await frozenWatch.expectUnchanged();
    expect((await show(admin, frozenCase.sent.id)).body.status).toBe('posted');

    const closedCase = await sentTransfer('100.00');
    // The sender empties and closes the source account.
    expect((await withdraw(bank, closedCase.asha, closedCase.from.id, '900.00')).status).toBe(201);
    expect((await bank.request('PATCH', `${API}/accounts/${closedCase.from.id}/close`, { token: closedCase.asha.token })).status).toBe(200);
    const closedWatch = await watchBalances(bank, [
      [closedCase.asha, closedCase.from.id],
      [closedCase.ravi, closedCase.to.id],
    ]);
    expectProblem(await reverse(admin, closedCase.sent.id), 409, 'account_closed');
    await closedWatch.expectUnchanged();
    expect((await show(admin, closedCase.sent.id)).body.status).toBe('posted');
  });

  it('reverses deposits and withdrawals too', async () => {
    const asha = await bank.user(uniqueName('cashrev'));
    const account = await bank.openAccount(asha, 'savings');
    const deposit = await bank.deposit(asha, account.id, '500.00');
    const cashOut = await withdraw(bank, asha, account.id, '200.00');
    expect(await bank.balance(asha, account.id)).toBe('300.00');
    const undoWithdrawal = await reverse(admin, cashOut.body.id);
    expect(undoWithdrawal.status, undoWithdrawal.text).toBe(201);
    expect(undoWithdrawal.body).toMatchObject({ type: 'reversal', from_account_id: null, to_account_id: account.id, amount: '200.00' });
    expect(await bank.balance(asha, account.id)).toBe('500.00');
    const undoDeposit = await reverse(admin, deposit.body.id);
    expect(undoDeposit.status, undoDeposit.text).toBe(201);
    expect(undoDeposit.body).toMatchObject({ type: 'reversal', from_account_id: account.id, to_account_id: null, amount: '500.00' });
    expect(await bank.balance(asha, account.id)).toBe('0.00');
    expect(await bank.integrity()).toEqual([]);
  });

  it("gives a reversed withdrawal or transfer back to the sender's daily limit of the day it was sent (wallet: 50000.00)", async () => {
    const asha = await bank.user(uniqueName('limrev'));
    const ravi = await bank.user(uniqueName('limrecv'));
    const wallet = await fundedAccount(bank, asha, '60000.00', 'wallet');
    const to = await bank.openAccount(ravi, 'savings');
    const limits = async () => (await bank.request('GET', `${API}/accounts/${wallet.id}/limits`, { token: asha.token })).body;
    const cashOut = await withdraw(bank, asha, wallet.id, '30000.00');
    expect(cashOut.status, cashOut.text).toBe(201);
    const sent = await transfer(bank, asha, { from_account_id: wallet.id, to_account_number: to.number, amount: '20000.00', description: 'Rent' });
    expect(sent.status, sent.text).toBe(201);
    expect(await limits()).toMatchObject({ daily_limit: '50000.00', used_today: '50000.00', remaining: '0.00' });
    expectProblem(await withdraw(bank, asha, wallet.id, '0.01'), 429, 'daily_limit_exceeded');

    expect((await reverse(admin, sent.body.id)).status).toBe(201);
    expect(await limits()).toMatchObject({ used_today: '30000.00', remaining: '20000.00' });
    expect((await reverse(admin, cashOut.body.id)).status).toBe(201);
    expect(await limits()).toMatchObject({ used_today: '0.00', remaining: '50000.00' });
    const audit = await bank.request('GET', `${API}/audit-logs?action=transfer.reversed&target_id=${sent.body.id}`, { token: auditor.token });
    expect(audit.body.items).toMatchObject([{ after: { status: 'reversed', daily_usage_restored_minor: '2000000' } }]);

    // The whole limit is there again, and no more than it.
    expect(await bank.balance(asha, wallet.id)).toBe('60000.00');
    expectProblem(await withdraw(bank, asha, wallet.id, '50000.01'), 429, 'daily_limit_exceeded');
    expect((await withdraw(bank, asha, wallet.id, '50000.00')).status).toBe(201);
    // Reversing a deposit gives nothing back to anyone's limit.
    const deposit = await bank.deposit(asha, wallet.id, '100.00');
    expect((await reverse(admin, deposit.body.id)).status).toBe(201);
    expect(await limits()).toMatchObject({ used_today: '50000.00', remaining: '0.00' });
    expect(await bank.integrity()).toEqual([]);
  });

  it('refuses unknown and non-uuid ids (404 transfer_not_found)', async () => {
    expectProblem(await reverse(admin, UNKNOWN_UUID), 404, 'transfer_not_found');
    expectProblem(await reverse(admin, 'not-a-uuid'), 404, 'transfer_not_found');
    expect(await bank.integrity()).toEqual([]);
  });

  it('lets only admins and super admins reverse', async () => {
    const { asha, ravi, from, to, sent } = await sentTransfer();
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [ravi, to.id],
    ]);
    expectProblem(await reverse(auditor, sent.id), 403, 'read_only_role');
    expectProblem(await reverse(asha, sent.id), 403, 'forbidden');
    expectProblem(await reverse(ravi, sent.id), 403, 'forbidden');
    expectProblem(await reverse(undefined, sent.id), 401, 'unauthenticated');
    await watch.expectUnchanged();
    expect((await show(admin, sent.id)).body.status).toBe('posted');
    expect((await reverse(superAdmin, sent.id)).status).toBe(201);
  });

  it('requires a reason of 3 to 500 characters', async () => {
    const { asha, ravi, from, to, sent } = await sentTransfer();
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [ravi, to.id],
    ]);
    for (const body of [{}, { reason: '' }, { reason: 'ab' }, { reason: '   ab   ' }, { reason: 'r'.repeat(501) }, { reason: 42 }, { reason: 'Valid', extra: true }]) {
      expectProblem(await reverse(admin, sent.id, body), 422, 'validation_failed');
    }
    expectProblem(await reverse(admin, sent.id, { reason: 'ab\u0000c' }), 422, 'invalid_characters');
    await watch.expectUnchanged();
    expect((await show(admin, sent.id)).body.status).toBe('posted');
    expect((await reverse(admin, sent.id, { reason: 'abc' })).status).toBe(201);

    const another = await sentTransfer();
    expect((await reverse(admin, another.sent.id, { reason: 'r'.repeat(500) })).status).toBe(201);
  });
});

describe('reversals and the bank day of the application clock', () => {
  // The application's clock three days behind the database's: the engine counts a movement
  // against the day of the application's clock, while the record's created_at is the database's.
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ now: () => new Date(Date.now() - 3 * 86_400_000) });
  });
  afterAll(async () => bank.close());

  it('gives the amount back to the day the movement was counted against, whatever created_at says', async () => {
    const admin = await bank.user(uniqueName('admin'), 'admin');
    const asha = await bank.user(uniqueName('clockrev'));
    const wallet = await fundedAccount(bank, asha, '60000.00', 'wallet');
    const limits = async () => (await bank.request('GET', `${API}/accounts/${wallet.id}/limits`, { token: asha.token })).body;
    const cashOut = await withdraw(bank, asha, wallet.id, '30000.00');
    expect(cashOut.status, cashOut.text).toBe(201);
    expect(await limits()).toMatchObject({ used_today: '30000.00', remaining: '20000.00' });
    const reversed = await bank.request('POST', `${API}/admin/transfers/${cashOut.body.id}/reverse`, { token: admin.token, body: { reason: 'Clock check' } });
    expect(reversed.status, reversed.text).toBe(201);
    expect(await limits()).toMatchObject({ used_today: '0.00', remaining: '50000.00' });
    expect(await bank.integrity()).toEqual([]);
  });
});
