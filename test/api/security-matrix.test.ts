/**
 * The security matrix: every route of the OpenAPI document × {anonymous, owner, another customer,
 * auditor, admin, super_admin} with the status each must get. A route missing from the matrix
 * fails the suite, so a new route cannot ship without deciding who may call it.
 *
 * "owner" is the customer whose objects (accounts, transfers, beneficiaries, sessions, user record)
 * the request names; "other" is another customer naming the same objects (BOLA: 404, never the
 * object). Customers calling staff routes get 403 (BFLA); auditors get 403 on every change.
 * Cases that change state get a fresh world (owner, objects) and fresh callers for every persona.
 *
 * The same cases then check mass assignment (a body with role, status, kyc_status or balance added
 * is refused with 422 and changes nothing) and oversized pages and bodies.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/core/roles.js';
import { TEST_PASSWORD, startTestBank, type Customer, type Reply, type TestBank } from '../support/bank.js';
import { API, expectNoStackTrace, fundedAccount, uniqueName } from './helpers.js';
import { notificationsOf } from './notify-helpers.js';

const PERSONAS = ['anonymous', 'owner', 'other', 'auditor', 'admin', 'super_admin'] as const;
type Persona = (typeof PERSONAS)[number];
type Expected = Record<Persona, number>;

interface World {
  readonly owner: Customer;
  readonly other: Customer;
  readonly staff: Record<'auditor' | 'admin' | 'super_admin', Customer>;
  /** The owner's funded savings account (₹1,000). */
  readonly account: any;
  /** A second account of the owner, with a zero balance. */
  readonly emptyAccount: any;
  /** An account of a third customer, paid and saved as a beneficiary. */
  readonly payee: any;
  /** Another account of the third customer, not saved yet. */
  readonly secondPayee: any;
  /** A transfer from account to payee (₹10). */
  readonly transferId: string;
  readonly beneficiaryId: string;
  /** The owner's current session and a refresh token of another of the owner's sessions. */
  readonly sessionId: string;
  readonly refreshToken: string;
  /** A webhook endpoint of the owner (to the allowlisted discard port). */
  readonly webhookId: string;
  /** The owner's newest notification. */
  readonly notificationId: string;
}

interface Call {
  readonly method: string;
  readonly url: string;
  readonly body?: unknown;
}

interface Case {
  /** METHOD and OpenAPI path, e.g. `GET /api/v1/accounts/{id}`. */
  readonly route: string;
  readonly call: (world: World, caller: Customer | undefined) => Call;
  readonly expected: Expected;
  /** The call changes state: every persona gets a fresh world and a fresh caller. */
  readonly fresh?: boolean;
}

const status = (anonymous: number, owner: number, other: number, auditor: number, admin: number, superAdmin: number): Expected => ({
  anonymous, owner, other, auditor, admin, super_admin: superAdmin,
});
/** Public routes: everyone gets the same answer. */
const everyone = (code: number) => status(code, code, code, code, code, code);
/** Routes about the caller: any signed-in user. */
const signedIn = (code: number) => status(401, code, code, code, code, code);
/** Staff reads. */
const staffRead = status(401, 403, 403, 200, 200, 200);
/** Changes by admins. */
const adminChange = (code: number) => status(401, 403, 403, 403, code, code);
/** Customers acting on their own objects; staff may not act for them. */
const customerOwn = (code: number) => status(401, code, 404, 403, 403, 403);
/** Reading one customer's object: owner and staff see it, another customer gets 404. */
const ownedRead = status(401, 200, 404, 200, 200, 200);
/** Changing a customer's object: owner and admins may, another customer gets 404, auditors 403. */
const ownedChange = (code: number) => status(401, code, 404, 403, code, code);

const get = (url: string): Call => ({ method: 'GET', url });
/** Webhook endpoints of the matrix point at the discard port, allowlisted for this bank: nothing listens. */
const MATRIX_WEBHOOK_URL = 'http://127.0.0.1:9/matrix';

const CASES: Case[] = [
  { route: 'GET /healthz', call: () => get('/healthz'), expected: everyone(200) },
  { route: 'GET /readyz', call: () => get('/readyz'), expected: everyone(200) },

  // Authentication.
  {
    route: 'POST /api/v1/auth/register',
    call: () => ({ method: 'POST', url: `${API}/auth/register`, body: registration() }),
    expected: everyone(201),
  },
  {
    route: 'POST /api/v1/auth/login',
    call: (world) => ({ method: 'POST', url: `${API}/auth/login`, body: { username: world.owner.username, password: TEST_PASSWORD } }),
    expected: everyone(200),
  },
  {
    route: 'POST /api/v1/auth/refresh',
    call: (world) => ({ method: 'POST', url: `${API}/auth/refresh`, body: { refresh_token: world.refreshToken } }),
    expected: everyone(200),
    fresh: true,
  },
  { route: 'POST /api/v1/auth/logout', call: () => ({ method: 'POST', url: `${API}/auth/logout` }), expected: signedIn(204), fresh: true },
  { route: 'GET /api/v1/auth/me', call: () => get(`${API}/auth/me`), expected: signedIn(200) },

  // The caller's own user, sessions, password, PIN and second factor.
  { route: 'GET /api/v1/users/me', call: () => get(`${API}/users/me`), expected: signedIn(200) },
  { route: 'PUT /api/v1/users/me', call: () => ({ method: 'PUT', url: `${API}/users/me`, body: { full_name: 'Renamed Person' } }), expected: signedIn(200), fresh: true },
  { route: 'GET /api/v1/users/me/sessions', call: () => get(`${API}/users/me/sessions`), expected: signedIn(200) },
  {
    route: 'DELETE /api/v1/users/me/sessions/{id}',
    call: (world) => ({ method: 'DELETE', url: `${API}/users/me/sessions/${world.sessionId}` }),
    expected: status(401, 204, 404, 404, 404, 404),
    fresh: true,
  },
  {
    route: 'POST /api/v1/users/me/sessions/revoke-all',
    call: () => ({ method: 'POST', url: `${API}/users/me/sessions/revoke-all` }),
    expected: signedIn(200),
    fresh: true,
  },
  {
    route: 'PUT /api/v1/users/me/password',
    call: () => ({ method: 'PUT', url: `${API}/users/me/password`, body: { old_password: TEST_PASSWORD, new_password: 'a much longer new passphrase 2026' } }),
    expected: signedIn(204),
    fresh: true,
  },
  { route: 'GET /api/v1/users/me/pin', call: () => get(`${API}/users/me/pin`), expected: signedIn(200) },
  {
    route: 'PUT /api/v1/users/me/pin',
    call: () => ({ method: 'PUT', url: `${API}/users/me/pin`, body: { password: TEST_PASSWORD, pin: '2580' } }),
    expected: signedIn(200),
    fresh: true,
  },
  { route: 'GET /api/v1/users/me/2fa', call: () => get(`${API}/users/me/2fa`), expected: signedIn(200) },
  {
    route: 'POST /api/v1/users/me/2fa/enroll',
    call: () => ({ method: 'POST', url: `${API}/users/me/2fa/enroll`, body: { password: TEST_PASSWORD } }),
    expected: signedIn(200),
    fresh: true,
  },
  // Without an enrolment these are refused, but only after the caller passed authorization.
  {
    route: 'POST /api/v1/users/me/2fa/confirm',
    call: () => ({ method: 'POST', url: `${API}/users/me/2fa/confirm`, body: { code: '123456' } }),
    expected: signedIn(409),
  },
  {
    route: 'POST /api/v1/users/me/2fa/disable',
    call: () => ({ method: 'POST', url: `${API}/users/me/2fa/disable`, body: { password: TEST_PASSWORD, code: '123456' } }),
    expected: signedIn(409),
  },
  {
    route: 'POST /api/v1/users/me/2fa/recovery-codes',
    call: () => ({ method: 'POST', url: `${API}/users/me/2fa/recovery-codes`, body: { password: TEST_PASSWORD, code: '123456' } }),
    expected: signedIn(409),
  },

  // Accounts.
  { route: 'POST /api/v1/accounts', call: () => ({ method: 'POST', url: `${API}/accounts`, body: { type: 'savings' } }), expected: status(401, 201, 201, 403, 403, 403), fresh: true },
  { route: 'GET /api/v1/accounts', call: () => get(`${API}/accounts`), expected: signedIn(200) },
  { route: 'GET /api/v1/accounts/{id}', call: (world) => get(`${API}/accounts/${world.account.id}`), expected: ownedRead },
  { route: 'GET /api/v1/accounts/{id}/balance', call: (world) => get(`${API}/accounts/${world.account.id}/balance`), expected: ownedRead },
  { route: 'GET /api/v1/accounts/{id}/statement', call: (world) => get(`${API}/accounts/${world.account.id}/statement`), expected: ownedRead },
  { route: 'GET /api/v1/accounts/{id}/limits', call: (world) => get(`${API}/accounts/${world.account.id}/limits`), expected: ownedRead },
  {
    route: 'PATCH /api/v1/accounts/{id}/freeze',
    call: (world) => ({ method: 'PATCH', url: `${API}/accounts/${world.account.id}/freeze`, body: { frozen: true } }),
    expected: ownedChange(200),
    fresh: true,
  },
  {
    route: 'PATCH /api/v1/accounts/{id}/close',
    call: (world) => ({ method: 'PATCH', url: `${API}/accounts/${world.emptyAccount.id}/close` }),
    expected: ownedChange(200),
    fresh: true,
  },
  {
    route: 'PATCH /api/v1/admin/accounts/{id}/limits',
    call: (world) => ({ method: 'PATCH', url: `${API}/admin/accounts/${world.account.id}/limits`, body: { daily_limit: '5000.00' } }),
    expected: adminChange(200),
    fresh: true,
  },

  // Money movement.
  {
    route: 'POST /api/v1/transactions/deposit',
    call: (world) => ({ method: 'POST', url: `${API}/transactions/deposit`, body: { account_id: world.account.id, amount: '1.00' } }),
    expected: customerOwn(201),
    fresh: true,
  },
  {
    route: 'POST /api/v1/transactions/withdraw',
    call: (world) => ({ method: 'POST', url: `${API}/transactions/withdraw`, body: { account_id: world.account.id, amount: '1.00' } }),
    expected: customerOwn(201),
    fresh: true,
  },
  {
    route: 'POST /api/v1/transfers',
    call: (world) => ({ method: 'POST', url: `${API}/transfers`, body: { from_account_id: world.account.id, to_account_number: world.payee.number, amount: '1.00' } }),
    expected: customerOwn(201),
    fresh: true,
  },
  { route: 'GET /api/v1/transfers/{id}', call: (world) => get(`${API}/transfers/${world.transferId}`), expected: ownedRead },
  {
    route: 'POST /api/v1/admin/transfers/{id}/reverse',
    call: (world) => ({ method: 'POST', url: `${API}/admin/transfers/${world.transferId}/reverse`, body: { reason: 'Matrix check' } }),
    expected: adminChange(201),
    fresh: true,
  },
  { route: 'GET /api/v1/transactions', call: () => get(`${API}/transactions`), expected: signedIn(200) },
  {
    route: 'POST /api/v1/beneficiaries',
    call: (world) => ({ method: 'POST', url: `${API}/beneficiaries`, body: { name: 'Payee', account_number: world.secondPayee.number } }),
    expected: status(401, 201, 201, 403, 403, 403),
    fresh: true,
  },
  { route: 'GET /api/v1/beneficiaries', call: () => get(`${API}/beneficiaries`), expected: status(401, 200, 200, 403, 403, 403) },
  {
    route: 'DELETE /api/v1/beneficiaries/{id}',
    call: (world) => ({ method: 'DELETE', url: `${API}/beneficiaries/${world.beneficiaryId}` }),
    expected: customerOwn(204),
    fresh: true,
  },

  // Ledger and audit.
  { route: 'GET /api/v1/admin/ledger/integrity', call: () => get(`${API}/admin/ledger/integrity`), expected: staffRead },
  { route: 'GET /api/v1/admin/ledger/balances', call: (world) => get(`${API}/admin/ledger/balances?account_ids=${world.account.id}`), expected: staffRead },
  { route: 'GET /api/v1/admin/reports/balance-sheet', call: () => get(`${API}/admin/reports/balance-sheet`), expected: staffRead },
  { route: 'GET /api/v1/audit-logs', call: () => get(`${API}/audit-logs`), expected: staffRead },
  { route: 'GET /api/v1/admin/audit-logs/verify', call: () => get(`${API}/admin/audit-logs/verify`), expected: staffRead },

  // Background jobs: staff read the queues and failures; only admins retry a failed job (an
  // unknown job id gets admins past authorization to the lookup).
  { route: 'GET /api/v1/admin/jobs', call: () => get(`${API}/admin/jobs`), expected: staffRead },
  {
    route: 'POST /api/v1/admin/jobs/{id}/retry',
    call: () => ({ method: 'POST', url: `${API}/admin/jobs/019a0000-0000-7000-8000-000000000001/retry` }),
    expected: adminChange(404),
  },

  // User administration (the owner is the subject).
  { route: 'GET /api/v1/admin/users', call: () => get(`${API}/admin/users`), expected: staffRead },
  { route: 'GET /api/v1/admin/users/{id}', call: (world) => get(`${API}/admin/users/${world.owner.userId}`), expected: staffRead },
  {
    route: 'POST /api/v1/admin/users/{id}/block',
    call: (world) => ({ method: 'POST', url: `${API}/admin/users/${world.owner.userId}/block`, body: { reason: 'Matrix check' } }),
    expected: adminChange(200),
    fresh: true,
  },
  {
    route: 'POST /api/v1/admin/users/{id}/unblock',
    call: (world) => ({ method: 'POST', url: `${API}/admin/users/${world.owner.userId}/unblock`, body: { reason: 'Matrix check' } }),
    // The owner is not blocked: admins get past authorization to the state check.
    expected: adminChange(409),
    fresh: true,
  },
  {
    route: 'POST /api/v1/admin/users/{id}/unlock',
    call: (world) => ({ method: 'POST', url: `${API}/admin/users/${world.owner.userId}/unlock` }),
    expected: adminChange(204),
    fresh: true,
  },
  {
    route: 'PUT /api/v1/admin/users/{id}/kyc',
    call: (world) => ({ method: 'PUT', url: `${API}/admin/users/${world.owner.userId}/kyc`, body: { status: 'rejected', reason: 'Matrix check' } }),
    expected: adminChange(200),
    fresh: true,
  },
  {
    route: 'PUT /api/v1/admin/users/{id}/role',
    call: (world) => ({ method: 'PUT', url: `${API}/admin/users/${world.owner.userId}/role`, body: { role: 'admin' } }),
    // Only a super_admin grants admin.
    expected: status(401, 403, 403, 403, 403, 200),
    fresh: true,
  },
  {
    route: 'POST /api/v1/admin/users/{id}/reveal',
    call: (world) => ({ method: 'POST', url: `${API}/admin/users/${world.owner.userId}/reveal`, body: { reason: 'Matrix check' } }),
    expected: adminChange(200),
  },

  // Webhooks: customers own theirs, admins register bank endpoints and may change customers' ones;
  // only the owner sees a secret or sends a test event.
  {
    route: 'POST /api/v1/webhooks',
    call: () => ({ method: 'POST', url: `${API}/webhooks`, body: { url: MATRIX_WEBHOOK_URL, event_types: ['account.frozen'] } }),
    expected: status(401, 201, 201, 403, 201, 201),
    fresh: true,
  },
  { route: 'GET /api/v1/webhooks', call: () => get(`${API}/webhooks`), expected: signedIn(200) },
  { route: 'GET /api/v1/webhooks/{id}', call: (world) => get(`${API}/webhooks/${world.webhookId}`), expected: ownedRead },
  {
    route: 'PATCH /api/v1/webhooks/{id}',
    call: (world) => ({ method: 'PATCH', url: `${API}/webhooks/${world.webhookId}`, body: { description: 'Matrix check' } }),
    expected: ownedChange(200),
    fresh: true,
  },
  { route: 'DELETE /api/v1/webhooks/{id}', call: (world) => ({ method: 'DELETE', url: `${API}/webhooks/${world.webhookId}` }), expected: ownedChange(204), fresh: true },
  {
    route: 'POST /api/v1/webhooks/{id}/rotate-secret',
    call: (world) => ({ method: 'POST', url: `${API}/webhooks/${world.webhookId}/rotate-secret` }),
    expected: status(401, 200, 404, 403, 403, 403),
    fresh: true,
  },
  { route: 'GET /api/v1/webhooks/{id}/deliveries', call: (world) => get(`${API}/webhooks/${world.webhookId}/deliveries`), expected: ownedRead },
  {
    route: 'POST /api/v1/webhooks/{id}/test',
    call: (world) => ({ method: 'POST', url: `${API}/webhooks/${world.webhookId}/test` }),
    expected: status(401, 202, 404, 403, 403, 403),
    fresh: true,
  },

  // Notifications: every signed-in user (staff too) has their own notification centre and
  // preferences; anyone else's notification is 404.
  { route: 'GET /api/v1/notifications', call: () => get(`${API}/notifications`), expected: signedIn(200) },
  {
    route: 'POST /api/v1/notifications/{id}/read',
    call: (world) => ({ method: 'POST', url: `${API}/notifications/${world.notificationId}/read` }),
    expected: status(401, 200, 404, 404, 404, 404),
  },
  {
    route: 'POST /api/v1/notifications/{id}/dismiss',
    call: (world) => ({ method: 'POST', url: `${API}/notifications/${world.notificationId}/dismiss` }),
    expected: status(401, 204, 404, 404, 404, 404),
    fresh: true,
  },
  { route: 'POST /api/v1/notifications/read-all', call: () => ({ method: 'POST', url: `${API}/notifications/read-all` }), expected: signedIn(200) },
  { route: 'GET /api/v1/notifications/preferences', call: () => get(`${API}/notifications/preferences`), expected: signedIn(200) },
  {
    route: 'PUT /api/v1/notifications/preferences',
    call: () => ({ method: 'PUT', url: `${API}/notifications/preferences`, body: { alerts: [{ type: 'money_received', channels: { email: false } }] } }),
    expected: signedIn(200),
  },
];

let registrations = 0;
function registration() {
  registrations += 1;
  const username = uniqueName('matrix');
  return { username, password: TEST_PASSWORD, email: `${username}.${registrations}@example.in`, full_name: 'Matrix Person' };
}

/** The OpenAPI path of a concrete request path is the route; the document lists every public route. */
function documentedRoutes(bank: TestBank): string[] {
  const document = bank.app.http.swagger() as { paths: Record<string, Record<string, unknown>> };
  return Object.entries(document.paths).flatMap(([path, operations]) =>
    Object.keys(operations)
      .filter((method) => ['get', 'post', 'put', 'patch', 'delete'].includes(method))
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

describe('security matrix', () => {
  let bank: TestBank;
  let shared: World;

  async function staffUser(role: Role): Promise<Customer> {
    return bank.user(uniqueName(role.replace('_', '')), role);
  }

  async function makeWorld(options: { freshCallers: boolean; base?: World }): Promise<World> {
    const owner = await bank.user(uniqueName('owner'));
    const other = options.freshCallers || options.base === undefined ? await bank.user(uniqueName('other')) : options.base.other;
    const staff =
      options.freshCallers || options.base === undefined
        ? { auditor: await staffUser('auditor'), admin: await staffUser('admin'), super_admin: await staffUser('super_admin') }
        : options.base.staff;
    const third = await bank.user(uniqueName('payee'));
    const account = await fundedAccount(bank, owner, '1000.00');
    const emptyAccount = await bank.openAccount(owner, 'savings');
    const payee = await bank.openAccount(third, 'savings');
    const secondPayee = await bank.openAccount(third, 'savings');
    const sent = await bank.request('POST', `${API}/transfers`, {
      token: owner.token,
      body: { from_account_id: account.id, to_account_number: payee.number, amount: '10.00' },
    });
    expect(sent.status, sent.text).toBe(201);
    const saved = await bank.request('POST', `${API}/beneficiaries`, { token: owner.token, body: { name: 'Payee', account_number: payee.number } });
    expect(saved.status, saved.text).toBe(201);
    const sessions = await bank.request('GET', `${API}/users/me/sessions`, { token: owner.token });
    expect(sessions.status, sessions.text).toBe(200);
    const current = (sessions.body.items as any[]).find((session) => session.current === true);
    const second = await bank.request('POST', `${API}/auth/login`, { body: { username: owner.username, password: TEST_PASSWORD } });
    expect(second.status, second.text).toBe(200);
    const webhook = await bank.request('POST', `${API}/webhooks`, { token: owner.token, body: { url: MATRIX_WEBHOOK_URL, event_types: ['user.two_factor_disabled'] } });
    expect(webhook.status, webhook.text).toBe(201);
    return {
      owner, other, staff, account, emptyAccount, payee, secondPayee,
      transferId: sent.body.id, beneficiaryId: saved.body.id, sessionId: current.id, refreshToken: second.body.refresh_token,
      webhookId: webhook.body.id,
      notificationId: (await notificationsOf(bank, owner))[0].id,
    };
  }

  function callerOf(world: World, persona: Persona): Customer | undefined {
    if (persona === 'anonymous') return undefined;
    if (persona === 'owner') return world.owner;
    if (persona === 'other') return world.other;
    return world.staff[persona];
  }

  async function send(call: Call, caller: Customer | undefined): Promise<Reply> {
    return bank.request(call.method, call.url, {
      ...(caller === undefined ? {} : { token: caller.token }),
      ...(call.body === undefined ? {} : { body: call.body }),
    });
  }

  beforeAll(async () => {
    bank = await startTestBank({ env: { WEBHOOK_ALLOWED_HOSTS: '127.0.0.1:9' } });
    shared = await makeWorld({ freshCallers: true });
  }, 240_000);
  afterAll(async () => bank.close());

  it('has an entry for every documented route, and none for a route that does not exist', () => {
    const documented = documentedRoutes(bank).sort();
    const listed = CASES.map((item) => item.route).sort();
    expect(documented.filter((route) => !listed.includes(route)), 'routes without a matrix entry').toEqual([]);
    expect(listed.filter((route) => !documented.includes(route)), 'matrix entries for unknown routes').toEqual([]);
    expect(new Set(listed).size).toBe(listed.length);
  });

  for (const item of CASES) {
    it(`${item.route}`, async () => {
      const outcomes: Record<string, number> = {};
      for (const persona of PERSONAS) {
        const world = item.fresh === true ? await makeWorld({ freshCallers: true }) : shared;
        const caller = callerOf(world, persona);
        const reply = await send(item.call(world, caller), caller);
        expectNoStackTrace(reply);
        if (reply.status >= 400) expect(String(reply.headers['content-type'])).toContain('application/problem+json');
        outcomes[persona] = reply.status;
      }
      expect(outcomes).toEqual(item.expected);
    }, 120_000);
  }

  it('refuses mass assignment on every route with a body', async () => {
    const forbidden = { role: 'super_admin', status: 'active', kyc_status: 'verified', balance: '99999999.00' };
    const withBodies = CASES.filter((item) => {
      const call = item.call(shared, shared.owner);
      return call.body !== undefined && typeof call.body === 'object';
    });
    expect(withBodies.length).toBeGreaterThan(15);
    for (const item of withBodies) {
      const world = await makeWorld({ freshCallers: false, base: shared });
      const persona = PERSONAS.find((name) => name !== 'anonymous' && (item.expected[name] ?? 500) < 300) ?? 'owner';
      const caller = callerOf(world, persona);
      const call = item.call(world, caller);
      // Fields the route legitimately takes (a role change's role) are not mass assignment.
      const extra = Object.entries(forbidden).filter(([field]) => !(field in (call.body as object)));
      for (const [field, value] of extra) {
        const reply = await send({ ...call, body: { ...(call.body as object), [field]: value } }, caller);
        expect({ route: item.route, field, status: reply.status }, reply.text).toEqual({ route: item.route, field, status: 422 });
      }
    }
    // Nothing changed for the owner: still a customer, active, with the same balance.
    const me = await bank.request('GET', `${API}/users/me`, { token: shared.owner.token });
    expect(me.body).toMatchObject({ role: 'customer', status: 'active' });
    const balance = await bank.request('GET', `${API}/accounts/${shared.account.id}/balance`, { token: shared.owner.token });
    expect(balance.body.balance).toBe('990.00');
  }, 300_000);

  it('refuses oversized pages on every paginated route', async () => {
    const document = bank.app.http.swagger() as { paths: Record<string, Record<string, { parameters?: { name: string; in: string }[] }>> };
    const paginated = Object.entries(document.paths).flatMap(([path, operations]) =>
      Object.entries(operations).filter(([, operation]) => operation.parameters?.some((parameter) => parameter.in === 'query' && parameter.name === 'limit')).map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(paginated.length).toBeGreaterThanOrEqual(3);
    for (const route of paginated) {
      const item = CASES.find((entry) => entry.route === route);
      expect(item, route).toBeDefined();
      const persona = PERSONAS.find((name) => name !== 'anonymous' && (item?.expected[name] ?? 500) < 300) ?? 'owner';
      const caller = callerOf(shared, persona);
      const call = (item as Case).call(shared, caller);
      const separator = call.url.includes('?') ? '&' : '?';
      for (const limit of ['101', '100000', '-1', '0', 'ten']) {
        const reply = await send({ ...call, url: `${call.url}${separator}limit=${limit}` }, caller);
        expect({ route, limit, status: reply.status }).toEqual({ route, limit, status: 422 });
      }
      const fine = await send({ ...call, url: `${call.url}${separator}limit=100` }, caller);
      expect({ route, status: fine.status }).toEqual({ route, status: 200 });
    }
  });

  it('refuses oversized bodies on every route that takes one', async () => {
    const limit = bank.app.context.config.BODY_LIMIT_BYTES;
    const huge = JSON.stringify({ name: 'x'.repeat(limit + 10) });
    for (const item of CASES) {
      const call = item.call(shared, shared.owner);
      if (call.method === 'GET' || call.method === 'DELETE') continue;
      const reply = await bank.request(call.method, call.url, { token: shared.owner.token, rawBody: huge });
      expect({ route: item.route, status: reply.status }).toEqual({ route: item.route, status: 413 });
      expect(reply.body?.code).toBe('body_too_large');
    }
  });
});
