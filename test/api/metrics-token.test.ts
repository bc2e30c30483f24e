/**
 * /metrics with METRICS_TOKEN: only a request carrying the token as a bearer token reads it; a
 * user's access token is no substitute, and a wrong or missing token gets 401 with a problem.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type TestBank } from '../support/bank.js';
import { expectProblem, uniqueName } from './helpers.js';

const TOKEN = 'metrics-token-for-the-scraper-0123';

describe('GET /metrics with METRICS_TOKEN', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ env: { METRICS_TOKEN: TOKEN } });
  });
  afterAll(async () => bank.close());

  it('answers the token and refuses everything else (401 metrics_token_required)', async () => {
    const scraped = await bank.request('GET', '/metrics', { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(scraped.status).toBe(200);
    expect(scraped.text).toMatch(/^kosh_process_cpu_user_seconds_total /m);

    const admin = await bank.user(uniqueName('admin'), 'admin');
    const attempts: Record<string, string>[] = [{}, { authorization: `Bearer ${TOKEN}x` }, { authorization: `Bearer ${TOKEN.slice(0, -1)}` }, { authorization: TOKEN }, { authorization: `Bearer ${admin.token}` }];
    for (const headers of attempts) {
      const refused = await bank.request('GET', '/metrics', { headers });
      expectProblem(refused, 401, 'metrics_token_required');
      expect(refused.headers['www-authenticate']).toBe('Bearer realm="metrics"');
      expect(refused.text).not.toContain('kosh_');
    }
    // The API itself still reads users' tokens as before.
    expect((await bank.request('GET', '/api/v1/auth/me', { token: admin.token })).status).toBe(200);
  });
});
