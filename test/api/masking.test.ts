/**
 * Masking where the viewer is not the owner: other customers' account numbers (beneficiaries),
 * staff views of customers' accounts and statements, and staff lists of users. Owners see their
 * own data whole.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, fundedAccount, uniqueName } from './helpers.js';

describe('masking', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  let owner: Customer;
  let payer: Customer;
  let account: any;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
    owner = await bank.user(uniqueName('owner'));
    payer = await bank.user(uniqueName('payer'));
    account = await fundedAccount(bank, owner, '500.00');
  });
  afterAll(async () => bank.close());

  const get = (who: Customer, path: string) => bank.request('GET', `${API}${path}`, { token: who.token });
  const masked = () => `XXXX${String(account.number).slice(-4)}`;

  it('shows the owner their account number whole', async () => {
    expect(account.number).toMatch(/^[0-9]{12}$/);
    expect((await get(owner, `/accounts/${account.id}`)).body.number).toBe(account.number);
    expect((await get(owner, '/accounts')).body.items.map((item: any) => item.number)).toEqual([account.number]);
    expect((await get(owner, `/accounts/${account.id}/statement`)).body.number).toBe(account.number);
  });

  it("masks customers' account numbers in every staff view", async () => {
    for (const staff of [auditor, admin]) {
      const detail = await get(staff, `/accounts/${account.id}`);
      expect(detail.status).toBe(200);
      expect(detail.body.number).toBe(masked());
      const list = await get(staff, `/accounts?owner_id=${owner.userId}`);
      expect(list.body.items.map((item: any) => item.number)).toEqual([masked()]);
      const statement = await get(staff, `/accounts/${account.id}/statement`);
      expect(statement.body.number).toBe(masked());
      const csv = await get(staff, `/accounts/${account.id}/statement?format=csv`);
      expect(String(csv.headers['content-disposition'])).toContain(`statement-${masked()}-`);
      for (const reply of [detail, list, statement, csv]) expect(reply.text).not.toContain(account.number);
    }
    const limited = await bank.request('PATCH', `${API}/admin/accounts/${account.id}/limits`, { token: admin.token, body: { daily_limit: '1000.00' } });
    expect(limited.body.number).toBe(masked());
    const frozen = await bank.request('PATCH', `${API}/accounts/${account.id}/freeze`, { token: admin.token, body: { frozen: true } });
    expect(frozen.body.number).toBe(masked());
    expect((await bank.request('PATCH', `${API}/accounts/${account.id}/freeze`, { token: admin.token, body: { frozen: false } })).status).toBe(200);
  });

  it("masks the other customer's account number in beneficiaries", async () => {
    const saved = await bank.request('POST', `${API}/beneficiaries`, { token: payer.token, body: { name: 'Owner', account_number: account.number } });
    expect(saved.status, saved.text).toBe(201);
    expect(saved.body.account_number).toBe(masked());
    const listed = await get(payer, '/beneficiaries');
    expect(listed.body.items.map((item: any) => item.account_number)).toEqual([masked()]);
    expect(listed.text).not.toContain(account.number);
    // The saved beneficiary still pays the right account.
    const from = await fundedAccount(bank, payer, '50.00');
    const paid = await bank.request('POST', `${API}/transfers`, {
      token: payer.token,
      body: { from_account_id: from.id, beneficiary_id: saved.body.id, amount: '10.00' },
    });
    expect(paid.status, paid.text).toBe(201);
    expect(paid.body.to_account_id).toBe(account.id);
  });

  it('masks contact details in staff user lists, and the audit rows of profile changes', async () => {
    const email = `${owner.username}.private@example.in`;
    expect((await bank.request('PUT', `${API}/users/me`, { token: owner.token, body: { email, phone: '+91 91234 56789', current_password: TEST_PASSWORD } })).status).toBe(200);
    for (const staff of [auditor, admin]) {
      const list = await get(staff, `/admin/users?q=${owner.username}`);
      expect(list.body.items[0]).toMatchObject({ email: `${email.slice(0, 3)}***@example.in`, phone: '91XXXXXX89' });
      const detail = await get(staff, `/admin/users/${owner.userId}`);
      expect(detail.body).toMatchObject({ email: `${email.slice(0, 3)}***@example.in`, phone: '91XXXXXX89' });
      const audit = await get(staff, `/audit-logs?action=user.profile_updated&target_id=${owner.userId}`);
      expect(audit.body.items).toHaveLength(1);
      for (const reply of [list, detail, audit]) {
        expect(reply.text).not.toContain(email);
        expect(reply.text).not.toContain('9123456789');
      }
    }
    // The owner sees their own profile whole.
    expect((await get(owner, '/users/me')).body).toMatchObject({ email, phone: '+919123456789' });
  });
});
