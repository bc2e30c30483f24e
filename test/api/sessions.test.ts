/**
 * Sessions: refresh-token rotation and reuse detection, sign-out, the session list, revoking one
 * or all other sessions, expiry by the application's clock, cookie sessions with CSRF protection,
 * and the audit rows of each change.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, TEST_PASSWORD, type Customer, type Reply, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

const FIREFOX_LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0';
const CHROME_ANDROID = 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36';

interface SetCookie {
  readonly value: string;
  readonly attributes: string;
}

/** The Set-Cookie headers of a reply, by cookie name. */
function setCookies(reply: Reply): Record<string, SetCookie> {
  const header = reply.headers['set-cookie'];
  const lines = header === undefined ? [] : Array.isArray(header) ? header : [String(header)];
  return Object.fromEntries(
    lines.map((line) => {
      const [pair = '', ...attributes] = line.split(';');
      const at = pair.indexOf('=');
      return [pair.slice(0, at).trim(), { value: decodeURIComponent(pair.slice(at + 1).trim()), attributes: attributes.join(';') }];
    }),
  );
}

function sessionIdOf(accessToken: string): string {
  return JSON.parse(Buffer.from(accessToken.split('.')[1] ?? '', 'base64url').toString()).sid as string;
}

async function auditRows(bank: TestBank, targetId: string): Promise<any[]> {
  const result = await sql<any>`
    select action, actor_id, actor_role, target_type, target_id, after from audit_log where target_id = ${targetId} order by seq`.execute(bank.app.context.db);
  return result.rows;
}

describe('sessions', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank();
  });
  afterAll(async () => bank.close());

  const login = (username: string, headers: Record<string, string> = {}) =>
    bank.request('POST', `${API}/auth/login`, { body: { username, password: TEST_PASSWORD }, headers });
  const refresh = (refreshToken: string) => bank.request('POST', `${API}/auth/refresh`, { body: { refresh_token: refreshToken } });
  const me = (token: string) => bank.request('GET', `${API}/auth/me`, { token });
  const sessions = (token: string) => bank.request('GET', `${API}/users/me/sessions`, { token });

  describe('refresh tokens', () => {
    it('rotate on every use; an exchanged token presented again revokes the whole session (audited with the reason)', async () => {
      const customer = await bank.user(uniqueName('rot'));
      const first = await login(customer.username);
      const second = await refresh(first.body.refresh_token);
      expect(second.status, second.text).toBe(200);
      const third = await refresh(second.body.refresh_token);
      expect(third.status, third.text).toBe(200);
      expect(new Set([first.body.refresh_token, second.body.refresh_token, third.body.refresh_token]).size).toBe(3);
      expect((await me(third.body.access_token)).status).toBe(200);

      // The first token again: someone holds a copy. The session ends for everyone holding it.
      expectProblem(await refresh(first.body.refresh_token), 401, 'invalid_refresh_token');
      expectProblem(await refresh(third.body.refresh_token), 401, 'invalid_refresh_token');
      for (const token of [first.body.access_token, second.body.access_token, third.body.access_token]) {
        expectProblem(await me(token), 401, 'unauthenticated');
      }
      // Other sessions of the user are not touched.
      expect((await me(customer.token)).status).toBe(200);

      const sessionId = sessionIdOf(first.body.access_token);
      const rows = await auditRows(bank, sessionId);
      expect(rows.map((row) => row.action)).toEqual(['session.created', 'session.refreshed', 'session.refreshed', 'session.revoked']);
      expect(rows[0]).toMatchObject({ actor_id: customer.userId, actor_role: 'customer', target_type: 'session' });
      expect(rows[3]).toMatchObject({ actor_id: null, after: { reason: 'refresh_token_reuse', user_id: customer.userId } });
      expect(JSON.stringify(rows)).not.toContain(first.body.refresh_token);
    });

    it('two concurrent uses of one refresh token: one wins, the other is reuse and ends the session', async () => {
      const customer = await bank.user(uniqueName('race'));
      const session = await login(customer.username);
      const replies = await Promise.all([refresh(session.body.refresh_token), refresh(session.body.refresh_token)]);
      const statuses = replies.map((reply) => reply.status).sort();
      expect(statuses).toEqual([200, 401]);
      const winner = replies.find((reply) => reply.status === 200) as Reply;
      expectProblem(await refresh(winner.body.refresh_token), 401, 'invalid_refresh_token');
      expectProblem(await me(winner.body.access_token), 401, 'unauthenticated');
    });

    it('stop working when the user is blocked, and for revoked sessions', async () => {
      const customer = await bank.user(uniqueName('blk'));
      const session = await login(customer.username);
      await sql`update users set status = 'blocked' where id = ${customer.userId}`.execute(bank.app.context.db);
      expectProblem(await refresh(session.body.refresh_token), 401, 'invalid_refresh_token');
      await sql`update users set status = 'active' where id = ${customer.userId}`.execute(bank.app.context.db);
      const out = await bank.request('POST', `${API}/auth/logout`, { token: session.body.access_token });
      expect(out.status).toBe(204);
      expectProblem(await refresh(session.body.refresh_token), 401, 'invalid_refresh_token');
    });
  });

  describe('GET /users/me/sessions', () => {
    it('lists live sessions, newest first, with device, ip and the current one marked', async () => {
      const customer = await bank.user(uniqueName('list'));
      const other = await bank.user(uniqueName('other'));
      const onFirefox = await login(customer.username, { 'user-agent': FIREFOX_LINUX });
      const onPhone = await login(customer.username, { 'user-agent': CHROME_ANDROID });
      const reply = await sessions(onPhone.body.access_token);
      expect(reply.status, reply.text).toBe(200);
      const items = reply.body.items as any[];
      expect(items).toHaveLength(3);
      expect(items[0]).toEqual({
        id: expect.any(String),
        device: 'Chrome on Android',
        user_agent: CHROME_ANDROID,
        ip: expect.any(String),
        created_at: expect.any(String),
        last_used_at: expect.any(String),
        current: true,
      });
      expect(items[1]).toMatchObject({ device: 'Firefox on Linux', current: false });
      expect(items.filter((item) => item.current)).toHaveLength(1);
      expect(items.map((item) => Date.parse(item.created_at))).toEqual(items.map((item) => Date.parse(item.created_at)).sort((a, b) => b - a));
      expect(reply.text).not.toMatch(/refresh|hash|csrf/i);
      // Seen from another session of the same user, that one is current instead.
      const fromFirefox = (await sessions(onFirefox.body.access_token)).body.items as any[];
      expect(fromFirefox.find((item) => item.current)?.device).toBe('Firefox on Linux');
      // Nobody sees another user's sessions.
      const others = (await sessions(other.token)).body.items as any[];
      expect(others).toHaveLength(1);
      expect(others.map((item) => item.id)).not.toContain(items[0].id);
    });

    it('leaves out revoked sessions and needs a signed-in caller', async () => {
      const customer = await bank.user(uniqueName('lst2'));
      const extra = await login(customer.username);
      expect((await bank.request('POST', `${API}/auth/logout`, { token: extra.body.access_token })).status).toBe(204);
      expect((await sessions(customer.token)).body.items).toHaveLength(1);
      expectProblem(await bank.request('GET', `${API}/users/me/sessions`), 401, 'unauthenticated');
    });
  });

  describe('DELETE /users/me/sessions/{id}', () => {
    it('revokes one of the caller\'s sessions at once; another user\'s session is 404 and stays', async () => {
      const customer = await bank.user(uniqueName('del'));
      const stranger = await bank.user(uniqueName('stranger'));
      const laptop = await login(customer.username);
      const items = (await sessions(customer.token)).body.items as any[];
      const laptopId = items.find((item) => !item.current).id as string;
      const strangerId = ((await sessions(stranger.token)).body.items as any[])[0].id as string;

      expectProblem(await bank.request('DELETE', `${API}/users/me/sessions/${strangerId}`, { token: customer.token }), 404, 'session_not_found');
      expect((await me(stranger.token)).status).toBe(200);
      for (const id of ['00000000-0000-7000-8000-000000000000', 'not-a-uuid']) {
        expectProblem(await bank.request('DELETE', `${API}/users/me/sessions/${id}`, { token: customer.token }), 404, 'session_not_found');
      }

      const deleted = await bank.request('DELETE', `${API}/users/me/sessions/${laptopId}`, { token: customer.token });
      expect(deleted.status, deleted.text).toBe(204);
      expectProblem(await me(laptop.body.access_token), 401, 'unauthenticated');
      expectProblem(await refresh(laptop.body.refresh_token), 401, 'invalid_refresh_token');
      expect((await me(customer.token)).status).toBe(200);
      // Already revoked: nothing left to delete.
      expectProblem(await bank.request('DELETE', `${API}/users/me/sessions/${laptopId}`, { token: customer.token }), 404, 'session_not_found');
      expect(await auditRows(bank, laptopId)).toEqual([
        expect.objectContaining({ action: 'session.created' }),
        expect.objectContaining({ action: 'session.revoked', actor_id: customer.userId, after: { reason: 'revoked', user_id: customer.userId } }),
      ]);
    });
  });

  describe('POST /users/me/sessions/revoke-all', () => {
    it('signs out every other session and keeps the current one', async () => {
      const customer = await bank.user(uniqueName('all'));
      const others = await Promise.all([login(customer.username), login(customer.username), login(customer.username)]);
      const keep = await login(customer.username);
      const reply = await bank.request('POST', `${API}/users/me/sessions/revoke-all`, { token: keep.body.access_token });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body).toEqual({ revoked: 4 });
      for (const session of [...others.map((other) => other.body), { access_token: customer.token }]) {
        expectProblem(await me(session.access_token), 401, 'unauthenticated');
      }
      for (const other of others) expectProblem(await refresh(other.body.refresh_token), 401, 'invalid_refresh_token');
      expect((await me(keep.body.access_token)).status).toBe(200);
      expect((await sessions(keep.body.access_token)).body.items).toHaveLength(1);
      const again = await bank.request('POST', `${API}/users/me/sessions/revoke-all`, { token: keep.body.access_token });
      expect(again.body).toEqual({ revoked: 0 });
    });
  });

  describe('expiry by the application clock', () => {
    let clock: Date;
    let timed: TestBank;
    beforeAll(async () => {
      clock = new Date('2030-01-10T10:00:00Z');
      timed = await startTestBank({ now: () => clock, env: { ACCESS_TOKEN_TTL_SECONDS: '900', REFRESH_TOKEN_TTL_SECONDS: '3600' } });
    });
    afterAll(async () => timed.close());

    it('access tokens expire after their lifetime and sessions after theirs, refreshing does not extend a session', async () => {
      const customer = await timed.user(uniqueName('clock'));
      const session = await timed.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD } });
      clock = new Date(clock.getTime() + 899_000);
      expect((await timed.request('GET', `${API}/auth/me`, { token: session.body.access_token })).status).toBe(200);
      clock = new Date(clock.getTime() + 2_000);
      expectProblem(await timed.request('GET', `${API}/auth/me`, { token: session.body.access_token }), 401, 'unauthenticated');
      const refreshed = await timed.request('POST', `${API}/auth/refresh`, { body: { refresh_token: session.body.refresh_token } });
      expect(refreshed.status, refreshed.text).toBe(200);
      expect((await timed.request('GET', `${API}/auth/me`, { token: refreshed.body.access_token })).status).toBe(200);
      // At 3590 s the session still refreshes; at 3601 s (3600 s after the sign-in) it is over,
      // although its newest access token has not reached its own expiry.
      clock = new Date(Date.parse('2030-01-10T10:00:00Z') + 3_590_000);
      const late = await timed.request('POST', `${API}/auth/refresh`, { body: { refresh_token: refreshed.body.refresh_token } });
      expect(late.status, late.text).toBe(200);
      expect((await timed.request('GET', `${API}/auth/me`, { token: late.body.access_token })).status).toBe(200);
      clock = new Date(Date.parse('2030-01-10T10:00:00Z') + 3_601_000);
      expectProblem(await timed.request('GET', `${API}/auth/me`, { token: late.body.access_token }), 401, 'unauthenticated');
      expectProblem(await timed.request('POST', `${API}/auth/refresh`, { body: { refresh_token: late.body.refresh_token } }), 401, 'invalid_refresh_token');
    });
  });

  describe('cookie sessions (X-Kosh-Client: web)', () => {
    let customer: Customer;
    beforeAll(async () => {
      customer = await bank.user(uniqueName('web'));
    });

    async function webLogin() {
      const reply = await login(customer.username, { 'x-kosh-client': 'web' });
      expect(reply.status, reply.text).toBe(200);
      const cookies = setCookies(reply);
      const access = cookies['__Host-kosh_access']?.value as string;
      const refreshCookie = cookies['__Secure-kosh_refresh']?.value as string;
      const csrf = cookies['__Host-kosh_csrf']?.value as string;
      return { reply, cookies, access, refresh: refreshCookie, csrf, header: `__Host-kosh_access=${access}; __Host-kosh_csrf=${csrf}` };
    }

    it('puts the tokens in httpOnly, Secure, SameSite=Strict cookies and only the CSRF token in the body', async () => {
      const { reply, cookies, csrf } = await webLogin();
      expect(reply.body).toEqual({ token_type: 'cookie', expires_in: 900, refresh_expires_in: expect.any(Number), csrf_token: csrf });
      expect(reply.text).not.toContain(cookies['__Host-kosh_access']?.value);
      expect(reply.text).not.toContain(cookies['__Secure-kosh_refresh']?.value);
      const access = cookies['__Host-kosh_access']?.attributes ?? '';
      const refreshAttributes = cookies['__Secure-kosh_refresh']?.attributes ?? '';
      const csrfAttributes = cookies['__Host-kosh_csrf']?.attributes ?? '';
      for (const attributes of [access, refreshAttributes, csrfAttributes]) {
        expect(attributes).toMatch(/Secure/);
        expect(attributes).toMatch(/SameSite=Strict/);
        expect(attributes).not.toMatch(/Domain=/i);
      }
      expect(access).toMatch(/HttpOnly/);
      expect(access).toMatch(/Path=\/(;|$)/);
      expect(access).toMatch(/Max-Age=900/);
      expect(refreshAttributes).toMatch(/HttpOnly/);
      expect(refreshAttributes).toMatch(/Path=\/api\/v1\/auth(;|$)/);
      expect(csrfAttributes).not.toMatch(/HttpOnly/);
      // Without the header the answer stays the bearer one.
      expect(Object.keys((await login(customer.username)).body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    });

    it('authenticates reads by cookie; writes need the matching X-CSRF-Token (403 csrf_token_invalid), bearer writes do not', async () => {
      const web = await webLogin();
      const other = await webLogin();
      const read = await bank.request('GET', `${API}/auth/me`, { headers: { cookie: web.header } });
      expect(read.status, read.text).toBe(200);
      expect(read.body.username).toBe(customer.username);

      const open = (headers: Record<string, string>) => bank.request('POST', `${API}/accounts`, { body: { type: 'wallet' }, headers });
      expectProblem(await open({ cookie: web.header }), 403, 'csrf_token_invalid');
      expectProblem(await open({ cookie: web.header, 'x-csrf-token': 'forged' }), 403, 'csrf_token_invalid');
      expectProblem(await open({ cookie: web.header, 'x-csrf-token': '' }), 403, 'csrf_token_invalid');
      // Another session's CSRF token, even with its own CSRF cookie planted next to this access cookie.
      expectProblem(await open({ cookie: `__Host-kosh_access=${web.access}; __Host-kosh_csrf=${other.csrf}`, 'x-csrf-token': other.csrf }), 403, 'csrf_token_invalid');
      const opened = await open({ cookie: web.header, 'x-csrf-token': web.csrf });
      expect(opened.status, opened.text).toBe(201);
      const accounts = await bank.request('GET', `${API}/accounts`, { token: customer.token });
      expect(accounts.body.items).toHaveLength(1);
      // A bearer write needs no CSRF token, even with cookies present.
      const bearerWrite = await bank.request('POST', `${API}/accounts`, { token: customer.token, body: { type: 'wallet' }, headers: { cookie: web.header } });
      expect(bearerWrite.status, bearerWrite.text).toBe(201);
    });

    it('refreshes from the refresh cookie with the CSRF token, answering new cookies; logout clears them', async () => {
      const web = await webLogin();
      const refreshCookie = `__Secure-kosh_refresh=${web.refresh}; __Host-kosh_csrf=${web.csrf}`;
      const cookieRefresh = (cookie: string, csrf?: string) =>
        bank.request('POST', `${API}/auth/refresh`, { headers: { cookie, ...(csrf === undefined ? {} : { 'x-csrf-token': csrf }) } });
      expectProblem(await cookieRefresh(refreshCookie), 403, 'csrf_token_invalid');
      expectProblem(await cookieRefresh(refreshCookie, 'wrong'), 403, 'csrf_token_invalid');
      // Refused CSRF changed nothing: the refresh token still works.
      const refreshed = await cookieRefresh(refreshCookie, web.csrf);
      expect(refreshed.status, refreshed.text).toBe(200);
      expect(refreshed.body.token_type).toBe('cookie');
      const next = setCookies(refreshed);
      const nextCsrf = next['__Host-kosh_csrf']?.value as string;
      expect(nextCsrf).not.toBe(web.csrf);
      expect(next['__Secure-kosh_refresh']?.value).not.toBe(web.refresh);
      expectProblem(await bank.request('POST', `${API}/auth/refresh`), 401, 'invalid_refresh_token');

      const header = `__Host-kosh_access=${next['__Host-kosh_access']?.value}; __Host-kosh_csrf=${nextCsrf}`;
      // The old CSRF token belonged to the old access token.
      expectProblem(await bank.request('POST', `${API}/auth/logout`, { headers: { cookie: header, 'x-csrf-token': web.csrf } }), 403, 'csrf_token_invalid');
      const out = await bank.request('POST', `${API}/auth/logout`, { headers: { cookie: header, 'x-csrf-token': nextCsrf } });
      expect(out.status, out.text).toBe(204);
      const cleared = setCookies(out);
      for (const name of ['__Host-kosh_access', '__Secure-kosh_refresh', '__Host-kosh_csrf']) {
        expect(cleared[name]?.value, name).toBe('');
        expect(cleared[name]?.attributes, name).toMatch(/Max-Age=0/);
      }
      expect(cleared['__Secure-kosh_refresh']?.attributes).toMatch(/Path=\/api\/v1\/auth/);
      // The revoked cookie no longer authenticates, and does not stand in the way of signing in again.
      expectProblem(await bank.request('GET', `${API}/auth/me`, { headers: { cookie: header } }), 401, 'unauthenticated');
      const again = await bank.request('POST', `${API}/auth/login`, { body: { username: customer.username, password: TEST_PASSWORD }, headers: { cookie: header } });
      expect(again.status, again.text).toBe(200);
    });
  });

  it('records session.created with the device when signing in', async () => {
    const customer = await bank.user(uniqueName('audit'));
    const session = await login(customer.username, { 'user-agent': FIREFOX_LINUX });
    const sessionId = sessionIdOf(session.body.access_token);
    const [created] = await auditRows(bank, sessionId);
    expect(created).toMatchObject({
      action: 'session.created',
      actor_id: customer.userId,
      actor_role: 'customer',
      after: { user_id: customer.userId, device: 'Firefox on Linux', cookies: false, new_device: true },
    });
    const registered = await auditRows(bank, customer.userId);
    expect(registered[0]).toMatchObject({ action: 'user.registered', actor_role: 'system', after: { username: customer.username, role: 'customer' } });
  });
});
