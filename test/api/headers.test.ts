/**
 * Security headers (helmet) on API answers and documentation pages, and CORS from the
 * CORS_ORIGINS allowlist: listed origins may call with credentials, others get no CORS headers.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/platform/config.js';
import { startTestBank, type Customer, type Reply, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

const APP_ORIGIN = 'https://app.kosh.example';
const DEV_ORIGIN = 'http://localhost:5173';
const OTHER_ORIGIN = 'https://evil.example';

/** The directives of a Content-Security-Policy header, by name. */
function cspOf(reply: Reply): Map<string, string[]> {
  const header = String(reply.headers['content-security-policy'] ?? '');
  return new Map(
    header
      .split(';')
      .map((part) => part.trim().split(/\s+/))
      .filter((words) => words[0] !== undefined && words[0] !== '')
      .map(([name, ...values]) => [String(name).toLowerCase(), values]),
  );
}

function expectCommonHeaders(reply: Reply): void {
  expect(reply.headers['x-content-type-options']).toBe('nosniff');
  expect(reply.headers['referrer-policy']).toBe('no-referrer');
  expect(reply.headers['x-frame-options']).toBe('DENY');
  expect(reply.headers['strict-transport-security']).toBe('max-age=31536000; includeSubDomains');
  expect(reply.headers['cross-origin-opener-policy']).toBe('same-origin');
  expect(reply.headers['cross-origin-resource-policy']).toBe('same-origin');
  expect(reply.headers['x-powered-by']).toBeUndefined();
}

describe('security headers and CORS', () => {
  let bank: TestBank;
  let customer: Customer;
  beforeAll(async () => {
    bank = await startTestBank({ env: { CORS_ORIGINS: `${APP_ORIGIN}, ${DEV_ORIGIN}` } });
    customer = await bank.user(uniqueName('headers'));
  });
  afterAll(async () => bank.close());

  const withOrigin = (origin: string, token?: string) => ({ headers: { origin }, ...(token === undefined ? {} : { token }) });

  describe('helmet', () => {
    it('puts a CSP that lets nothing load on API answers, successes and refusals alike', async () => {
      const replies = [
        await bank.request('GET', `${API}/users/me`, { token: customer.token }),
        await bank.request('GET', `${API}/accounts`),
        await bank.request('GET', `${API}/no-such-route`),
        await bank.request('GET', '/openapi.json'),
      ];
      expect(replies.map((reply) => reply.status)).toEqual([200, 401, 404, 200]);
      for (const reply of replies) {
        const csp = cspOf(reply);
        expect(csp.get('default-src')).toEqual(["'none'"]);
        expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
        expect(csp.get('base-uri')).toEqual(["'none'"]);
        expect(csp.get('form-action')).toEqual(["'none'"]);
        expect([...csp.keys()].sort()).toEqual(['base-uri', 'default-src', 'form-action', 'frame-ancestors']);
        expectCommonHeaders(reply);
      }
    });

    it('keeps the headers Kosh set before: request id and no caching', async () => {
      const reply = await bank.request('GET', `${API}/users/me`, { token: customer.token });
      expect(reply.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
      expect(reply.headers['cache-control']).toBe('no-store');
    });

    it('gives ReDoc a policy for its own script, injected styles, the spec and its worker, and nothing from elsewhere', async () => {
      const reply = await bank.request('GET', '/redoc');
      expect(reply.status).toBe(200);
      const csp = cspOf(reply);
      expect(csp.get('default-src')).toEqual(["'none'"]);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
      expect(csp.get('connect-src')).toEqual(["'self'"]);
      expect(csp.get('worker-src')).toEqual(["'self'", 'blob:']);
      expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
      expect(String(reply.headers['content-security-policy'])).not.toMatch(/https?:|unsafe-eval|\*/);
      // The page loads its bundle from this server, which the policy allows.
      expect(reply.text).toContain('src="/redoc/redoc.standalone.js"');
      expect((await bank.request('GET', '/redoc/redoc.standalone.js')).status).toBe(200);
      expectCommonHeaders(reply);
    });

    it("gives Swagger UI its own policy: scripts from this server, its inline styles", async () => {
      const reply = await bank.request('GET', '/docs');
      expect(reply.status).toBe(200);
      const csp = cspOf(reply);
      expect(csp.get('script-src')).toEqual(["'self'"]);
      expect(csp.get('style-src')).toEqual(["'self'", 'https:', "'unsafe-inline'"]);
      expect(csp.get('object-src')).toEqual(["'none'"]);
      expect(reply.text).toContain('swagger-ui-bundle.js');
    });
  });

  describe('CORS', () => {
    it('lets a listed origin read answers with credentials, and the headers it needs', async () => {
      for (const origin of [APP_ORIGIN, DEV_ORIGIN]) {
        const reply = await bank.request('GET', `${API}/users/me`, withOrigin(origin, customer.token));
        expect(reply.status).toBe(200);
        expect(reply.headers['access-control-allow-origin']).toBe(origin);
        expect(reply.headers['access-control-allow-credentials']).toBe('true');
        const exposed = String(reply.headers['access-control-expose-headers']).toLowerCase().split(/,\s*/);
        expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'x-request-id']));
        expect(String(reply.headers.vary)).toMatch(/origin/i);
      }
    });

    it('also on refusals, so the web app can read the problem', async () => {
      const reply = await bank.request('GET', `${API}/users/me`, withOrigin(APP_ORIGIN, 'not.a.token'));
      expectProblem(reply, 401, 'unauthenticated');
      expect(reply.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
    });

    it('gives other origins, look-alikes and "null" no CORS headers at all', async () => {
      for (const origin of [OTHER_ORIGIN, 'https://app.kosh.example.evil.example', 'http://app.kosh.example', `${APP_ORIGIN}:444`, 'null']) {
        const reply = await bank.request('GET', `${API}/users/me`, withOrigin(origin, customer.token));
        expect(reply.status, origin).toBe(200);
        expect(reply.headers['access-control-allow-origin'], origin).toBeUndefined();
        expect(reply.headers['access-control-allow-credentials'], origin).toBeUndefined();
      }
      const sameOrigin = await bank.request('GET', `${API}/users/me`, { token: customer.token });
      expect(sameOrigin.headers['access-control-allow-origin']).toBeUndefined();
    });

    it('answers the preflight of a listed origin', async () => {
      const reply = await bank.request('OPTIONS', `${API}/transfers`, {
        headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type, idempotency-key' },
      });
      expect(reply.status).toBe(204);
      expect(reply.headers['access-control-allow-origin']).toBe(APP_ORIGIN);
      expect(reply.headers['access-control-allow-credentials']).toBe('true');
      expect(String(reply.headers['access-control-allow-methods']).split(/,\s*/)).toEqual(expect.arrayContaining(['GET', 'POST', 'PUT', 'PATCH', 'DELETE']));
      expect(String(reply.headers['access-control-allow-headers']).toLowerCase()).toContain('idempotency-key');
      expect(Number(reply.headers['access-control-max-age'])).toBeGreaterThan(0);
    });

    it('does not answer the preflight of another origin', async () => {
      const reply = await bank.request('OPTIONS', `${API}/transfers`, {
        headers: { origin: OTHER_ORIGIN, 'access-control-request-method': 'POST' },
      });
      expect(reply.status).toBe(404);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      expect(reply.headers['access-control-allow-methods']).toBeUndefined();
    });
  });

  describe('CORS_ORIGINS', () => {
    it('is empty by default: no origin is allowed', () => {
      expect(loadConfig({}).CORS_ORIGINS).toEqual([]);
      expect(loadConfig({ CORS_ORIGINS: ' , ' }).CORS_ORIGINS).toEqual([]);
    });

    it('takes comma-separated origins', () => {
      expect(loadConfig({ CORS_ORIGINS: 'https://a.example, http://localhost:5173' }).CORS_ORIGINS).toEqual(['https://a.example', 'http://localhost:5173']);
    });

    it.each(['*', 'https://a.example/', 'https://a.example/app', 'a.example', 'ftp://a.example', 'https://*.example', 'https://a.example?x=1', 'HTTPS://A.EXAMPLE'])(
      'refuses %j, naming the variable',
      (value) => {
        expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(ConfigError);
        expect(() => loadConfig({ CORS_ORIGINS: value })).toThrow(/CORS_ORIGINS/);
      },
    );
  });

  describe('without CORS_ORIGINS', () => {
    let closed: TestBank;
    beforeAll(async () => {
      closed = await startTestBank();
    });
    afterAll(async () => closed.close());

    it('no origin gets CORS headers or a preflight answer', async () => {
      const reply = await closed.request('GET', '/healthz', withOrigin(APP_ORIGIN));
      expect(reply.status).toBe(200);
      expect(reply.headers['access-control-allow-origin']).toBeUndefined();
      const preflight = await closed.request('OPTIONS', `${API}/transfers`, { headers: { origin: APP_ORIGIN, 'access-control-request-method': 'POST' } });
      expect(preflight.status).toBe(404);
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});
