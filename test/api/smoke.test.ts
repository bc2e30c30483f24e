import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';

describe('money movement end to end (PGlite)', () => {
  let bank: TestBank;
  let asha: Customer;
  let ravi: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    asha = await bank.user('asha');
    ravi = await bank.user('ravi');
  });
  afterAll(async () => bank.close());

  it('deposits, transfers to another customer by number, and keeps the books right', async () => {
    const savings = await bank.openAccount(asha, 'savings');
    const wallet = await bank.openAccount(ravi, 'wallet');
    expect(savings.balance).toBe('0.00');
    expect(savings.number).toMatch(/^[1-9][0-9]{11}$/);
    expect((await bank.deposit(asha, savings.id, '1000.00')).status).toBe(201);
    const sent = await bank.request('POST', '/api/v1/transfers', {
      token: asha.token,
      body: { from_account_id: savings.id, to_account_number: wallet.number, amount: 250.5 },
    });
    expect(sent.status).toBe(201);
    expect(sent.body).toMatchObject({ type: 'transfer', status: 'posted', amount: '250.50', currency: 'INR' });
    expect(await bank.balance(asha, savings.id)).toBe('749.50');
    expect(await bank.balance(ravi, wallet.id)).toBe('250.50');
    expect(await bank.integrity()).toEqual([]);
  });

  it('replays an idempotent transfer byte for byte and moves the money once', async () => {
    const from = await bank.openAccount(asha, 'checking');
    const to = await bank.openAccount(asha, 'wallet');
    await bank.deposit(asha, from.id, '100.00');
    const send = () =>
      bank.request('POST', '/api/v1/transfers', {
        token: asha.token,
        headers: { 'idempotency-key': 'abc-123' },
        body: { from_account_id: from.id, to_account_id: to.id, amount: '10.00' },
      });
    const first = await send();
    const second = await send();
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.text).toBe(first.text);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(await bank.balance(asha, from.id)).toBe('90.00');
    const reused = await bank.request('POST', '/api/v1/transfers', {
      token: asha.token,
      headers: { 'idempotency-key': 'abc-123' },
      body: { from_account_id: from.id, to_account_id: to.id, amount: '11.00' },
    });
    expect(reused.status).toBe(422);
    expect(reused.body.code).toBe('idempotency_key_reused');
    expect(await bank.balance(asha, from.id)).toBe('90.00');
  });
});
