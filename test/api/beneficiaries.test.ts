import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, transfer, uniqueName, unusedAccountNumber, watchBalances, withWrongCheckDigit } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

describe('beneficiaries', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
  });
  afterAll(async () => bank.close());

  const add = (who: Customer | undefined, body: unknown) =>
    bank.request('POST', `${API}/beneficiaries`, { ...(who === undefined ? {} : { token: who.token }), body });
  const list = (who: Customer) => bank.request('GET', `${API}/beneficiaries`, { token: who.token });
  const remove = (who: Customer, id: string) => bank.request('DELETE', `${API}/beneficiaries/${id}`, { token: who.token });

  async function pair(): Promise<{ asha: Customer; ravi: Customer; payee: any }> {
    const asha = await bank.user(uniqueName('ben'));
    const ravi = await bank.user(uniqueName('payee'));
    const payee = await bank.openAccount(ravi, 'savings');
    return { asha, ravi, payee };
  }

  it('saves, lists and deletes a beneficiary', async () => {
    const { asha, payee } = await pair();
    const saved = await add(asha, { name: '  Ravi Verma  ', account_number: payee.number, nickname: ' Landlord ' });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      name: 'Ravi Verma',
      nickname: 'Landlord',
      // Someone else's account: only its last four digits are shown.
      account_number: `XXXX${payee.number.slice(-4)}`,
      currency: 'INR',
      created_at: expect.any(String),
    });
    const listed = await list(asha);
    expect(listed.status).toBe(200);
    expect(listed.body).toEqual({ items: [saved.body] });

    const deleted = await remove(asha, saved.body.id);
    expect(deleted.status, deleted.text).toBe(204);
    expect(deleted.text).toBe('');
    expect((await list(asha)).body.items).toEqual([]);
    expectProblem(await remove(asha, saved.body.id), 404, 'beneficiary_not_found');
  });

  it('saves the same account again after deleting it', async () => {
    const { asha, payee } = await pair();
    const first = await add(asha, { name: 'Ravi', account_number: payee.number });
    expect((await remove(asha, first.body.id)).status).toBe(204);
    const second = await add(asha, { name: 'Ravi again', account_number: payee.number });
    expect(second.status, second.text).toBe(201);
    expect(second.body.id).not.toBe(first.body.id);
    expect((await list(asha)).body.items.map((item: any) => item.id)).toEqual([second.body.id]);
  });

  it('accepts a number written with spaces or hyphens, and stores an empty nickname as null', async () => {
    const { asha, payee } = await pair();
    const spaced = `${payee.number.slice(0, 4)} ${payee.number.slice(4, 8)}-${payee.number.slice(8)}`;
    const saved = await add(asha, { name: 'Spaced', account_number: spaced, nickname: '  ' });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.body).toMatchObject({ account_number: `XXXX${payee.number.slice(-4)}`, nickname: null });
    expect(saved.text).not.toContain(payee.number);
  });

  it('lists the newest first and only the caller’s own', async () => {
    const asha = await bank.user(uniqueName('many'));
    const other = await bank.user(uniqueName('manyother'));
    const ids: string[] = [];
    for (let index = 0; index < 3; index += 1) {
      const owner = await bank.user(uniqueName('target'));
      const account = await bank.openAccount(owner, 'wallet');
      const saved = await add(asha, { name: `Payee ${index}`, account_number: account.number });
      expect(saved.status).toBe(201);
      ids.push(saved.body.id);
    }
    expect((await list(asha)).body.items.map((item: any) => item.id)).toEqual([...ids].reverse());
    expect((await list(other)).body.items).toEqual([]);
  });

  it('refuses own accounts, unknown numbers, bad check digits and duplicates', async () => {
    const { asha, payee } = await pair();
    const own = await bank.openAccount(asha, 'savings');
    expectProblem(await add(asha, { name: 'Me', account_number: own.number }), 422, 'own_account');
    expectProblem(await add(asha, { name: 'Nobody', account_number: unusedAccountNumber() }), 422, 'recipient_not_found');
    expectProblem(await add(asha, { name: 'Typo', account_number: withWrongCheckDigit(payee.number) }), 422, 'invalid_account_number');
    expectProblem(await add(asha, { name: 'Short', account_number: payee.number.slice(0, 11) }), 422, 'invalid_account_number');
    expectProblem(await add(asha, { name: 'Letters', account_number: 'ABCDEFGHIJKL' }), 422, 'invalid_account_number');
    expectProblem(await add(asha, { name: 'Empty', account_number: '' }), 422, 'invalid_account_number');
    expect((await list(asha)).body.items).toEqual([]);

    expect((await add(asha, { name: 'Ravi', account_number: payee.number })).status).toBe(201);
    expectProblem(await add(asha, { name: 'Ravi again', account_number: payee.number }), 409, 'beneficiary_exists');
    expect((await list(asha)).body.items).toHaveLength(1);
  });

  it('refuses malformed bodies (422 validation_failed)', async () => {
    const { asha, payee } = await pair();
    expectProblem(await add(asha, { account_number: payee.number }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'Ravi' }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: '   ', account_number: payee.number }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'n'.repeat(101), account_number: payee.number }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'Ravi', account_number: payee.number, nickname: 'n'.repeat(51) }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'Ravi', account_number: payee.number, ifsc: 'KOSH0000001' }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'Ravi', account_number: Number(payee.number) }), 422, 'validation_failed');
    expectProblem(await add(asha, { name: 'Ra\u0000vi', account_number: payee.number }), 422, 'invalid_characters');
    expect((await list(asha)).body.items).toEqual([]);
    expect((await add(asha, { name: 'n'.repeat(100), account_number: payee.number, nickname: 'k'.repeat(50) })).status).toBe(201);
  });

  it('lets only customers manage beneficiaries', async () => {
    const { payee } = await pair();
    expectProblem(await add(auditor, { name: 'x', account_number: payee.number }), 403, 'read_only_role');
    expectProblem(await add(admin, { name: 'x', account_number: payee.number }), 403, 'forbidden');
    expectProblem(await add(undefined, { name: 'x', account_number: payee.number }), 401, 'unauthenticated');
    expectProblem(await list(auditor), 403, 'forbidden');
    expectProblem(await list(admin), 403, 'forbidden');
    expectProblem(await bank.request('GET', `${API}/beneficiaries`), 401, 'unauthenticated');
    expectProblem(await remove(auditor, UNKNOWN_UUID), 403, 'read_only_role');
    expectProblem(await remove(admin, UNKNOWN_UUID), 403, 'forbidden');
    expectProblem(await bank.request('DELETE', `${API}/beneficiaries/${UNKNOWN_UUID}`), 401, 'unauthenticated');
  });

  it("refuses to delete another customer's beneficiary (404), which stays in place", async () => {
    const { asha, payee } = await pair();
    const eve = await bank.user(uniqueName('eve'));
    const saved = await add(asha, { name: 'Ravi', account_number: payee.number });
    expectProblem(await remove(eve, saved.body.id), 404, 'beneficiary_not_found');
    expectProblem(await remove(eve, UNKNOWN_UUID), 404, 'beneficiary_not_found');
    expectProblem(await remove(eve, 'not-a-uuid'), 404, 'beneficiary_not_found');
    expect((await list(asha)).body.items.map((item: any) => item.id)).toEqual([saved.body.id]);
  });

  describe('transfers to beneficiaries', () => {
    it('pays a saved beneficiary', async () => {
      const { asha, ravi, payee } = await pair();
      const from = await fundedAccount(bank, asha, '500.00');
      const saved = await add(asha, { name: 'Ravi', account_number: payee.number });
      const sent = await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: saved.body.id, amount: '120.00', description: 'Rent' });
      expect(sent.status, sent.text).toBe(201);
      expect(sent.body).toMatchObject({ type: 'transfer', from_account_id: from.id, to_account_id: payee.id, amount: '120.00', description: 'Rent' });
      expect(await bank.balance(asha, from.id)).toBe('380.00');
      expect(await bank.balance(ravi, payee.id)).toBe('120.00');
      expect(await bank.integrity()).toEqual([]);
    });

    it("refuses another customer's, an unknown, a deleted or a non-uuid beneficiary (404 beneficiary_not_found)", async () => {
      const { asha, ravi, payee } = await pair();
      const eve = await bank.user(uniqueName('eve'));
      const evesAccount = await fundedAccount(bank, eve, '500.00');
      const from = await fundedAccount(bank, asha, '500.00');
      const ashas = await add(asha, { name: 'Ravi', account_number: payee.number });
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [eve, evesAccount.id],
        [ravi, payee.id],
      ]);
      expectProblem(await transfer(bank, eve, { from_account_id: evesAccount.id, beneficiary_id: ashas.body.id, amount: '1.00' }), 404, 'beneficiary_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: UNKNOWN_UUID, amount: '1.00' }), 404, 'beneficiary_not_found');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: 'nope', amount: '1.00' }), 404, 'beneficiary_not_found');
      expect((await remove(asha, ashas.body.id)).status).toBe(204);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: ashas.body.id, amount: '1.00' }), 404, 'beneficiary_not_found');
      await watch.expectUnchanged();
    });

    it('refuses a beneficiary whose account was closed or frozen since', async () => {
      const { asha, ravi, payee } = await pair();
      const from = await fundedAccount(bank, asha, '500.00');
      const frozenPayee = await bank.openAccount(ravi, 'wallet');
      const toClosed = await add(asha, { name: 'Closed', account_number: payee.number });
      const toFrozen = await add(asha, { name: 'Frozen', account_number: frozenPayee.number });
      expect((await bank.request('PATCH', `${API}/accounts/${payee.id}/close`, { token: ravi.token })).status).toBe(200);
      expect((await bank.request('PATCH', `${API}/accounts/${frozenPayee.id}/freeze`, { token: ravi.token, body: { frozen: true } })).status).toBe(200);
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [ravi, payee.id],
        [ravi, frozenPayee.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: toClosed.body.id, amount: '1.00' }), 409, 'account_closed');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, beneficiary_id: toFrozen.body.id, amount: '1.00' }), 409, 'account_frozen');
      await watch.expectUnchanged();
    });
  });
});
