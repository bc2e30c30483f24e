import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectNoStackTrace, expectProblem, fundedAccount, transfer, uniqueName, watchBalances } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

const DOCUMENTED: [string, string][] = [
  ['/api/v1/auth/register', 'post'],
  ['/api/v1/auth/login', 'post'],
  ['/api/v1/auth/refresh', 'post'],
  ['/api/v1/auth/logout', 'post'],
  ['/api/v1/auth/me', 'get'],
  ['/api/v1/accounts', 'post'],
  ['/api/v1/accounts', 'get'],
  ['/api/v1/accounts/{id}', 'get'],
  ['/api/v1/accounts/{id}/balance', 'get'],
  ['/api/v1/accounts/{id}/limits', 'get'],
  ['/api/v1/accounts/{id}/freeze', 'patch'],
  ['/api/v1/accounts/{id}/close', 'patch'],
  ['/api/v1/accounts/{id}/statement', 'get'],
  ['/api/v1/admin/accounts/{id}/limits', 'patch'],
  ['/api/v1/transactions/deposit', 'post'],
  ['/api/v1/transactions/withdraw', 'post'],
  ['/api/v1/transactions', 'get'],
  ['/api/v1/transfers', 'post'],
  ['/api/v1/transfers/{id}', 'get'],
  ['/api/v1/admin/transfers/{id}/reverse', 'post'],
  ['/api/v1/beneficiaries', 'post'],
  ['/api/v1/beneficiaries', 'get'],
  ['/api/v1/beneficiaries/{id}', 'delete'],
  ['/api/v1/admin/ledger/integrity', 'get'],
  ['/api/v1/admin/reports/balance-sheet', 'get'],
];

describe('platform', () => {
  let bank: TestBank;
  let asha: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    asha = await bank.user(uniqueName('asha'));
  });
  afterAll(async () => bank.close());

  it('answers unknown routes with 404 route_not_found problem+json', async () => {
    for (const [method, url] of [
      ['GET', '/api/v1/nope'],
      ['GET', '/nope'],
      ['POST', '/api/v1/accounts/123/explode'],
      ['DELETE', '/api/v1/accounts'],
      ['PUT', '/api/v1/transfers'],
      ['GET', '/api/v2/accounts'],
    ] as const) {
      const reply = await bank.request(method, url, { token: asha.token });
      expectProblem(reply, 404, 'route_not_found');
    }
  });

  it('reports liveness and readiness', async () => {
    const health = await bank.request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: 'ok' });
    const ready = await bank.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toEqual({ status: 'ready' });
  });

  it('publishes an OpenAPI 3.1.0 document listing every endpoint', async () => {
    const reply = await bank.request('GET', '/openapi.json');
    expect(reply.status).toBe(200);
    expect(String(reply.headers['content-type'])).toContain('application/json');
    expect(reply.body.openapi).toBe('3.1.0');
    expect(reply.body.info).toMatchObject({ title: expect.any(String), version: expect.any(String) });
    expect(reply.body.components.securitySchemes.bearerAuth).toMatchObject({ type: 'http', scheme: 'bearer' });
    const missing = DOCUMENTED.filter(([path, method]) => reply.body.paths?.[path]?.[method] === undefined);
    expect(missing).toEqual([]);
    const transferOperation = reply.body.paths['/api/v1/transfers'].post;
    const headerNames = (transferOperation.parameters ?? []).filter((parameter: any) => parameter.in === 'header').map((parameter: any) => parameter.name.toLowerCase());
    expect(headerNames).toContain('idempotency-key');
  });

  it('serves Swagger UI at /docs and ReDoc at /redoc as HTML', async () => {
    for (const url of ['/docs', '/redoc']) {
      const reply = await bank.request('GET', url);
      expect(reply.status, url).toBe(200);
      expect(String(reply.headers['content-type'])).toContain('text/html');
      expect(reply.text.toLowerCase()).toContain('<html');
    }
  });

  it('exposes Prometheus metrics for requests and money movements', async () => {
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(asha, 'wallet');
    expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1.00' })).status).toBe(201);
    expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1000.00' })).status).toBe(402);
    const reply = await bank.request('GET', '/metrics');
    expect(reply.status).toBe(200);
    expect(String(reply.headers['content-type'])).toContain('text/plain');
    expect(reply.text).toContain('kosh_http_request_duration_seconds');
    expect(reply.text).toContain('kosh_money_movements_total');
    expect(reply.text).toMatch(/kosh_money_movements_total\{[^}]*type="transfer"[^}]*outcome="posted"[^}]*\} 1/);
    expect(reply.text).toMatch(/kosh_money_movements_total\{[^}]*type="transfer"[^}]*outcome="insufficient_funds"[^}]*\} 1/);
    expect(reply.text).toMatch(/kosh_http_request_duration_seconds_count\{[^}]*route="\/api\/v1\/transfers"/);
    // No secrets or tokens leak into the metrics.
    expect(reply.text).not.toContain(asha.token);
  });

  it('refuses bodies over 64 KiB with 413 body_too_large and moves nothing', async () => {
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(asha, 'wallet');
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [asha, to.id],
    ]);
    const padding = 'x'.repeat(65 * 1024);
    expectProblem(
      await bank.request('POST', `${API}/transfers`, {
        token: asha.token,
        rawBody: JSON.stringify({ from_account_id: from.id, to_account_id: to.id, amount: '1.00', description: padding }),
      }),
      413,
      'body_too_large',
    );
    expectProblem(
      await bank.request('POST', `${API}/transactions/deposit`, {
        token: asha.token,
        rawBody: JSON.stringify({ account_id: from.id, amount: '1.00', padding }),
      }),
      413,
      'body_too_large',
    );
    expectProblem(await bank.request('POST', `${API}/auth/register`, { rawBody: JSON.stringify({ username: padding }) }), 413, 'body_too_large');
    // Just under the limit the body is parsed (and refused for its content, not its size).
    const under = await bank.request('POST', `${API}/transactions/deposit`, {
      token: asha.token,
      rawBody: JSON.stringify({ account_id: from.id, amount: '1.00', description: 'y'.repeat(60 * 1024) }),
    });
    expectProblem(under, 422, 'validation_failed');
    await watch.expectUnchanged();
  });

  it('refuses NUL characters anywhere in the input (422 invalid_characters) and moves nothing', async () => {
    const account = await fundedAccount(bank, asha, '100.00');
    const watch = await watchBalances(bank, [[asha, account.id]]);
    expectProblem(
      await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: account.id, amount: '1.00', description: 'a\u0000b' } }),
      422,
      'invalid_characters',
    );
    expectProblem(
      await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: account.id, amount: '1.00\u0000' } }),
      422,
      'invalid_characters',
    );
    expectProblem(
      await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: `${account.id}\u0000` , amount: '1.00' } }),
      422,
      'invalid_characters',
    );
    expectProblem(
      await bank.request('POST', `${API}/auth/register`, {
        body: { username: uniqueName('nul'), password: 'a fine long password', email: 'nul@example.in', full_name: 'Null\u0000Byte' },
      }),
      422,
      'invalid_characters',
    );
    expectProblem(await bank.request('POST', `${API}/auth/register`, { rawBody: '{"username\\u0000":"a"}' }), 422, 'invalid_characters');
    expectProblem(await bank.request('POST', `${API}/auth/login`, { body: { username: 'asha\u0000', password: 'whatever1' } }), 422, 'invalid_characters');
    expectProblem(await bank.request('GET', `${API}/transactions?q=%00`, { token: asha.token }), 422, 'invalid_characters');
    expectProblem(await bank.request('GET', `${API}/accounts/%00`, { token: asha.token }), 422, 'invalid_characters');
    await watch.expectUnchanged();
  });

  it('requires a token on every protected endpoint (401 unauthenticated)', async () => {
    const protectedRoutes: [string, string, unknown?][] = [
      ['POST', '/auth/logout'],
      ['GET', '/auth/me'],
      ['POST', '/accounts', { type: 'savings' }],
      ['GET', '/accounts'],
      ['GET', `/accounts/${UNKNOWN_UUID}`],
      ['GET', `/accounts/${UNKNOWN_UUID}/balance`],
      ['GET', `/accounts/${UNKNOWN_UUID}/limits`],
      ['PATCH', `/accounts/${UNKNOWN_UUID}/freeze`, { frozen: true }],
      ['PATCH', `/accounts/${UNKNOWN_UUID}/close`],
      ['GET', `/accounts/${UNKNOWN_UUID}/statement`],
      ['PATCH', `/admin/accounts/${UNKNOWN_UUID}/limits`, { daily_limit: null }],
      ['POST', '/transactions/deposit', { account_id: UNKNOWN_UUID, amount: '1.00' }],
      ['POST', '/transactions/withdraw', { account_id: UNKNOWN_UUID, amount: '1.00' }],
      ['GET', '/transactions'],
      ['POST', '/transfers', { from_account_id: UNKNOWN_UUID, to_account_id: UNKNOWN_UUID, amount: '1.00' }],
      ['GET', `/transfers/${UNKNOWN_UUID}`],
      ['POST', `/admin/transfers/${UNKNOWN_UUID}/reverse`, { reason: 'because' }],
      ['POST', '/beneficiaries', { name: 'x', account_number: '123456789012' }],
      ['GET', '/beneficiaries'],
      ['DELETE', `/beneficiaries/${UNKNOWN_UUID}`],
      ['GET', '/admin/ledger/integrity'],
      ['GET', '/admin/reports/balance-sheet'],
    ];
    for (const [method, path, body] of protectedRoutes) {
      const reply = await bank.request(method, `${API}${path}`, body === undefined ? {} : { body });
      expect(reply.status, `${method} ${path}`).toBe(401);
      expectProblem(reply, 401, 'unauthenticated');
    }
  });

  it('sets protective headers on every response', async () => {
    for (const reply of [await bank.request('GET', `${API}/auth/me`, { token: asha.token }), await bank.request('GET', '/api/v1/nope')]) {
      expect(reply.headers['x-content-type-options']).toBe('nosniff');
      expect(reply.headers['cache-control']).toBe('no-store');
      expect(reply.headers['x-request-id']).toEqual(expect.any(String));
    }
  });

  it('never returns a stack trace, whatever goes wrong', async () => {
    const account = await bank.openAccount(asha, 'savings');
    const hugeCursor = Buffer.from('k1:9999999999999999999').toString('base64url');
    const replies = [
      await bank.request('POST', `${API}/auth/register`, { rawBody: '{"a":' }),
      await bank.request('POST', `${API}/auth/register`, { rawBody: 'x', headers: { 'content-type': 'text/plain' } }),
      await bank.request('POST', `${API}/auth/register`, { rawBody: 'x', headers: { 'content-type': 'application/json; charset=latin1' } }),
      await bank.request('POST', `${API}/auth/register`, { body: { username: ['array'] } }),
      await bank.request('POST', `${API}/auth/login`, { body: { username: 'x'.repeat(320), password: 'y'.repeat(1024) } }),
      await bank.request('GET', `${API}/accounts?cursor=${hugeCursor}`, { token: asha.token }),
      await bank.request('GET', `${API}/transactions?cursor=${hugeCursor}`, { token: asha.token }),
      await bank.request('GET', `${API}/transactions?min_amount=99999999999999999999999`, { token: asha.token }),
      await bank.request('GET', `${API}/accounts/${account.id}/statement?from=0000-01-01&to=0000-12-31`, { token: asha.token }),
      await bank.request('GET', `${API}/accounts/${account.id}/statement?from=9999-12-31&to=9999-12-31`, { token: asha.token }),
      await bank.request('GET', `${API}/accounts/'%20OR%201=1--`, { token: asha.token }),
      await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, rawBody: '{"account_id":{"$ne":null},"amount":"1"}' }),
      await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, rawBody: '{"__proto__":{"admin":true},"account_id":"x","amount":"1"}' }),
      await bank.request('POST', `${API}/transfers`, { token: asha.token, body: { from_account_id: account.id, to_account_number: '9'.repeat(30), amount: '1' } }),
      await bank.request('GET', `${API}/auth/me`, { headers: { authorization: 'Bearer a.b.c' } }),
      await bank.request('GET', `${API}/accounts?limit=${'9'.repeat(400)}`, { token: asha.token }),
    ];
    for (const reply of replies) {
      expect(reply.status, reply.text).toBeLessThan(500);
      if (reply.status >= 400) {
        expect(String(reply.headers['content-type'])).toContain('application/problem+json');
        expect(reply.body?.code).toEqual(expect.any(String));
      }
      expectNoStackTrace(reply);
      expect(reply.text).not.toContain('.ts:');
    }
    expect(await bank.integrity()).toEqual([]);
  });
});
