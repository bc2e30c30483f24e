import { describe, expect, it } from 'vitest';
import type { AlertData } from './alerts.js';
import { ALERT_TYPES, type NotificationType } from './catalog.js';
import { displayMoney, escapeHtml, renderMessage } from './templates.js';

const context = { bankName: 'Kosh Bank', timeZone: 'Asia/Kolkata', at: new Date('2026-11-21T16:35:00Z'), recipientName: 'Asha Rao' };

/** Realistic data for every type (what the consumer passes). */
const SAMPLES: Record<NotificationType, AlertData> = {
  welcome: { username: 'asha', full_name: 'Asha Rao' },
  new_device_sign_in: { ip: '203.0.113.9', device: 'Firefox on Linux', session_id: 's' },
  sign_in_failed: { ip: '203.0.113.9', device: 'Chrome on Android', outcome: 'wrong_password' },
  sign_in_locked: { ip: '203.0.113.9', device: 'curl', locked_until: '2026-11-21T16:50:00Z', failed_attempts: 5 },
  password_changed: {},
  two_factor_changed: { enabled: true },
  beneficiary_added: { beneficiary_id: 'b', name: 'Ravi Kumar', account_number_masked: 'XXXX4321' },
  transfer_sent: { account_id: 'a', account_number_masked: 'XXXX1234', amount: '150000.00', currency: 'INR', kind: 'transfer', description: 'Rent Nov', balance: '2500.50', own_transfer: false },
  money_received: { account_id: 'a', account_number_masked: 'XXXX1234', amount: '2500.00', currency: 'INR', kind: 'transfer', description: 'Dinner', balance: '5000.00' },
  low_balance: { account_id: 'a', account_number_masked: 'XXXX1234', currency: 'INR', balance: '450.00', threshold: '500.00', basis: 'threshold' },
  large_transaction: { account_id: 'a', account_number_masked: 'XXXX1234', direction: 'debit', amount: '100000.00', currency: 'INR', threshold: '50000.00' },
  account_frozen: { account_id: 'a', account_number_masked: 'XXXX1234', by: 'bank' },
  account_unfrozen: { account_id: 'a', account_number_masked: 'XXXX1234', by: 'customer' },
};

describe('displayMoney', () => {
  it('writes amounts the Indian way, exactly', () => {
    expect(displayMoney('150000.00', 'INR')).toBe('₹1,50,000.00');
    expect(displayMoney('0.05', 'INR')).toBe('₹0.05');
    expect(displayMoney('12345678901234.99', 'INR')).toBe('₹1,23,45,67,89,01,234.99');
  });

  it('keeps each currency\'s own decimals', () => {
    expect(displayMoney('5000', 'JPY')).toBe('JP¥5,000');
    expect(displayMoney('1.250', 'KWD')).toContain('1.250');
  });

  it('never rounds a large amount through floating point', () => {
    expect(displayMoney('9999999999999.99', 'INR')).toBe('₹99,99,99,99,99,999.99');
  });

  it('falls back to the raw value for what is not an amount', () => {
    expect(displayMoney('lots', 'INR')).toBe('lots INR');
  });
});

describe('escapeHtml', () => {
  it('escapes the characters that matter in HTML', () => {
    expect(escapeHtml(`<script>alert("x")</script> & 'y'`)).toBe('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;');
  });
});

describe('renderMessage', () => {
  it('has a title, body, e-mail and SMS for every type, with the bank name', () => {
    for (const type of ['welcome', ...ALERT_TYPES] as NotificationType[]) {
      const message = renderMessage(type, SAMPLES[type], context);
      expect(message.title.length, type).toBeGreaterThan(0);
      expect(message.body.length, type).toBeGreaterThan(0);
      expect(message.email.subject, type).toMatch(/^Kosh Bank: /);
      expect(message.email.text, type).toContain('Dear Asha Rao,');
      expect(message.email.text, type).toContain(message.body);
      expect(message.email.html, type).toContain('<!doctype html>');
      expect(message.sms, type).toMatch(/^Kosh Bank: /);
      expect(message.sms.length, `${type}: ${message.sms}`).toBeLessThanOrEqual(160);
    }
  });

  it('writes money in en-IN and times in the bank\'s time zone', () => {
    const message = renderMessage('transfer_sent', SAMPLES.transfer_sent, context);
    expect(message.title).toBe('₹1,50,000.00 sent');
    expect(message.body).toContain('from account XXXX1234');
    expect(message.body).toContain('Balance: ₹2,500.50');
    // 16:35 UTC is 10:05 pm in Kolkata.
    expect(message.body).toContain('21 Nov 2026, 10:05 pm');
  });

  it('uses the configured bank name', () => {
    const message = renderMessage('welcome', SAMPLES.welcome, { ...context, bankName: 'Sahakari Bank' });
    expect(message.title).toBe('Welcome to Sahakari Bank');
    expect(message.email.subject).toBe('Sahakari Bank: Welcome to Sahakari Bank');
    expect(message.email.html).toContain('Sahakari Bank');
  });

  it('escapes user-controlled values in the HTML and keeps them on one line elsewhere', () => {
    const hostile = '<img src=x onerror=alert(1)>\r\nBcc: victim@example.in';
    const message = renderMessage('beneficiary_added', { ...SAMPLES.beneficiary_added, name: hostile }, { ...context, recipientName: '<b>Eve</b>' });
    expect(message.email.html).not.toContain('<img');
    expect(message.email.html).not.toContain('<b>Eve');
    expect(message.email.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    expect(message.email.subject).not.toMatch(/[\r\n]/);
    expect(message.title).not.toMatch(/[\r\n]/);
    expect(message.sms).not.toMatch(/[\r\n]/);
    const sent = renderMessage('transfer_sent', { ...SAMPLES.transfer_sent, description: '</p><script>x()</script>' }, context);
    expect(sent.email.html).not.toContain('<script>');
    expect(sent.email.html).toContain('&lt;/p&gt;&lt;script&gt;');
  });

  it('shortens a long description in the SMS', () => {
    const message = renderMessage('money_received', { ...SAMPLES.money_received, description: 'x'.repeat(200) }, context);
    expect(message.sms.length).toBeLessThanOrEqual(160);
    expect(message.body).toContain('x'.repeat(200));
  });

  it('words each variant for what happened', () => {
    expect(renderMessage('two_factor_changed', { enabled: false }, context).title).toBe('Two-factor authentication turned off');
    expect(renderMessage('two_factor_changed', { enabled: true }, context).title).toBe('Two-factor authentication turned on');
    expect(renderMessage('account_frozen', { ...SAMPLES.account_frozen, by: 'customer' }, context).body).toContain('You froze account XXXX1234');
    expect(renderMessage('account_frozen', SAMPLES.account_frozen, context).body).toContain('Kosh Bank froze account XXXX1234');
    expect(renderMessage('money_received', { ...SAMPLES.money_received, kind: 'deposit' }, context).body).toMatch(/^₹2,500.00 was deposited into account XXXX1234/);
    expect(renderMessage('transfer_sent', { ...SAMPLES.transfer_sent, kind: 'withdrawal' }, context).title).toBe('₹1,50,000.00 withdrawn');
    expect(renderMessage('low_balance', { ...SAMPLES.low_balance, basis: 'average' }, context).body).toContain('20% of its 30-day average balance (₹500.00)');
    expect(renderMessage('large_transaction', { ...SAMPLES.large_transaction, direction: 'credit' }, context).body).toContain('credited to account XXXX1234');
  });
});
