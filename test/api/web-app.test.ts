/**
 * The web app's static serving: index.html for pages (never cached) with the web app's own CSP,
 * hashed assets cached for a year, the SPA fallback only for HTML requests outside the API, no way
 * out of the build folder, a 503 that says how to build when there is no build, and none of it in
 * the OpenAPI document.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerWebApp, WEB_CSP } from '../../src/platform/http/web.js';
import { startTestBank, type TestBank } from '../support/bank.js';
import { API, expectProblem } from './helpers.js';

const HTML = { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' };

describe('web app files', () => {
  let folder: string;
  let app: FastifyInstance;
  let unbuilt: FastifyInstance;
  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'kosh-web-'));
    mkdirSync(join(folder, 'dist/assets'), { recursive: true });
    writeFileSync(join(folder, 'dist/index.html'), '<!doctype html><title>Kosh</title>');
    writeFileSync(join(folder, 'dist/assets/index-abc123.js'), 'console.log(1)');
    writeFileSync(join(folder, 'dist/favicon.svg'), '<svg/>');
    writeFileSync(join(folder, 'secret.txt'), 'outside the build');
    app = Fastify();
    await registerWebApp(app, { apiPrefix: '/api/v1', root: join(folder, 'dist') });
    unbuilt = Fastify();
    await registerWebApp(unbuilt, { apiPrefix: '/api/v1', root: join(folder, 'missing') });
  });
  afterAll(async () => {
    await app.close();
    await unbuilt.close();
    rmSync(folder, { recursive: true, force: true });
  });

  it('serves index.html at / and for app paths asked as pages, never cached, with the web CSP', async () => {
    for (const url of ['/', '/accounts', '/accounts/123?tab=limits', '/admin/users']) {
      const reply = await app.inject({ method: 'GET', url, headers: HTML });
      expect(reply.statusCode, url).toBe(200);
      expect(reply.body).toContain('<title>Kosh</title>');
      expect(reply.headers['content-type']).toContain('text/html');
      expect(reply.headers['cache-control']).toBe('no-cache');
      expect(reply.headers['content-security-policy']).toBe(WEB_CSP);
    }
  });

  it('caches hashed assets for a year and other files not at all', async () => {
    const asset = await app.inject({ method: 'GET', url: '/assets/index-abc123.js' });
    expect(asset.statusCode).toBe(200);
    expect(asset.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    const icon = await app.inject({ method: 'GET', url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers 404 for missing files and API paths, even when HTML is accepted', async () => {
    expect((await app.inject({ method: 'GET', url: '/assets/missing.js' })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1/nothing', headers: HTML })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/api/v1', headers: HTML })).statusCode).toBe(404);
  });

  it('never serves a file outside the build folder', async () => {
    for (const url of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/%2e%2e/%2e%2e/secret.txt', '/%00', '/%E0%A4%A']) {
      const reply = await app.inject({ method: 'GET', url });
      expect(reply.body, url).not.toContain('outside the build');
      // A malformed escape is refused by the router itself (400).
      expect([400, 404], url).toContain(reply.statusCode);
    }
  });

  it('says how to build the app when there is no build', async () => {
    const reply = await unbuilt.inject({ method: 'GET', url: '/', headers: HTML });
    expect(reply.statusCode).toBe(503);
    expect(reply.headers['content-type']).toContain('text/plain');
    expect(reply.body).toContain('npm run build:web');
  });
});

describe('web app inside the Kosh server', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank();
  });
  afterAll(async () => {
    await bank.close();
  });

  it('keeps problem+json and the API policy for unknown API routes asked as pages', async () => {
    const reply = await bank.request('GET', `${API}/no-such-route`, { headers: HTML });
    expectProblem(reply, 404, 'route_not_found');
    expect(reply.headers['content-security-policy']).toContain("default-src 'none'");
  });

  it('keeps route_not_found for unknown paths that do not ask for HTML', async () => {
    expectProblem(await bank.request('GET', '/no-such-file.json'), 404, 'route_not_found');
  });

  it('adds nothing to the OpenAPI document', async () => {
    const reply = await bank.request('GET', '/openapi.json');
    const paths = Object.keys(reply.body.paths);
    expect(paths.filter((path) => !path.startsWith(API) && !['/healthz', '/readyz'].includes(path))).toEqual([]);
  });
});
