/**
 * The signed-in user's profile: GET and PUT /users/me (a strict partial update), validation and
 * normalization of contact details, mass assignment, taken emails and the audit row of a change.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

describe('profile', () => {
  let bank: TestBank;
  let auditor: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
  });
  afterAll(async () => bank.close());

  const me = (who: Customer | undefined) => bank.request('GET', `${API}/users/me`, who === undefined ? {} : { token: who.token });
  const send = (who: Customer | undefined, body: unknown) => bank.request('PUT', `${API}/users/me`, { ...(who === undefined ? {} : { token: who.token }), body });
  /** Sends a change, with the current password when it touches the email or phone. */
  const update = (who: Customer | undefined, body: unknown) => {
    const contact = body !== null && typeof body === 'object' && !Array.isArray(body) && ('email' in body || 'phone' in body);
    return send(who, contact ? { current_password: TEST_PASSWORD, ...(body as object) } : body);
  };
  const auditRows = async (userId: string) =>
    (await bank.request('GET', `${API}/audit-logs?action=user.profile_updated&target_id=${userId}`, { token: auditor.token })).body.items as any[];

  it('shows the signed-in user their own profile, unmasked', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const reply = await me(asha);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      id: asha.userId,
      username: asha.username,
      email: expect.stringMatching(new RegExp(`^${asha.username}\\.\\d+@example\\.in$`)),
      full_name: `Test ${asha.username}`,
      phone: null,
      date_of_birth: null,
      role: 'customer',
      status: 'active',
      kyc_status: 'verified',
      created_at: expect.any(String),
    });
    expectProblem(await me(undefined), 401, 'unauthenticated');
  });

  it('changes only the fields sent, normalized', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const before = (await me(asha)).body;
    const named = await update(asha, { full_name: '  Asha Rao  ' });
    expect(named.status, named.text).toBe(200);
    expect(named.body).toEqual({ ...before, full_name: 'Asha Rao' });

    const email = `${asha.username}.NEW@Example.IN`;
    const contact = await update(asha, { email, phone: '+91-98765 43210', date_of_birth: '1990-05-17' });
    expect(contact.status, contact.text).toBe(200);
    expect(contact.body).toEqual({ ...before, full_name: 'Asha Rao', email: email.toLowerCase(), phone: '+919876543210', date_of_birth: '1990-05-17' });
    expect((await me(asha)).body).toEqual(contact.body);

    const cleared = await update(asha, { phone: null, date_of_birth: null });
    expect(cleared.body).toMatchObject({ phone: null, date_of_birth: null, email: email.toLowerCase(), full_name: 'Asha Rao' });
  });

  it.each([
    ['98765 43210', '+919876543210'],
    ['09876543210', '+919876543210'],
    ['+91-9876543210', '+919876543210'],
    ['+44 7911 123456', '+447911123456'],
  ])('accepts the phone %j as %s', async (phone, expected) => {
    const user = await bank.user(uniqueName('phone'));
    const reply = await update(user, { phone });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.phone).toBe(expected);
  });

  it('signs in with the new email', async () => {
    const ravi = await bank.user(uniqueName('ravi'));
    const email = `${ravi.username}@new.example.in`;
    expect((await update(ravi, { email })).status).toBe(200);
    const login = await bank.request('POST', `${API}/auth/login`, { body: { username: email, password: TEST_PASSWORD } });
    expect(login.status, login.text).toBe(200);
  });

  it('refuses invalid values with a code per field, changing nothing', async () => {
    const user = await bank.user(uniqueName('invalid'));
    const before = (await me(user)).body;
    expectProblem(await update(user, { email: 'not-an-email' }), 422, 'invalid_email');
    expectProblem(await update(user, { email: 'a@b' }), 422, 'invalid_email');
    expectProblem(await update(user, { phone: '12345' }), 422, 'invalid_phone');
    expectProblem(await update(user, { phone: '5876543210' }), 422, 'invalid_phone');
    expectProblem(await update(user, { date_of_birth: '2999-01-01' }), 422, 'invalid_date_of_birth');
    expectProblem(await update(user, { date_of_birth: '1990-02-30' }), 422, 'invalid_date_of_birth');
    expectProblem(await update(user, { date_of_birth: '17/05/1990' }), 422, 'invalid_date_of_birth');
    // One bad field refuses the whole change.
    expectProblem(await update(user, { full_name: 'Fine Name', phone: 'bad' }), 422, 'invalid_phone');
    expectProblem(await update(user, { full_name: '   ' }), 422, 'validation_failed');
    expectProblem(await update(user, { full_name: 'n'.repeat(101) }), 422, 'validation_failed');
    expectProblem(await update(user, { email: null }), 422, 'validation_failed');
    expectProblem(await update(user, { full_name: 42 }), 422, 'validation_failed');
    expectProblem(await update(user, {}), 422, 'empty_update');
    expectProblem(await update(user, undefined), 422, 'validation_failed');
    expectProblem(await update(user, [{ full_name: 'x' }]), 422, 'validation_failed');
    expectProblem(await update(undefined, { full_name: 'Nobody' }), 401, 'unauthenticated');
    expect((await me(user)).body).toEqual(before);
  });

  it.each([
    ['role', 'super_admin'],
    ['status', 'active'],
    ['kyc_status', 'verified'],
    ['balance', '99999999.00'],
    ['id', '00000000-0000-4000-8000-000000000000'],
    ['username', 'someone-else'],
    ['password', 'a brand new password'],
    ['created_at', '2000-01-01T00:00:00Z'],
  ])('refuses mass assignment of %s with 422, changing nothing', async (field, value) => {
    const user = await bank.user(uniqueName('mass'), 'customer', { kyc: 'pending' });
    const before = (await me(user)).body;
    expectProblem(await update(user, { full_name: 'Mass Assigner', [field]: value }), 422, 'validation_failed');
    expect((await me(user)).body).toEqual(before);
  });

  it('refuses an email another user has, whatever its case (409)', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const ravi = await bank.user(uniqueName('ravi'));
    const ashaEmail = (await me(asha)).body.email as string;
    const before = (await me(ravi)).body;
    expectProblem(await update(ravi, { email: ashaEmail }), 409, 'email_taken');
    expectProblem(await update(ravi, { email: ashaEmail.toUpperCase(), full_name: 'Ravi' }), 409, 'email_taken');
    expect((await me(ravi)).body).toEqual(before);
    // Keeping one's own email is not a conflict.
    expect((await update(asha, { email: ashaEmail.toUpperCase() })).status).toBe(200);
  });

  it('gives exactly one of two users racing for an email', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const ravi = await bank.user(uniqueName('ravi'));
    const email = `${uniqueName('contested')}@example.in`;
    const replies = await Promise.all([update(asha, { email }), update(ravi, { email })]);
    expect(replies.map((reply) => reply.status).sort()).toEqual([200, 409]);
    expect(replies.find((reply) => reply.status === 409)?.body.code).toBe('email_taken');
  });

  it('asks for the current password before the email or phone number changes', async () => {
    const user = await bank.user(uniqueName('recheck'));
    const email = `${uniqueName('fresh')}@example.in`;
    expectProblem(await send(user, { email }), 428, 'password_required');
    expectProblem(await send(user, { phone: '9876543210', full_name: 'Changed Too' }), 428, 'password_required');
    expectProblem(await send(user, { email, current_password: 'not my password at all' }), 403, 'invalid_password');
    const unchanged = await me(user);
    expect(unchanged.body).toMatchObject({ phone: null, full_name: `Test ${user.username}` });
    expect(unchanged.body.email).not.toBe(email);
    // Other fields, and the current email sent again, need no password.
    expect((await send(user, { full_name: 'No Password Needed', email: unchanged.body.email })).status).toBe(200);
    const changed = await send(user, { email, current_password: TEST_PASSWORD });
    expect(changed.status, changed.text).toBe(200);
    expect(changed.body.email).toBe(email);
  });

  it('lets staff change their own profile too', async () => {
    const admin = await bank.user(uniqueName('admin'), 'admin');
    const reply = await update(admin, { full_name: 'Renamed Admin' });
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ role: 'admin', full_name: 'Renamed Admin' });
  });

  it('audits a change with the changed fields only, contact details masked', async () => {
    const user = await bank.user(uniqueName('audited'));
    expect((await update(user, { phone: '9876543210' })).status).toBe(200);
    const oldEmail = (await me(user)).body.email as string;
    const newEmail = `${user.username}.changed@example.in`;
    const reply = await update(user, { full_name: 'Audited Person', email: newEmail, phone: '9876543210' });
    expect(reply.status).toBe(200);
    const rows = await auditRows(user.userId);
    expect(rows).toHaveLength(2);
    const [latest] = rows;
    expect(latest).toMatchObject({
      actor_id: user.userId,
      actor_role: 'customer',
      action: 'user.profile_updated',
      target_type: 'user',
      target_id: user.userId,
      // The phone did not change, so it is not in the row.
      before: { full_name: `Test ${user.username}`, email: `${oldEmail.slice(0, 3)}***@example.in` },
      after: { full_name: 'Audited Person', email: `${newEmail.slice(0, 3)}***@example.in` },
      request_id: expect.any(String),
    });
    expect(Object.keys(latest.after).sort()).toEqual(['email', 'full_name']);
    expect(rows[1]).toMatchObject({ before: { phone: null }, after: { phone: '98XXXXXX10' } });
    expect(JSON.stringify(rows)).not.toContain(newEmail);
    expect(JSON.stringify(rows)).not.toContain('9876543210');
  });

  it('records nothing when the values sent are the current ones', async () => {
    const user = await bank.user(uniqueName('same'));
    const current = (await me(user)).body;
    const reply = await update(user, { full_name: current.full_name, email: current.email.toUpperCase() });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual(current);
    expect(await auditRows(user.userId)).toEqual([]);
  });
});
