/**
 * Webhooks on the running application (PGlite and PostgreSQL): registering endpoints (secret shown
 * once, strict validation, limits), who may see and change which endpoint, the SSRF guard for every
 * address class, and deliveries to a loopback receiver (allowlisted) that checks each signature
 * with its own HMAC: payloads shaped per recipient, retries with a delivery log, disabling after
 * repeated failures, re-enabling, secret rotation, test events and a destination that turns
 * private after registration.
 */
import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { lookup } from 'node:dns/promises';
import { setWebhookResolver, webhookConsumer } from '../../src/modules/webhooks/index.js';
import { writeOutbox, type OutboxEvent, type OutboxMessage } from '../../src/platform/outbox/index.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, uniqueName } from './helpers.js';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** Resolves when `check` holds, polling briefly (bounded). */
async function eventually<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The documented signature, computed independently: hex HMAC-SHA256(secret, `${timestamp}.${body}`). */
function expectedSignature(secret: string, timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

describe('webhooks', () => {
  let bank: TestBank;
  let receiver: Server;
  let base: string;
  const received: Received[] = [];
  /** Status the receiver answers per path (200 when not set). */
  const statusOf = new Map<string, number>();
  /** Paths the receiver never answers (time limit). */
  const hanging = new Set<string>();
  /** Names the bank's resolver answers itself; other names go to the system resolver. */
  const names: Record<string, string> = {};
  let alice: Customer;
  let bob: Customer;
  let admin: Customer;
  let auditor: Customer;

  const create = (caller: Customer, body: Record<string, unknown>) => bank.request('POST', `${API}/webhooks`, { token: caller.token, body });
  const deliveriesTo = (path: string) => received.filter((item) => item.path === path);
  async function publish(message: OutboxMessage): Promise<string> {
    await bank.app.context.transact((tx) => writeOutbox(tx, [message]));
    const result = await sql<{ id: string }>`select id::text as id from outbox order by created_at desc, id desc limit 1`.execute(bank.app.context.db);
    return String(result.rows[0]?.id);
  }
  async function log(caller: Customer, endpointId: string): Promise<any[]> {
    const reply = await bank.request('GET', `${API}/webhooks/${endpointId}/deliveries?limit=100`, { token: caller.token });
    expect(reply.status, reply.text).toBe(200);
    return reply.body.items;
  }

  beforeAll(async () => {
    receiver = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const path = request.url ?? '/';
        received.push({ path, headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        if (hanging.has(path)) return;
        if (path === '/deliver/redirect') response.setHeader('location', `${base}/deliver/redirected`);
        response.statusCode = statusOf.get(path) ?? 200;
        response.end(response.statusCode === 200 ? 'ok' : `failure ${'x'.repeat(2000)}`);
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    const port = (receiver.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
    bank = await startTestBank({
      env: {
        WEBHOOK_ALLOWED_HOSTS: `127.0.0.1:${port},pinned.example:${port}`,
        JOBS_POLL_INTERVAL_MS: '50',
        WEBHOOK_RETRY_BASE_SECONDS: '0',
        WEBHOOK_ATTEMPTS_MAX: '3',
        WEBHOOK_FAILURES_BEFORE_DISABLE: '5',
        WEBHOOK_ENDPOINTS_PER_USER_MAX: '4',
        WEBHOOK_TIMEOUT_MS: '1000',
        WEBHOOK_TEST_RATE_LIMIT_PER_USER_PER_MINUTE: '2',
      },
    });
    setWebhookResolver(bank.app.context.config, async (hostname) => {
      const address = names[hostname];
      if (address !== undefined) return [{ address, family: address.includes(':') ? 6 : 4 }];
      // .invalid never resolves (RFC 6761): answered here, so that the suite needs no DNS server.
      if (hostname.endsWith('.invalid')) return [];
      const found = await lookup(hostname, { all: true });
      return found.map((entry) => ({ address: entry.address, family: entry.family === 6 ? 6 : 4 }));
    });
    [alice, bob, admin, auditor] = await Promise.all([
      bank.user(uniqueName('alice')),
      bank.user(uniqueName('bob')),
      bank.user(uniqueName('whadmin'), 'admin'),
      bank.user(uniqueName('whaudit'), 'auditor'),
    ]);
  });
  afterAll(async () => {
    await bank?.close();
    await new Promise((resolve) => receiver?.close(resolve));
  });

  describe('endpoints', () => {
    it('registers an endpoint and shows its secret only once, stored sealed', async () => {
      const created = await create(alice, { url: `${base}/alice`, event_types: ['transfer.posted', 'account.frozen', 'transfer.posted'], description: ' Ledger sync ' });
      expect(created.status, created.text).toBe(201);
      expect(created.body).toMatchObject({
        url: `${base}/alice`,
        event_types: ['transfer.posted', 'account.frozen'],
        description: 'Ledger sync',
        scope: 'user',
        owner_id: alice.userId,
        enabled: true,
        failure_count: 0,
        disabled_reason: null,
      });
      const secret: string = created.body.secret;
      expect(secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
      const read = await bank.request('GET', `${API}/webhooks/${created.body.id}`, { token: alice.token });
      expect(read.status).toBe(200);
      expect(read.body).not.toHaveProperty('secret');
      expect(read.text).not.toContain(secret);
      const listed = await bank.request('GET', `${API}/webhooks`, { token: alice.token });
      expect(listed.body.items.map((item: any) => item.id)).toContain(created.body.id);
      expect(listed.text).not.toContain(secret);
      const stored = await sql<{ secret_sealed: string }>`select secret_sealed from webhook_endpoints where id = ${created.body.id}`.execute(bank.app.context.db);
      expect(stored.rows[0]?.secret_sealed).toMatch(/^v1\./);
      expect(stored.rows[0]?.secret_sealed).not.toContain(secret.slice(6));
      const audit = await sql<{ action: string }>`select action from audit_log where target_id = ${created.body.id}`.execute(bank.app.context.db);
      expect(audit.rows.map((row) => row.action)).toEqual(['webhook.created']);
    });

    it('refuses bad input with stable codes', async () => {
      const good = { url: `${base}/x`, event_types: ['transfer.posted'] };
      expectProblem(await create(alice, { ...good, event_types: ['transfer.posted', 'money.printed'] }), 422, 'webhook_event_type_unknown');
      expectProblem(await create(alice, { ...good, event_types: ['webhook.test'] }), 422, 'webhook_event_type_unknown');
      expectProblem(await create(alice, { ...good, event_types: [] }), 422, 'validation_failed');
      expectProblem(await create(alice, { url: good.url }), 422, 'validation_failed');
      expectProblem(await create(alice, { ...good, description: 'd'.repeat(201) }), 422, 'validation_failed');
      expectProblem(await create(alice, { ...good, secret: 'whsec_mine' }), 422, 'validation_failed');
      expectProblem(await create(alice, { ...good, url: `${base}/${'a'.repeat(2100)}` }), 422, 'validation_failed');
      expectProblem(await create(alice, { ...good, url: `https://93.184.215.14/${'a'.repeat(2027)}` }), 422, 'webhook_url_invalid');
      expectProblem(await create(alice, { ...good, url: 'ftp://93.184.215.14/hook' }), 422, 'webhook_url_invalid');
      expectProblem(await create(alice, { ...good, url: 'hooks' }), 422, 'webhook_url_invalid');
      expectProblem(await create(alice, { ...good, url: 'https://user:secret@93.184.215.14/hook' }), 422, 'webhook_url_credentials');
      expectProblem(await create(alice, { ...good, url: 'http://93.184.215.14/hook' }), 422, 'webhook_url_insecure');
      expectProblem(await create(alice, { ...good, url: 'https://no-such-host.invalid/hook' }), 422, 'webhook_url_unresolvable');
      const patch = (body: unknown) => bank.request('PATCH', `${API}/webhooks/${first.body.id}`, { token: alice.token, body });
      const first = await create(alice, { ...good, url: `${base}/patch` });
      expectProblem(await patch({}), 422, 'empty_update');
      expectProblem(await patch({ event_types: ['nope'] }), 422, 'webhook_event_type_unknown');
      expectProblem(await patch({ url: 'https://93.184.215.14/' }), 422, 'validation_failed');
      expectProblem(await bank.request('GET', `${API}/webhooks?cursor=bogus`, { token: alice.token }), 422, 'invalid_cursor');
      await bank.request('DELETE', `${API}/webhooks/${first.body.id}`, { token: alice.token });
    });

    it.each([
      ['loopback', 'https://127.0.0.1/hook'],
      ['loopback by name', 'https://localhost/hook'],
      ['loopback, another port of the allowlisted host', 'http://127.0.0.1:1/hook'],
      ['loopback IPv6', 'https://[::1]/hook'],
      ['loopback as a decimal number', 'https://2130706433/hook'],
      ['loopback in hex and short form', 'https://0x7f.1/hook'],
      ['loopback in octal', 'https://0177.0.0.1/hook'],
      ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/hook'],
      ['private 10/8', 'https://10.0.0.5/hook'],
      ['private 172.16/12', 'https://172.16.8.1/hook'],
      ['private 192.168/16', 'https://192.168.1.20/hook'],
      ['unique local IPv6', 'https://[fd00::1]/hook'],
      ['cloud metadata', 'https://169.254.169.254/latest/meta-data/'],
      ['link-local IPv6', 'https://[fe80::1]/hook'],
      ['carrier-grade NAT', 'https://100.64.0.1/hook'],
      ['unspecified', 'https://0.0.0.0/hook'],
      ['unspecified IPv6', 'https://[::]/hook'],
      ['multicast', 'https://224.0.0.1/hook'],
    ])('refuses a %s URL (%s)', async (_name, url) => {
      expectProblem(await create(alice, { url, event_types: ['transfer.posted'] }), 422, 'webhook_url_forbidden');
    });

    it('permits the allowlisted loopback receiver, over http', async () => {
      const created = await create(bob, { url: `${base}/bob-allowed`, event_types: ['account.frozen'] });
      expect(created.status, created.text).toBe(201);
      await bank.request('DELETE', `${API}/webhooks/${created.body.id}`, { token: bob.token });
    });

    it("answers 404 for another customer's endpoint, and lets staff read but only admins change it", async () => {
      const created = await create(alice, { url: `${base}/owned`, event_types: ['account.closed'] });
      const id = created.body.id as string;
      for (const [method, path, body] of [
        ['GET', '', undefined],
        ['PATCH', '', { enabled: false }],
        ['DELETE', '', undefined],
        ['POST', '/rotate-secret', undefined],
        ['POST', '/test', undefined],
        ['GET', '/deliveries', undefined],
      ] as const) {
        expectProblem(await bank.request(method, `${API}/webhooks/${id}${path}`, { token: bob.token, ...(body ? { body } : {}) }), 404, 'webhook_not_found');
      }
      expect((await bank.request('GET', `${API}/webhooks`, { token: bob.token })).body.items.map((item: any) => item.id)).not.toContain(id);
      expectProblem(await bank.request('GET', `${API}/webhooks/not-a-uuid`, { token: alice.token }), 404, 'webhook_not_found');
      expectProblem(await bank.request('GET', `${API}/webhooks/0192f000-0000-7000-8000-000000000000`, { token: alice.token }), 404, 'webhook_not_found');
      // Staff read it; an auditor changes nothing; an admin may disable it but not see its secret.
      expect((await bank.request('GET', `${API}/webhooks/${id}`, { token: auditor.token })).status).toBe(200);
      expect((await bank.request('PATCH', `${API}/webhooks/${id}`, { token: auditor.token, body: { enabled: false } })).status).toBe(403);
      expectProblem(await bank.request('POST', `${API}/webhooks/${id}/rotate-secret`, { token: admin.token }), 403, 'webhook_owner_only');
      const disabled = await bank.request('PATCH', `${API}/webhooks/${id}`, { token: admin.token, body: { enabled: false } });
      expect(disabled.body).toMatchObject({ enabled: false, disabled_reason: 'bank' });
      expectProblem(await bank.request('POST', `${API}/webhooks/${id}/test`, { token: alice.token }), 409, 'webhook_disabled');
      // The bank disabled it: its owner may not enable it again, and the refusal changes nothing.
      expectProblem(await bank.request('PATCH', `${API}/webhooks/${id}`, { token: alice.token, body: { enabled: true } }), 403, 'webhook_disabled_by_bank');
      expect((await bank.request('GET', `${API}/webhooks/${id}`, { token: alice.token })).body).toMatchObject({ enabled: false, disabled_reason: 'bank' });
      // Disabling it again by hand does not turn the bank's reason into the owner's.
      const again = await bank.request('PATCH', `${API}/webhooks/${id}`, { token: alice.token, body: { enabled: false, description: 'paused' } });
      expect(again.body).toMatchObject({ enabled: false, disabled_reason: 'bank', description: 'paused' });
      expectProblem(await bank.request('PATCH', `${API}/webhooks/${id}`, { token: alice.token, body: { enabled: true } }), 403, 'webhook_disabled_by_bank');
      // Staff enable it; then its owner disables and enables it as before.
      const restored = await bank.request('PATCH', `${API}/webhooks/${id}`, { token: admin.token, body: { enabled: true } });
      expect(restored.body).toMatchObject({ enabled: true, disabled_reason: null });
      expect((await bank.request('PATCH', `${API}/webhooks/${id}`, { token: alice.token, body: { enabled: false } })).body).toMatchObject({ disabled_reason: 'manual' });
      expect((await bank.request('PATCH', `${API}/webhooks/${id}`, { token: alice.token, body: { enabled: true } })).body).toMatchObject({ enabled: true });
      const audit = await bank.request('GET', `${API}/audit-logs?action=webhook.&target_id=${id}&limit=100`, { token: auditor.token });
      expect(audit.body.items.map((row: any) => [row.action, row.actor_role, row.after.disabled_reason]).reverse()).toEqual([
        ['webhook.created', 'customer', undefined],
        ['webhook.disabled', 'admin', 'bank'],
        ['webhook.updated', 'customer', 'bank'],
        ['webhook.enabled', 'admin', null],
        ['webhook.disabled', 'customer', 'manual'],
        ['webhook.enabled', 'customer', null],
      ]);
      expect((await bank.request('DELETE', `${API}/webhooks/${id}`, { token: alice.token })).status).toBe(204);
      expectProblem(await bank.request('GET', `${API}/webhooks/${id}`, { token: alice.token }), 404, 'webhook_not_found');
    });

    it('gives admins bank endpoints that customers cannot see', async () => {
      const created = await create(admin, { url: `${base}/bank-scope-check`, event_types: ['user.locked'] });
      expect(created.status, created.text).toBe(201);
      expect(created.body.scope).toBe('bank');
      expectProblem(await bank.request('GET', `${API}/webhooks/${created.body.id}`, { token: alice.token }), 404, 'webhook_not_found');
      const staffList = await bank.request('GET', `${API}/webhooks?scope=bank&limit=100`, { token: auditor.token });
      expect(staffList.body.items.every((item: any) => item.scope === 'bank')).toBe(true);
      expect(staffList.body.items.map((item: any) => item.id)).toContain(created.body.id);
      expectProblem(await create(auditor, { url: `${base}/auditor`, event_types: ['user.locked'] }), 403, 'read_only_role');
      expect((await bank.request('DELETE', `${API}/webhooks/${created.body.id}`, { token: admin.token })).status).toBe(204);
    });

    it('bounds the endpoints per user and pages the list', async () => {
      const carol = await bank.user(uniqueName('carol'));
      const ids: string[] = [];
      for (let index = 0; index < 4; index += 1) {
        const created = await create(carol, { url: `${base}/carol/${index}`, event_types: ['account.opened'] });
        expect(created.status, created.text).toBe(201);
        ids.push(created.body.id);
      }
      expectProblem(await create(carol, { url: `${base}/carol/5`, event_types: ['account.opened'] }), 409, 'webhook_limit_reached');
      const first = await bank.request('GET', `${API}/webhooks?limit=3`, { token: carol.token });
      const second = await bank.request('GET', `${API}/webhooks?limit=3&cursor=${first.body.next_cursor}`, { token: carol.token });
      expect([...first.body.items, ...second.body.items].map((item: any) => item.id)).toEqual([...ids].reverse());
      expect(second.body.next_cursor).toBeNull();
      // Deleting one makes room again.
      expect((await bank.request('DELETE', `${API}/webhooks/${ids[0]}`, { token: carol.token })).status).toBe(204);
      expect((await create(carol, { url: `${base}/carol/5`, event_types: ['account.opened'] })).status).toBe(201);
    });
  });

  describe('deliveries', () => {
    it('delivers a signed event to each subscribed endpoint, shaped for its recipient', async () => {
      const mine = await create(alice, { url: `${base}/deliver/alice`, event_types: ['transfer.posted'] });
      const bobs = await create(bob, { url: `${base}/deliver/bob`, event_types: ['transfer.posted'] });
      const unsubscribed = await create(alice, { url: `${base}/deliver/alice-frozen`, event_types: ['account.frozen'] });
      const bankWide = await create(admin, { url: `${base}/deliver/bank`, event_types: ['transfer.posted'] });
      const payload = {
        transfer_id: 'tr-1', kind: 'transfer', from_account_id: 'acc-a', to_account_id: 'acc-c', from_user_id: alice.userId, to_user_id: '0192f000-0000-7000-8000-00000000c0c0',
        amount: '250.00', currency: 'INR', from_balance_after: '750.00', to_balance_after: '99999.00', description: 'Rent',
      };
      // The transfer concerns Alice and a third customer, not Bob.
      const eventId = await publish({ topic: 'transfer.posted', userIds: [alice.userId, payload.to_user_id], payload });
      const [delivery] = await eventually(() => (deliveriesTo('/deliver/alice').length > 0 ? deliveriesTo('/deliver/alice') : undefined));
      const [bankDelivery] = await eventually(() => (deliveriesTo('/deliver/bank').length > 0 ? deliveriesTo('/deliver/bank') : undefined));
      if (delivery === undefined || bankDelivery === undefined) throw new Error('unreachable');

      const timestamp = String(delivery.headers['kosh-webhook-timestamp']);
      expect(delivery.headers['kosh-webhook-id']).toBe(eventId);
      expect(delivery.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(300);
      expect(delivery.headers['kosh-webhook-signature']).toBe(expectedSignature(mine.body.secret, timestamp, delivery.body));
      expect(delivery.headers['kosh-webhook-signature']).not.toBe(expectedSignature(bankWide.body.secret, timestamp, delivery.body));
      const body = JSON.parse(delivery.body);
      expect(body).toEqual({ id: eventId, type: 'transfer.posted', created_at: expect.any(String), data: expect.any(Object) });
      // Alice sees her side only: not the other customer's user id or balance.
      const { to_user_id: _toUser, to_balance_after: _toBalance, ...ownSide } = payload;
      expect(body.data).toEqual(ownSide);
      // The bank endpoint gets everything.
      const bankBody = JSON.parse(bankDelivery.body);
      expect(bankBody.data).toEqual(payload);
      const bankTimestamp = String(bankDelivery.headers['kosh-webhook-timestamp']);
      expect(bankDelivery.headers['kosh-webhook-signature']).toBe(expectedSignature(bankWide.body.secret, bankTimestamp, bankDelivery.body));

      const entries = await eventually(async () => {
        const items = await log(alice, mine.body.id);
        return items.length > 0 ? items : undefined;
      });
      expect(entries).toEqual([
        expect.objectContaining({ event_id: eventId, topic: 'transfer.posted', attempt: 1, outcome: 'succeeded', status_code: 200, error: null, next_attempt_at: null, response_excerpt: 'ok' }),
      ]);
      // Neither Bob's endpoint nor Alice's endpoint for another event type got anything.
      await publish({ topic: 'account.frozen', userIds: [alice.userId], payload: { account_id: 'acc-a', user_id: alice.userId, by: 'customer' } });
      await eventually(() => (deliveriesTo('/deliver/alice-frozen').length > 0 ? true : undefined));
      expect(deliveriesTo('/deliver/bob')).toEqual([]);
      expect(deliveriesTo('/deliver/alice')).toHaveLength(1);
      expect(await log(bob, bobs.body.id)).toEqual([]);
      expect(await log(alice, unsubscribed.body.id)).toHaveLength(1);
      for (const [owner, endpoint] of [[alice, mine], [bob, bobs], [alice, unsubscribed], [admin, bankWide]] as const) {
        await bank.request('DELETE', `${API}/webhooks/${endpoint.body.id}`, { token: owner.token });
      }
    });

    it('retries failures with a log of every attempt, disables the endpoint after repeated failures, and re-enables it', async () => {
      const path = '/deliver/failing';
      statusOf.set(path, 500);
      const endpoint = await create(bob, { url: `${base}${path}`, event_types: ['account.frozen', 'account.unfrozen'] });
      const id = endpoint.body.id as string;
      const first = await publish({ topic: 'account.frozen', userIds: [bob.userId], payload: { account_id: 'acc-b', user_id: bob.userId, by: 'bank' } });
      // Three attempts (WEBHOOK_ATTEMPTS_MAX), the same id and body each time.
      let entries = await eventually(async () => {
        const items = await log(bob, id);
        return items.length === 3 ? items : undefined;
      });
      expect(entries.map((entry) => [entry.event_id, entry.attempt, entry.outcome, entry.status_code])).toEqual([
        [first, 3, 'failed', 500],
        [first, 2, 'failed', 500],
        [first, 1, 'failed', 500],
      ]);
      expect(entries[0].next_attempt_at).toBeNull();
      expect(entries[1].next_attempt_at).not.toBeNull();
      expect(entries[0].error).toBe('HTTP 500');
      expect(entries[0].response_excerpt.length).toBeLessThanOrEqual(512);
      const attempts = deliveriesTo(path);
      expect(new Set(attempts.map((item) => item.headers['kosh-webhook-id']))).toEqual(new Set([first]));
      expect(new Set(attempts.map((item) => item.body)).size).toBe(1);
      expect((await bank.request('GET', `${API}/webhooks/${id}`, { token: bob.token })).body).toMatchObject({ enabled: true, failure_count: 3 });

      // Two more failures reach WEBHOOK_FAILURES_BEFORE_DISABLE (5): disabled, no further attempt.
      const second = await publish({ topic: 'account.unfrozen', userIds: [bob.userId], payload: { account_id: 'acc-b', user_id: bob.userId, by: 'bank' } });
      const disabled = await eventually(async () => {
        const reply = await bank.request('GET', `${API}/webhooks/${id}`, { token: bob.token });
        return reply.body.enabled === false ? reply.body : undefined;
      });
      expect(disabled).toMatchObject({ enabled: false, disabled_reason: 'failures', failure_count: 5, disabled_at: expect.any(String) });
      entries = await log(bob, id);
      expect(entries.map((entry) => [entry.event_id, entry.attempt, entry.next_attempt_at])).toEqual([
        [second, 2, null],
        [second, 1, expect.any(String)],
        [first, 3, null],
        [first, 2, expect.any(String)],
        [first, 1, expect.any(String)],
      ]);
      const audit = await sql<{ action: string; actor_role: string }>`select action, actor_role from audit_log where target_id = ${id} order by seq`.execute(bank.app.context.db);
      expect(audit.rows).toContainEqual({ action: 'webhook.disabled', actor_role: 'system' });
      // A disabled endpoint receives nothing.
      const before = deliveriesTo(path).length;
      await publish({ topic: 'account.frozen', userIds: [bob.userId], payload: { account_id: 'acc-b', user_id: bob.userId, by: 'bank' } });
      await bank.app.context.jobs.relayPending();
      expect(deliveriesTo(path)).toHaveLength(before);

      // Re-enabled (failure count cleared), it receives new events again.
      statusOf.set(path, 204);
      const enabled = await bank.request('PATCH', `${API}/webhooks/${id}`, { token: bob.token, body: { enabled: true } });
      expect(enabled.body).toMatchObject({ enabled: true, failure_count: 0, disabled_reason: null, disabled_at: null });
      const third = await publish({ topic: 'account.frozen', userIds: [bob.userId], payload: { account_id: 'acc-b', user_id: bob.userId, by: 'customer' } });
      const latest = await eventually(async () => {
        const [top] = await log(bob, id);
        return top?.event_id === third ? top : undefined;
      });
      expect(latest).toMatchObject({ attempt: 1, outcome: 'succeeded', status_code: 204 });
      const audited = await sql<{ action: string }>`select action from audit_log where target_id = ${id} order by seq`.execute(bank.app.context.db);
      expect(audited.rows.map((row) => row.action)).toEqual(['webhook.created', 'webhook.disabled', 'webhook.enabled']);
    });

    it('signs with the old and the new secret after a rotation until the old one expires, and sends test events', async () => {
      const path = '/deliver/rotating';
      const dave = await bank.user(uniqueName('dave'));
      const endpoint = await create(dave, { url: `${base}${path}`, event_types: ['user.password_changed'] });
      const rotated = await bank.request('POST', `${API}/webhooks/${endpoint.body.id}/rotate-secret`, { token: dave.token });
      expect(rotated.status, rotated.text).toBe(200);
      expect(rotated.body.secret).toMatch(/^whsec_/);
      expect(rotated.body.secret).not.toBe(endpoint.body.secret);
      expect((await bank.request('GET', `${API}/webhooks/${endpoint.body.id}`, { token: dave.token })).text).not.toContain(rotated.body.secret);
      const sent = await bank.request('POST', `${API}/webhooks/${endpoint.body.id}/test`, { token: dave.token });
      expect(sent.status, sent.text).toBe(202);
      const [delivery] = await eventually(() => (deliveriesTo(path).length > 0 ? deliveriesTo(path) : undefined));
      if (delivery === undefined) throw new Error('unreachable');
      const timestamp = String(delivery.headers['kosh-webhook-timestamp']);
      expect(delivery.headers['kosh-webhook-signature']).toBe(
        `${expectedSignature(rotated.body.secret, timestamp, delivery.body)} ${expectedSignature(endpoint.body.secret, timestamp, delivery.body)}`,
      );
      expect(JSON.parse(delivery.body)).toMatchObject({ id: sent.body.event_id, type: 'webhook.test', data: { endpoint_id: endpoint.body.id } });
      expect(delivery.headers['kosh-webhook-id']).toBe(sent.body.event_id);

      // Once the old secret has expired (24 hours after the rotation), only the new one signs.
      await sql`update webhook_endpoints set previous_secret_expires_at = now() - interval '1 second' where id = ${endpoint.body.id}`.execute(bank.app.context.db);
      const again = await bank.request('POST', `${API}/webhooks/${endpoint.body.id}/test`, { token: dave.token });
      expect(again.status, again.text).toBe(202);
      const later = await eventually(() => deliveriesTo(path).find((item) => item.headers['kosh-webhook-id'] === again.body.event_id));
      const laterTimestamp = String(later.headers['kosh-webhook-timestamp']);
      expect(later.headers['kosh-webhook-signature']).toBe(expectedSignature(rotated.body.secret, laterTimestamp, later.body));
      // Test events are rate limited per user (WEBHOOK_TEST_RATE_LIMIT_PER_USER_PER_MINUTE = 2 here).
      expectProblem(await bank.request('POST', `${API}/webhooks/${endpoint.body.id}/test`, { token: dave.token }), 429, 'rate_limited');
    });

    it('checks the destination again at delivery: a host that now resolves to a private address gets nothing', async () => {
      names['rebind.example.com'] = '93.184.215.14';
      const endpoint = await create(alice, { url: 'https://rebind.example.com/hook', event_types: ['account.closed'] });
      expect(endpoint.status, endpoint.text).toBe(201);
      names['rebind.example.com'] = '127.0.0.1';
      const eventId = await publish({ topic: 'account.closed', userIds: [alice.userId], payload: { account_id: 'acc-a', user_id: alice.userId } });
      // Every attempt (WEBHOOK_ATTEMPTS_MAX) is refused before connecting.
      const entries = await eventually(async () => {
        const items = await log(alice, endpoint.body.id);
        return items.length === 3 ? items : undefined;
      });
      for (const entry of entries) {
        expect(entry).toMatchObject({ event_id: eventId, outcome: 'failed', status_code: null, response_excerpt: null });
        expect(entry.error).toMatch(/^webhook_url_forbidden: .*loopback/);
      }
      await bank.request('DELETE', `${API}/webhooks/${endpoint.body.id}`, { token: alice.token });
    });

    it('connects to the address it checked, whatever a second DNS answer would say', async () => {
      // pinned.example is known only to the bank's resolver; the request must reach 127.0.0.1 anyway.
      names['pinned.example'] = '127.0.0.1';
      const port = new URL(base).port;
      const endpoint = await create(alice, { url: `http://pinned.example:${port}/deliver/pinned`, event_types: ['user.two_factor_enabled'] });
      expect(endpoint.status, endpoint.text).toBe(201);
      await publish({ topic: 'user.two_factor_enabled', userIds: [alice.userId], payload: { user_id: alice.userId } });
      const [delivery] = await eventually(() => (deliveriesTo('/deliver/pinned').length > 0 ? deliveriesTo('/deliver/pinned') : undefined));
      expect(delivery?.headers.host).toBe(`pinned.example:${port}`);
      await bank.request('DELETE', `${API}/webhooks/${endpoint.body.id}`, { token: alice.token });
    });

    it('does not follow redirects, and gives up on a receiver that does not answer in time', async () => {
      statusOf.set('/deliver/redirect', 302);
      hanging.add('/deliver/hang');
      const redirect = await create(bob, { url: `${base}/deliver/redirect`, event_types: ['user.password_changed'] });
      const hang = await create(bob, { url: `${base}/deliver/hang`, event_types: ['user.password_changed'] });
      await publish({ topic: 'user.password_changed', userIds: [bob.userId], payload: { user_id: bob.userId } });
      const [redirected] = await eventually(async () => {
        const items = await log(bob, redirect.body.id);
        return items.length > 0 ? items.reverse() : undefined;
      });
      expect(redirected).toMatchObject({ attempt: 1, outcome: 'failed', status_code: 302, error: 'HTTP 302' });
      expect(deliveriesTo('/deliver/redirected')).toEqual([]);
      const [timedOut] = await eventually(async () => {
        const items = await log(bob, hang.body.id);
        return items.length > 0 ? items.reverse() : undefined;
      });
      expect(timedOut).toMatchObject({ attempt: 1, outcome: 'failed', status_code: null, error: 'timed out after 1000 ms' });
      for (const endpoint of [redirect, hang]) await bank.request('DELETE', `${API}/webhooks/${endpoint.body.id}`, { token: bob.token });
    });

    it('enqueues one delivery per endpoint and event, however often the consumer sees the event', async () => {
      const endpoint = await create(alice, { url: `${base}/deliver/once`, event_types: ['user.two_factor_disabled'] });
      const event: OutboxEvent = { id: `replayed-${endpoint.body.id}`, topic: 'user.two_factor_disabled', userIds: [alice.userId], payload: { user_id: alice.userId }, createdAt: new Date() };
      const consumer = webhookConsumer(bank.app.context);
      await Promise.all([consumer.handle(event), consumer.handle(event)]);
      await consumer.handle(event);
      await eventually(() => (deliveriesTo('/deliver/once').length > 0 ? true : undefined));
      const jobs = await sql<{ count: string | number }>`
        select count(*) as count from jobs where singleton_key like ${`webhook:${endpoint.body.id}:%`}`.execute(bank.app.context.db);
      expect(Number(jobs.rows[0]?.count)).toBe(1);
      expect(deliveriesTo('/deliver/once')).toHaveLength(1);
      expect(JSON.parse(deliveriesTo('/deliver/once')[0]?.body ?? '{}')).toMatchObject({ id: event.id, type: 'user.two_factor_disabled' });
    });

    it('delivers a transfer made through the API', async () => {
      const path = '/deliver/api-transfer';
      const endpoint = await create(alice, { url: `${base}${path}`, event_types: ['transfer.posted'] });
      const from = await fundedAccount(bank, alice, '1000.00');
      const to = await bank.openAccount(bob, 'savings');
      const sent = await bank.request('POST', `${API}/transfers`, { token: alice.token, body: { from_account_id: from.id, to_account_number: to.number, amount: '125.50' } });
      expect(sent.status, sent.text).toBe(201);
      const [delivery] = await eventually(() => (deliveriesTo(path).length > 0 ? deliveriesTo(path) : undefined));
      if (delivery === undefined) throw new Error('unreachable');
      const timestamp = String(delivery.headers['kosh-webhook-timestamp']);
      expect(delivery.headers['kosh-webhook-signature']).toBe(expectedSignature(endpoint.body.secret, timestamp, delivery.body));
      const body = JSON.parse(delivery.body);
      expect(body).toMatchObject({ type: 'transfer.posted', data: { from_account_id: from.id, to_account_id: to.id, amount: '125.50', currency: 'INR', from_user_id: alice.userId } });
      expect(body.data).not.toHaveProperty('to_user_id');
      expect(body.data).not.toHaveProperty('to_balance_after');
      expect(JSON.stringify(body)).not.toContain(to.number);
    });
  });
});
