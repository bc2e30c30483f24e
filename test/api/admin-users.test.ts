/**
 * User management by staff: the list (search, filters, stable pages) and details with contact
 * details masked, blocking (sessions revoked at once) and unblocking, roles (super admins only,
 * never one's own, never the last super admin), and the audited reveal of contact details.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { blockUser, changeRole } from '../../src/modules/identity/admin-users.js';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

describe('admin user management', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  let root: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
    root = await bank.user(uniqueName('root'), 'super_admin');
  });
  afterAll(async () => bank.close());

  const as = (who: Customer | undefined) => (who === undefined ? {} : { token: who.token });
  const get = (who: Customer | undefined, path: string) => bank.request('GET', `${API}${path}`, as(who));
  const post = (who: Customer | undefined, path: string, body?: unknown) => bank.request('POST', `${API}${path}`, { ...as(who), ...(body === undefined ? {} : { body }) });
  const put = (who: Customer | undefined, path: string, body: unknown) => bank.request('PUT', `${API}${path}`, { ...as(who), body });
  const login = (username: string) => bank.request('POST', `${API}/auth/login`, { body: { username, password: TEST_PASSWORD } });
  const auditRows = async (action: string, targetId: string) =>
    (await get(auditor, `/audit-logs?action=${action}&target_id=${targetId}`)).body.items as any[];

  /** A customer with a phone and a date of birth, for masking checks. */
  async function detailedCustomer(prefix = 'cust'): Promise<Customer & { email: string }> {
    const customer = await bank.user(uniqueName(prefix));
    const reply = await put(customer, '/users/me', { phone: '9876543210', date_of_birth: '1990-05-17', current_password: TEST_PASSWORD });
    expect(reply.status).toBe(200);
    return { ...customer, email: reply.body.email };
  }

  describe('GET /admin/users', () => {
    it('lists users for staff with contact details masked; customers get 403', async () => {
      const customer = await detailedCustomer();
      for (const staff of [auditor, admin, root]) {
        const reply = await get(staff, `/admin/users?q=${customer.username}`);
        expect(reply.status, reply.text).toBe(200);
        expect(reply.body).toEqual({
          items: [
            {
              id: customer.userId,
              username: customer.username,
              email: `${customer.email.slice(0, 3)}***@example.in`,
              full_name: `Test ${customer.username}`,
              phone: '98XXXXXX10',
              date_of_birth: '1990-XX-XX',
              role: 'customer',
              status: 'active',
              kyc_status: 'verified',
              created_at: expect.any(String),
            },
          ],
          next_cursor: null,
        });
        expect(reply.text).not.toContain(customer.email);
        expect(reply.text).not.toContain('9876543210');
        expect(reply.text).not.toContain('1990-05-17');
      }
      expectProblem(await get(customer, '/admin/users'), 403, 'forbidden');
      expectProblem(await get(undefined, '/admin/users'), 401, 'unauthenticated');
    });

    it('finds users by text in the username, email or full name, without regard to case', async () => {
      const tag = uniqueName('findme').replace(/-/g, '');
      const byName = await bank.user(`${tag}a`);
      const byEmail = await bank.user(uniqueName('other'));
      expect((await put(byEmail, '/users/me', { email: `x.${tag}@mail.example.in`, current_password: TEST_PASSWORD })).status).toBe(200);
      const byFullName = await bank.user(uniqueName('third'));
      expect((await put(byFullName, '/users/me', { full_name: `Meera ${tag.toUpperCase()} Iyer` })).status).toBe(200);
      const found = await get(admin, `/admin/users?q=${tag.toUpperCase()}&limit=100`);
      expect(found.body.items.map((user: any) => user.id).sort()).toEqual([byName.userId, byEmail.userId, byFullName.userId].sort());
      // LIKE wildcards match themselves only.
      expect((await get(admin, '/admin/users?q=%25')).body.items).toEqual([]);
      const underscored = await bank.user(uniqueName('under_score'));
      const withUnderscore = (await get(admin, '/admin/users?q=_&limit=100')).body.items;
      expect(withUnderscore.map((user: any) => user.id)).toContain(underscored.userId);
      expect(withUnderscore.every((user: any) => `${user.username}${user.full_name}`.includes('_'))).toBe(true);
      expect((await get(admin, `/admin/users?q=${encodeURIComponent('  ')}&limit=1`)).body.items).toHaveLength(1);
    });

    it('filters by role, status and KYC status', async () => {
      const pending = await bank.user(uniqueName('kycp'), 'customer', { kyc: 'pending' });
      const blocked = await bank.user(uniqueName('blocked'));
      expect((await post(admin, `/admin/users/${blocked.userId}/block`, { reason: 'Filter check' })).status).toBe(200);
      const auditors = (await get(admin, '/admin/users?role=auditor&limit=100')).body.items;
      expect(auditors.map((user: any) => user.id)).toContain(auditor.userId);
      expect(auditors.every((user: any) => user.role === 'auditor')).toBe(true);
      const blockedUsers = (await get(admin, '/admin/users?status=blocked&limit=100')).body.items;
      expect(blockedUsers.map((user: any) => user.id)).toContain(blocked.userId);
      expect(blockedUsers.every((user: any) => user.status === 'blocked')).toBe(true);
      const pendingUsers = (await get(admin, '/admin/users?kyc_status=pending&role=customer&limit=100')).body.items;
      expect(pendingUsers.map((user: any) => user.id)).toContain(pending.userId);
      expect(pendingUsers.every((user: any) => user.kyc_status === 'pending' && user.role === 'customer')).toBe(true);
      expect((await get(admin, `/admin/users?q=${pending.username}&kyc_status=verified`)).body.items).toEqual([]);
    });

    it('pages newest first with a stable cursor', async () => {
      const tag = uniqueName('page').replace(/-/g, '');
      const created: Customer[] = [];
      for (let index = 0; index < 5; index += 1) created.push(await bank.user(`${tag}${index}`));
      const seen: string[] = [];
      let cursor: string | null = null;
      let pages = 0;
      do {
        const reply: any = await get(admin, `/admin/users?q=${tag}&limit=2${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(reply.status).toBe(200);
        expect(reply.body.items.length).toBeLessThanOrEqual(2);
        seen.push(...reply.body.items.map((user: any) => user.id));
        cursor = reply.body.next_cursor;
        pages += 1;
        // A user created while paging appears on no later page (it is newer than the cursor).
        if (pages === 1) await bank.user(`${tag}late`);
      } while (cursor !== null);
      expect(pages).toBe(3);
      expect(seen).toEqual(created.map((user) => user.userId).reverse());
    });

    it('refuses bad queries with 422', async () => {
      expectProblem(await get(admin, '/admin/users?limit=101'), 422, 'validation_failed');
      expectProblem(await get(admin, '/admin/users?limit=0'), 422, 'validation_failed');
      expectProblem(await get(admin, '/admin/users?role=owner'), 422, 'validation_failed');
      expectProblem(await get(admin, '/admin/users?kyc_status=ok'), 422, 'validation_failed');
      expectProblem(await get(admin, '/admin/users?sort=email'), 422, 'validation_failed');
      expectProblem(await get(admin, `/admin/users?q=${'x'.repeat(101)}`), 422, 'validation_failed');
      expectProblem(await get(admin, '/admin/users?cursor=bm9wZQ'), 422, 'invalid_cursor');
      expect((await get(admin, '/admin/users?limit=100')).status).toBe(200);
    });
  });

  describe('GET /admin/users/{id}', () => {
    it('shows one user, masked, with the latest decisions', async () => {
      const customer = await detailedCustomer();
      expect((await put(admin, `/admin/users/${customer.userId}/kyc`, { status: 'rejected', reason: 'Blurred photo' })).status).toBe(200);
      for (const staff of [auditor, admin]) {
        const reply = await get(staff, `/admin/users/${customer.userId}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({
          id: customer.userId,
          email: `${customer.email.slice(0, 3)}***@example.in`,
          phone: '98XXXXXX10',
          date_of_birth: '1990-XX-XX',
          kyc_status: 'rejected',
          kyc_reason: 'Blurred photo',
          kyc_decided_by: admin.userId,
          status_reason: null,
          status_changed_at: null,
        });
        expect(reply.text).not.toContain(customer.email);
      }
      expectProblem(await get(customer, `/admin/users/${customer.userId}`), 403, 'forbidden');
      expectProblem(await get(admin, `/admin/users/${UNKNOWN_UUID}`), 404, 'user_not_found');
      expectProblem(await get(admin, '/admin/users/not-a-uuid'), 404, 'user_not_found');
    });
  });

  describe('blocking', () => {
    it('blocks a user: their token is refused at once, sign-in and refresh fail, audited', async () => {
      const customer = await bank.user(uniqueName('blockme'));
      const second = await login(customer.username);
      expect(second.status).toBe(200);
      expect((await get(customer, '/users/me')).status).toBe(200);

      const reply = await post(admin, `/admin/users/${customer.userId}/block`, { reason: 'Suspected account takeover' });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ id: customer.userId, status: 'blocked', status_reason: 'Suspected account takeover', status_changed_by: admin.userId });

      expectProblem(await get(customer, '/users/me'), 401, 'unauthenticated');
      expectProblem(await bank.request('GET', `${API}/users/me`, { token: second.body.access_token }), 401, 'unauthenticated');
      expect((await login(customer.username)).status).toBe(401);
      expect((await bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: second.body.refresh_token } })).status).toBe(401);

      const rows = await auditRows('user.blocked', customer.userId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor_id: admin.userId,
        before: { status: 'active' },
        after: { status: 'blocked', reason: 'Suspected account takeover', sessions_revoked: 2 },
      });
      expectProblem(await post(admin, `/admin/users/${customer.userId}/block`, { reason: 'Again' }), 409, 'user_already_blocked');
    });

    it('unblocks a user: they sign in again, their old sessions stay revoked, audited', async () => {
      const customer = await bank.user(uniqueName('unblock'));
      expect((await post(admin, `/admin/users/${customer.userId}/block`, { reason: 'Check' })).status).toBe(200);
      const reply = await post(admin, `/admin/users/${customer.userId}/unblock`, { reason: 'Customer verified by phone' });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ status: 'active', status_reason: 'Customer verified by phone' });
      expectProblem(await get(customer, '/users/me'), 401, 'unauthenticated');
      const again = await login(customer.username);
      expect(again.status).toBe(200);
      expect((await bank.request('GET', `${API}/users/me`, { token: again.body.access_token })).status).toBe(200);
      expect(await auditRows('user.unblocked', customer.userId)).toMatchObject([
        { actor_id: admin.userId, before: { status: 'blocked', reason: 'Check' }, after: { status: 'active', reason: 'Customer verified by phone' } },
      ]);
      expectProblem(await post(admin, `/admin/users/${customer.userId}/unblock`), 409, 'user_not_blocked');
      // No body at all is fine for unblocking.
      expect((await post(admin, `/admin/users/${customer.userId}/block`, { reason: 'Again' })).status).toBe(200);
      expect((await post(admin, `/admin/users/${customer.userId}/unblock`)).body).toMatchObject({ status: 'active', status_reason: null });
    });

    it('keeps administrators to super admins, and nobody blocks themselves', async () => {
      const otherAdmin = await bank.user(uniqueName('admin2'), 'admin');
      const customer = await bank.user(uniqueName('cust'));
      expectProblem(await post(admin, `/admin/users/${otherAdmin.userId}/block`, { reason: 'x' }), 403, 'super_admin_required');
      expectProblem(await post(admin, `/admin/users/${root.userId}/block`, { reason: 'x' }), 403, 'super_admin_required');
      expectProblem(await post(admin, `/admin/users/${admin.userId}/block`, { reason: 'x' }), 403, 'self_change_forbidden');
      expectProblem(await post(root, `/admin/users/${root.userId}/block`, { reason: 'x' }), 403, 'self_change_forbidden');
      expectProblem(await post(auditor, `/admin/users/${customer.userId}/block`, { reason: 'x' }), 403, 'read_only_role');
      expectProblem(await post(customer, `/admin/users/${otherAdmin.userId}/block`, { reason: 'x' }), 403, 'forbidden');
      expectProblem(await post(undefined, `/admin/users/${customer.userId}/block`, { reason: 'x' }), 401, 'unauthenticated');
      expectProblem(await post(admin, `/admin/users/${UNKNOWN_UUID}/block`, { reason: 'x' }), 404, 'user_not_found');
      expectProblem(await post(admin, `/admin/users/${customer.userId}/block`, {}), 422, 'validation_failed');
      expectProblem(await post(admin, `/admin/users/${customer.userId}/block`, { reason: ' ' }), 422, 'validation_failed');
      expectProblem(await post(admin, `/admin/users/${customer.userId}/block`, { reason: 'x', status: 'active' }), 422, 'validation_failed');
      expect((await get(customer, '/users/me')).status).toBe(200);
      expect((await get(otherAdmin, '/users/me')).status).toBe(200);
      // An admin blocks auditors and customers; a super admin blocks admins.
      const auditor2 = await bank.user(uniqueName('aud2'), 'auditor');
      expect((await post(admin, `/admin/users/${auditor2.userId}/block`, { reason: 'Left the firm' })).status).toBe(200);
      expect((await post(root, `/admin/users/${otherAdmin.userId}/block`, { reason: 'Left the firm' })).status).toBe(200);
      expectProblem(await get(otherAdmin, '/users/me'), 401, 'unauthenticated');
    });
  });

  describe('roles', () => {
    it('lets a super admin change roles; the old tokens stop working and new ones carry the role', async () => {
      const customer = await bank.user(uniqueName('promote'));
      const reply = await put(root, `/admin/users/${customer.userId}/role`, { role: 'auditor' });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toMatchObject({ id: customer.userId, role: 'auditor' });
      expectProblem(await get(customer, '/users/me'), 401, 'unauthenticated');
      const relogin = await login(customer.username);
      expect((await bank.request('GET', `${API}/admin/users?limit=1`, { token: relogin.body.access_token })).status).toBe(200);
      expect(await auditRows('user.role_changed', customer.userId)).toMatchObject([{ actor_id: root.userId, before: { role: 'customer' }, after: { role: 'auditor' } }]);
      // The same role again changes and records nothing.
      expect((await put(root, `/admin/users/${customer.userId}/role`, { role: 'auditor' })).status).toBe(200);
      expect(await auditRows('user.role_changed', customer.userId)).toHaveLength(1);
      expect((await bank.request('GET', `${API}/users/me`, { token: relogin.body.access_token })).status).toBe(200);
    });

    it('refuses role changes by admins (auditors included), of oneself, and bad input', async () => {
      const customer = await bank.user(uniqueName('cust'));
      expectProblem(await put(admin, `/admin/users/${customer.userId}/role`, { role: 'auditor' }), 403, 'super_admin_required');
      expectProblem(await put(admin, `/admin/users/${customer.userId}/role`, { role: 'admin' }), 403, 'super_admin_required');
      expectProblem(await put(admin, `/admin/users/${admin.userId}/role`, { role: 'super_admin' }), 403, 'super_admin_required');
      expectProblem(await put(root, `/admin/users/${root.userId}/role`, { role: 'admin' }), 403, 'self_change_forbidden');
      expectProblem(await put(auditor, `/admin/users/${customer.userId}/role`, { role: 'admin' }), 403, 'read_only_role');
      expectProblem(await put(customer, `/admin/users/${customer.userId}/role`, { role: 'super_admin' }), 403, 'forbidden');
      expectProblem(await put(root, `/admin/users/${UNKNOWN_UUID}/role`, { role: 'admin' }), 404, 'user_not_found');
      expectProblem(await put(root, `/admin/users/${customer.userId}/role`, { role: 'owner' }), 422, 'validation_failed');
      expectProblem(await put(root, `/admin/users/${customer.userId}/role`, {}), 422, 'validation_failed');
      expect((await get(customer, '/users/me')).body.role).toBe('customer');
    });

    it('never leaves the bank without an active super admin', async () => {
      const single = await startTestBank();
      try {
        const only = await single.user(uniqueName('root'), 'super_admin');
        // The rule itself, as a use case call: a super admin (not a user of this bank) demoting the only one.
        const outsider = { userId: UNKNOWN_UUID, role: 'super_admin' as const, sessionId: UNKNOWN_UUID };
        await expect(changeRole(single.app.context, outsider, { userId: only.userId, role: 'admin' })).rejects.toMatchObject({ code: 'last_super_admin' });

        // Two super admins demoting each other at once: exactly one demotion happens.
        const second = await single.user(uniqueName('root2'), 'super_admin');
        const replies = await Promise.all([
          single.request('PUT', `${API}/admin/users/${second.userId}/role`, { token: only.token, body: { role: 'customer' } }),
          single.request('PUT', `${API}/admin/users/${only.userId}/role`, { token: second.token, body: { role: 'customer' } }),
        ]);
        const statuses = replies.map((reply) => reply.status);
        expect(statuses.filter((status) => status === 200)).toHaveLength(1);
        const loser = replies.find((reply) => reply.status !== 200);
        expect([401, 409]).toContain(loser?.status);
        if (loser?.status === 409) expect(loser.body.code).toBe('last_super_admin');
        const staff = await single.user(uniqueName('aud'), 'auditor');
        const supers = (await single.request('GET', `${API}/admin/users?role=super_admin&status=active`, { token: staff.token })).body.items;
        expect(supers).toHaveLength(1);

        // Blocking the last active one is refused the same way.
        await expect(blockUser(single.app.context, outsider, { userId: supers[0].id, reason: 'x' })).rejects.toMatchObject({ code: 'last_super_admin' });
      } finally {
        await single.close();
      }
    });
  });

  describe('POST /admin/users/{id}/reveal', () => {
    it('shows an admin the full contact details, and audits who asked and why', async () => {
      const customer = await detailedCustomer();
      const reply = await post(admin, `/admin/users/${customer.userId}/reveal`, { reason: 'Customer called about a disputed transfer' });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ id: customer.userId, username: customer.username, email: customer.email, phone: '+919876543210', date_of_birth: '1990-05-17' });
      const rows = await auditRows('user.pii_revealed', customer.userId);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({
        actor_id: admin.userId,
        actor_role: 'admin',
        after: { fields: ['email', 'phone', 'date_of_birth'], reason: 'Customer called about a disputed transfer' },
      });
      expect(JSON.stringify(rows[0])).not.toContain(customer.email);
    });

    it('is for admins, with a reason', async () => {
      const customer = await detailedCustomer();
      expectProblem(await post(auditor, `/admin/users/${customer.userId}/reveal`, { reason: 'Curious' }), 403, 'read_only_role');
      expectProblem(await post(customer, `/admin/users/${customer.userId}/reveal`, { reason: 'Me' }), 403, 'forbidden');
      expectProblem(await post(undefined, `/admin/users/${customer.userId}/reveal`, { reason: 'x' }), 401, 'unauthenticated');
      expectProblem(await post(admin, `/admin/users/${customer.userId}/reveal`, {}), 422, 'validation_failed');
      expectProblem(await post(admin, `/admin/users/${UNKNOWN_UUID}/reveal`, { reason: 'x' }), 404, 'user_not_found');
      expect(await auditRows('user.pii_revealed', customer.userId)).toEqual([]);
    });
  });
});
