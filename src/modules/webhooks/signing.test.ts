import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { newWebhookSecret, signatureHeader, verifyWebhookSignature } from './signing.js';

const secret = 'whsec_test-secret-0123456789';
const body = '{"id":"evt_1","type":"transfer.posted","data":{"amount":"10.00"}}';
const now = new Date('2026-11-21T12:00:00Z');
const timestamp = Math.floor(now.getTime() / 1000);

/** The documented algorithm, computed here independently of the module. */
function reference(key: string, at: number, text: string): string {
  return `v1=${createHmac('sha256', Buffer.from(key, 'utf8')).update(Buffer.from(`${at}.${text}`, 'utf8')).digest('hex')}`;
}

describe('webhook signatures', () => {
  it('signs with hex HMAC-SHA256 of "timestamp.body" under the secret, as documented', () => {
    expect(signatureHeader({ secrets: [secret], timestamp, body })).toBe(reference(secret, timestamp, body));
    expect(signatureHeader({ secrets: [secret, 'whsec_old'], timestamp, body })).toBe(`${reference(secret, timestamp, body)} ${reference('whsec_old', timestamp, body)}`);
  });

  it('verifies a reference signature, also as a number timestamp and among several', () => {
    const signature = reference(secret, timestamp, body);
    expect(verifyWebhookSignature({ secret, timestamp: String(timestamp), body, signature, now })).toEqual({ valid: true });
    expect(verifyWebhookSignature({ secret, timestamp, body, signature: `v1=${'0'.repeat(64)} ${signature}`, now })).toEqual({ valid: true });
  });

  it('refuses a changed body, another secret, another timestamp or a truncated signature', () => {
    const signature = reference(secret, timestamp, body);
    expect(verifyWebhookSignature({ secret, timestamp, body: body.replace('10.00', '99.00'), signature, now })).toEqual({ valid: false, reason: 'no_matching_signature' });
    expect(verifyWebhookSignature({ secret: 'whsec_other', timestamp, body, signature, now })).toEqual({ valid: false, reason: 'no_matching_signature' });
    expect(verifyWebhookSignature({ secret, timestamp: timestamp - 1, body, signature, now })).toEqual({ valid: false, reason: 'no_matching_signature' });
    expect(verifyWebhookSignature({ secret, timestamp, body, signature: signature.slice(0, -2), now })).toEqual({ valid: false, reason: 'malformed' });
    expect(verifyWebhookSignature({ secret, timestamp, body, signature: signature.replace('v1=', 'v0='), now })).toEqual({ valid: false, reason: 'malformed' });
  });

  it('refuses timestamps outside the replay window, at its edge inclusive', () => {
    const old = timestamp - 301;
    expect(verifyWebhookSignature({ secret, timestamp: old, body, signature: reference(secret, old, body), now })).toEqual({ valid: false, reason: 'timestamp_out_of_range' });
    const edge = timestamp - 300;
    expect(verifyWebhookSignature({ secret, timestamp: edge, body, signature: reference(secret, edge, body), now })).toEqual({ valid: true });
    const future = timestamp + 120;
    expect(verifyWebhookSignature({ secret, timestamp: future, body, signature: reference(secret, future, body), now, toleranceSeconds: 60 })).toEqual({ valid: false, reason: 'timestamp_out_of_range' });
    expect(verifyWebhookSignature({ secret, timestamp: '1e9', body, signature: reference(secret, timestamp, body), now })).toEqual({ valid: false, reason: 'malformed' });
  });

  it('makes distinct secrets of the documented form', () => {
    const first = newWebhookSecret();
    expect(first).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(newWebhookSecret()).not.toBe(first);
  });
});
