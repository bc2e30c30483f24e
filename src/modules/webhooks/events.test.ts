import { describe, expect, it } from 'vitest';
import { deliveryJobKey, retryDelaySeconds } from './deliver.js';
import { deliveryBody, isWebhookEventType, payloadFor } from './events.js';

const transfer = {
  transfer_id: 't1', kind: 'transfer', from_account_id: 'a', to_account_id: 'b', from_user_id: 'alice', to_user_id: 'bob',
  amount: '10.00', currency: 'INR', from_balance_after: '90.00', to_balance_after: '510.00', description: 'Tea',
};

describe('payloads per recipient', () => {
  it('gives a bank endpoint the whole payload', () => {
    expect(payloadFor(transfer, null)).toEqual(transfer);
  });

  it("gives each customer their own side of a transfer, never the other party's user id or balance", () => {
    const { to_user_id: _a, to_balance_after: _b, ...sender } = transfer;
    const { from_user_id: _c, from_balance_after: _d, ...recipient } = transfer;
    expect(payloadFor(transfer, 'alice')).toEqual(sender);
    expect(payloadFor(transfer, 'bob')).toEqual(recipient);
  });

  it('keeps both sides of a transfer between one customer\'s own accounts', () => {
    expect(payloadFor({ ...transfer, to_user_id: 'alice' }, 'alice')).toEqual({ ...transfer, to_user_id: 'alice' });
  });

  it('leaves single-customer payloads as they are, and does not change its input', () => {
    const frozen = { account_id: 'a', user_id: 'alice', by: 'bank' };
    expect(payloadFor(frozen, 'alice')).toEqual(frozen);
    payloadFor(transfer, 'alice');
    expect(transfer.to_user_id).toBe('bob');
  });

  it('builds the documented body', () => {
    expect(JSON.parse(deliveryBody({ id: 'e1', type: 'account.frozen', createdAt: new Date('2026-11-21T10:00:00Z'), data: { a: 1 } }))).toEqual({
      id: 'e1', type: 'account.frozen', created_at: '2026-11-21T10:00:00.000Z', data: { a: 1 },
    });
  });

  it('knows the published event types only', () => {
    expect(isWebhookEventType('transfer.posted')).toBe(true);
    expect(isWebhookEventType('webhook.test')).toBe(false);
    expect(isWebhookEventType('TRANSFER.POSTED')).toBe(false);
  });
});

describe('retries', () => {
  it('doubles the wait from the base, up to six hours', () => {
    expect([1, 2, 3, 4].map((attempt) => retryDelaySeconds(30, attempt))).toEqual([30, 60, 120, 240]);
    expect(retryDelaySeconds(30, 20)).toBe(6 * 3600);
    expect(retryDelaySeconds(0, 5)).toBe(0);
  });

  it('keys the first attempt by endpoint and event, and each retry by its number', () => {
    expect(deliveryJobKey({ endpointId: 'e', eventId: '7', attempt: 1 })).toBe('webhook:e:7');
    expect(deliveryJobKey({ endpointId: 'e', eventId: '7', attempt: 2 })).toBe('webhook:e:7:2');
  });
});
