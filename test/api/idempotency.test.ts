import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, uniqueName, watchBalances } from './helpers.js';

describe('Idempotency-Key', () => {
  let bank: TestBank;
  let admin: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    admin = await bank.user(uniqueName('admin'), 'admin');
  });
  afterAll(async () => bank.close());

  const post = (who: Customer, path: string, body: unknown, key?: string) =>
    bank.request('POST', `${API}${path}`, { token: who.token, body, ...(key === undefined ? {} : { headers: { 'idempotency-key': key } }) });
  const postRaw = (who: Customer, path: string, rawBody: string, key: string) =>
    bank.request('POST', `${API}${path}`, { token: who.token, rawBody, headers: { 'idempotency-key': key } });
  const historyCount = async (who: Customer, accountId: string) =>
    (await bank.request('GET', `${API}/transactions?account_id=${accountId}&limit=100`, { token: who.token })).body.items.length as number;

  it('replays a deposit byte for byte and moves the money once', async () => {
    const asha = await bank.user(uniqueName('idem'));
    const account = await bank.openAccount(asha, 'savings');
    const body = { account_id: account.id, amount: '100.00', description: 'Cash' };
    const first = await post(asha, '/transactions/deposit', body, 'dep-1');
    expect(first.status, first.text).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const again = await post(asha, '/transactions/deposit', body, 'dep-1');
      expect(again.status).toBe(201);
      expect(again.text).toBe(first.text);
      expect(again.headers['idempotent-replayed']).toBe('true');
      expect(String(again.headers['content-type'])).toContain('application/json');
    }
    expect(await bank.balance(asha, account.id)).toBe('100.00');
    expect(await historyCount(asha, account.id)).toBe(1);
    expect(await bank.integrity()).toEqual([]);
  });

  it('treats the same body with keys in another order as the same request', async () => {
    const asha = await bank.user(uniqueName('order'));
    const account = await bank.openAccount(asha, 'savings');
    const first = await postRaw(asha, '/transactions/deposit', `{"account_id":"${account.id}","amount":"5.00"}`, 'order-1');
    const second = await postRaw(asha, '/transactions/deposit', `{ "amount": "5.00", "account_id": "${account.id}" }`, 'order-1');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await bank.balance(asha, account.id)).toBe('5.00');
  });

  it('replays a withdrawal and a transfer once', async () => {
    const asha = await bank.user(uniqueName('wdidem'));
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(asha, 'wallet');
    const withdrawal = { account_id: from.id, amount: '10.00' };
    const w1 = await post(asha, '/transactions/withdraw', withdrawal, 'wd-1');
    const w2 = await post(asha, '/transactions/withdraw', withdrawal, 'wd-1');
    expect([w1.status, w2.status]).toEqual([201, 201]);
    expect(w2.text).toBe(w1.text);
    expect(w2.headers['idempotent-replayed']).toBe('true');
    const move = { from_account_id: from.id, to_account_id: to.id, amount: '20.00' };
    const t1 = await post(asha, '/transfers', move, 'tr-1');
    const t2 = await post(asha, '/transfers', move, 'tr-1');
    expect([t1.status, t2.status]).toEqual([201, 201]);
    expect(t2.text).toBe(t1.text);
    expect(t2.headers['idempotent-replayed']).toBe('true');
    expect(await bank.balance(asha, from.id)).toBe('70.00');
    expect(await bank.balance(asha, to.id)).toBe('20.00');
    expect(await bank.integrity()).toEqual([]);
  });

  it('refuses the same key with a different body or on another endpoint (422 idempotency_key_reused)', async () => {
    const asha = await bank.user(uniqueName('reuse'));
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(asha, 'wallet');
    expect((await post(asha, '/transactions/deposit', { account_id: from.id, amount: '10.00' }, 'reuse-1')).status).toBe(201);
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [asha, to.id],
    ]);
    expectProblem(await post(asha, '/transactions/deposit', { account_id: from.id, amount: '11.00' }, 'reuse-1'), 422, 'idempotency_key_reused');
    expectProblem(await post(asha, '/transactions/deposit', { account_id: from.id, amount: '10.0' }, 'reuse-1'), 422, 'idempotency_key_reused');
    expectProblem(await post(asha, '/transactions/deposit', { account_id: to.id, amount: '10.00' }, 'reuse-1'), 422, 'idempotency_key_reused');
    expectProblem(
      await post(asha, '/transactions/deposit', { account_id: from.id, amount: '10.00', description: 'x' }, 'reuse-1'),
      422,
      'idempotency_key_reused',
    );
    expectProblem(await post(asha, '/transactions/withdraw', { account_id: from.id, amount: '10.00' }, 'reuse-1'), 422, 'idempotency_key_reused');
    expectProblem(
      await post(asha, '/transfers', { from_account_id: from.id, to_account_id: to.id, amount: '10.00' }, 'reuse-1'),
      422,
      'idempotency_key_reused',
    );
    await watch.expectUnchanged();
    // The original is still replayed.
    const replay = await post(asha, '/transactions/deposit', { account_id: from.id, amount: '10.00' }, 'reuse-1');
    expect(replay.status).toBe(201);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    await watch.expectUnchanged();
  });

  it('scopes keys per user: two users may use the same key independently', async () => {
    const asha = await bank.user(uniqueName('scopea'));
    const ravi = await bank.user(uniqueName('scoper'));
    const ashas = await bank.openAccount(asha, 'savings');
    const ravis = await bank.openAccount(ravi, 'savings');
    const a = await post(asha, '/transactions/deposit', { account_id: ashas.id, amount: '1.00' }, 'shared-key');
    const r = await post(ravi, '/transactions/deposit', { account_id: ravis.id, amount: '2.00' }, 'shared-key');
    expect(a.status, a.text).toBe(201);
    expect(r.status, r.text).toBe(201);
    expect(r.headers['idempotent-replayed']).toBeUndefined();
    expect(r.body.id).not.toBe(a.body.id);
    expect(await bank.balance(asha, ashas.id)).toBe('1.00');
    expect(await bank.balance(ravi, ravis.id)).toBe('2.00');
    // Ravi replaying asha's exact request with the shared key does not get asha's response.
    const crossed = await post(ravi, '/transactions/deposit', { account_id: ashas.id, amount: '1.00' }, 'shared-key');
    expect(crossed.text).not.toBe(a.text);
    expect(crossed.status).toBe(422);
    expect(await bank.balance(asha, ashas.id)).toBe('1.00');
  });

  it('refuses invalid keys (422 invalid_idempotency_key) and moves nothing', async () => {
    const asha = await bank.user(uniqueName('badkey'));
    const account = await fundedAccount(bank, asha, '10.00');
    const watch = await watchBalances(bank, [[asha, account.id]]);
    const body = { account_id: account.id, amount: '1.00' };
    for (const key of ['has space', 'tab\there']) {
      expectProblem(await post(asha, '/transactions/deposit', body, key), 422, 'invalid_idempotency_key');
      expectProblem(await post(asha, '/transactions/withdraw', body, key), 422, 'invalid_idempotency_key');
      expectProblem(await post(asha, '/transfers', { from_account_id: account.id, to_account_number: account.number, amount: '1.00' }, key), 422, 'invalid_idempotency_key');
    }
    await watch.expectUnchanged();
    const longest = await post(asha, '/transactions/deposit', body, 'k'.repeat(255));
    expect(longest.status, longest.text).toBe(201);
    const symbols = await post(asha, '/transactions/deposit', body, '!~#$%&*+-./:;<=>?@[]^_`{|}');
    expect(symbols.status, symbols.text).toBe(201);
    expect(await bank.balance(asha, account.id)).toBe('12.00');
  });

  it('refuses over-long keys (over 255 characters) as 422 invalid_idempotency_key and moves nothing', async () => {
    const asha = await bank.user(uniqueName('longkey'));
    const account = await fundedAccount(bank, asha, '10.00');
    const watch = await watchBalances(bank, [[asha, account.id]]);
    const body = { account_id: account.id, amount: '1.00' };
    for (const key of ['k'.repeat(256), 'k'.repeat(300)]) {
      for (const path of ['/transactions/deposit', '/transactions/withdraw']) {
        const reply = await post(asha, path, body, key);
        expect(reply.status, reply.text).toBe(422);
        expect.soft(reply.body.code, `${path} with a ${key.length}-character key`).toBe('invalid_idempotency_key');
      }
    }
    await watch.expectUnchanged();
  });

  it('replays a refusal (402) as the same refusal, even after the account is funded', async () => {
    const asha = await bank.user(uniqueName('refusal'));
    const from = await fundedAccount(bank, asha, '5.00');
    const to = await bank.openAccount(asha, 'wallet');
    const body = { from_account_id: from.id, to_account_id: to.id, amount: '50.00' };
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [asha, to.id],
    ]);
    const first = await post(asha, '/transfers', body, 'poor-1');
    expectProblem(first, 402, 'insufficient_funds');
    const second = await post(asha, '/transfers', body, 'poor-1');
    expectProblem(second, 402, 'insufficient_funds');
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    await watch.expectUnchanged();
    expect((await bank.deposit(asha, from.id, '100.00')).status).toBe(201);
    const third = await post(asha, '/transfers', body, 'poor-1');
    expect(third.status).toBe(402);
    expect(third.text).toBe(first.text);
    expect(await bank.balance(asha, from.id)).toBe('105.00');
    expect(await bank.balance(asha, to.id)).toBe('0.00');
    // A new key is a new request.
    expect((await post(asha, '/transfers', body, 'poor-2')).status).toBe(201);
  });

  it('does not store a transient refusal (429): the retry with the same key may succeed', async () => {
    const asha = await bank.user(uniqueName('transient'));
    const from = await fundedAccount(bank, asha, '500.00');
    const to = await bank.openAccount(asha, 'wallet');
    expect((await bank.request('PATCH', `${API}/admin/accounts/${from.id}/limits`, { token: admin.token, body: { daily_limit: '100.00' } })).status).toBe(200);
    const body = { from_account_id: from.id, to_account_id: to.id, amount: '150.00' };
    const watch = await watchBalances(bank, [
      [asha, from.id],
      [asha, to.id],
    ]);
    const limited = await post(asha, '/transfers', body, 'limit-1');
    expectProblem(limited, 429, 'daily_limit_exceeded');
    expect(limited.headers['idempotent-replayed']).toBeUndefined();
    await watch.expectUnchanged();
    expect((await bank.request('PATCH', `${API}/admin/accounts/${from.id}/limits`, { token: admin.token, body: { daily_limit: null } })).status).toBe(200);
    const retried = await post(asha, '/transfers', body, 'limit-1');
    expect(retried.status, retried.text).toBe(201);
    const replayed = await post(asha, '/transfers', body, 'limit-1');
    expect(replayed.text).toBe(retried.text);
    expect(await bank.balance(asha, from.id)).toBe('350.00');
  });

  it('replays a reversal and reverses once', async () => {
    const asha = await bank.user(uniqueName('revidem'));
    const ravi = await bank.user(uniqueName('revidemto'));
    const from = await fundedAccount(bank, asha, '100.00');
    const to = await bank.openAccount(ravi, 'savings');
    const sent = await post(asha, '/transfers', { from_account_id: from.id, to_account_number: to.number, amount: '40.00' });
    expect(sent.status).toBe(201);
    const path = `/admin/transfers/${sent.body.id}/reverse`;
    const first = await post(admin, path, { reason: 'Duplicate payment' }, 'rev-1');
    const second = await post(admin, path, { reason: 'Duplicate payment' }, 'rev-1');
    expect(first.status, first.text).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expectProblem(await post(admin, path, { reason: 'Another reason' }, 'rev-1'), 422, 'idempotency_key_reused');
    expectProblem(await post(admin, path, { reason: 'Duplicate payment' }, 'rev-2'), 409, 'already_reversed');
    expect(await bank.balance(asha, from.id)).toBe('100.00');
    expect(await bank.balance(ravi, to.id)).toBe('0.00');
    expect(await bank.integrity()).toEqual([]);
  });

  it('runs concurrent requests with one key at most once', async () => {
    const asha = await bank.user(uniqueName('concurrent'));
    const account = await bank.openAccount(asha, 'savings');
    const body = { account_id: account.id, amount: '7.00' };
    const replies = await Promise.all(Array.from({ length: 5 }, () => post(asha, '/transactions/deposit', body, 'same-time')));
    const succeeded = replies.filter((reply) => reply.status === 201);
    expect(succeeded.length).toBeGreaterThanOrEqual(1);
    for (const reply of replies) {
      if (reply.status === 201) expect(reply.text).toBe(succeeded[0]?.text);
      else expectProblem(reply, 409, 'idempotency_key_in_use');
    }
    expect(await bank.balance(asha, account.id)).toBe('7.00');
    expect(await bank.integrity()).toEqual([]);
  });
});
