// Money on the web app's screens: formatted from the API's decimal strings without floating point.
import { describe, expect, it } from 'vitest';
import { currencyDecimals, formatMinor, formatMoney, fromMinor, parseAmountInput, toMinor } from '../../web/src/money.js';

describe('formatMoney', () => {
  it('groups rupees the Indian way with the paise as sent', () => {
    expect(formatMoney('123456.00', 'INR')).toBe('₹1,23,456.00');
    expect(formatMoney('0.05', 'INR')).toBe('₹0.05');
    expect(formatMoney('1000000000.10', 'INR')).toBe('₹1,00,00,00,000.10');
  });

  it('keeps every digit of amounts past the float range', () => {
    expect(formatMoney('98765432109876543210.99', 'INR')).toBe('₹9,87,65,43,21,09,87,65,43,210.99');
  });

  it('puts the sign where the locale wants it, also below one rupee', () => {
    expect(formatMoney('-1500.50', 'INR')).toBe('-₹1,500.50');
    expect(formatMoney('-0.50', 'INR')).toBe('-₹0.50');
    expect(formatMoney('-0.00', 'INR')).toBe('₹0.00');
  });

  it('uses the currency own decimals', () => {
    expect(formatMoney('1500', 'JPY')).toBe('JP¥1,500');
    expect(formatMoney('12.345', 'KWD')).toBe('KWD\u00a012.345');
    expect(currencyDecimals('INR')).toBe(2);
    expect(currencyDecimals('JPY')).toBe(0);
    expect(currencyDecimals('KWD')).toBe(3);
  });

  it('shows something readable for a value that is not a decimal', () => {
    expect(formatMoney('abc', 'INR')).toBe('abc INR');
  });
});

describe('minor units', () => {
  it('round-trips decimal strings exactly', () => {
    expect(toMinor('12.30', 'INR')).toBe(1230n);
    expect(toMinor('-0.01', 'INR')).toBe(-1n);
    expect(toMinor('5', 'INR')).toBe(500n);
    expect(fromMinor(1230n, 'INR')).toBe('12.30');
    expect(fromMinor(-1n, 'INR')).toBe('-0.01');
    expect(fromMinor(7n, 'JPY')).toBe('7');
    expect(fromMinor(1n, 'KWD')).toBe('0.001');
    expect(formatMinor(10_000_000_001n, 'INR')).toBe('₹10,00,00,000.01');
  });

  it('refuses more decimals than the currency has', () => {
    expect(() => toMinor('1.001', 'INR')).toThrow();
    expect(() => toMinor('1,00', 'INR')).toThrow();
  });
});

describe('parseAmountInput', () => {
  it('normalizes what people type', () => {
    expect(parseAmountInput('1,500.5', 'INR')).toEqual({ amount: '1500.50' });
    expect(parseAmountInput(' ₹ 2000 ', 'INR')).toEqual({ amount: '2000.00' });
    expect(parseAmountInput('0.01', 'INR')).toEqual({ amount: '0.01' });
  });

  it('explains what is wrong', () => {
    expect(parseAmountInput('', 'INR')).toEqual({ error: 'Enter an amount.' });
    expect(parseAmountInput('0', 'INR')).toEqual({ error: 'The amount must be more than zero.' });
    expect(parseAmountInput('1.234', 'INR')).toEqual({ error: 'Use at most 2 digits after the dot.' });
    expect(parseAmountInput('1.5', 'JPY')).toEqual({ error: 'JPY amounts have no decimals.' });
    expect(parseAmountInput('-5', 'INR')).toHaveProperty('error');
    expect(parseAmountInput('1e5', 'INR')).toHaveProperty('error');
  });
});
