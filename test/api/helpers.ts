/**
 * Shared helpers for the API integration tests: unique names, problem+json assertions, balance
 * watchers (a refused request must move no money and leave the books right) and account numbers.
 */
import { randomInt } from 'node:crypto';
import { expect } from 'vitest';
import type { Customer, Reply, TestBank } from '../support/bank.js';

export const API = '/api/v1';

let sequence = 0;

/** A username that is unique within the process: 3 to 32 characters of [a-z0-9._-]. */
export function uniqueName(prefix = 'u'): string {
  sequence += 1;
  const suffix = `${sequence}${randomInt(1000, 9999)}`;
  return `${prefix.toLowerCase().replace(/[^a-z0-9._-]/g, '').slice(0, 31 - suffix.length)}-${suffix}`;
}

/** Fails when a body looks like it carries a stack trace or source paths. */
export function expectNoStackTrace(reply: Pick<Reply, 'text'>): void {
  expect(reply.text).not.toMatch(/at [^\n]*\.[cm]?[jt]s:\d+/);
  expect(reply.text).not.toMatch(/\.ts:\d+/);
  expect(reply.text).not.toContain('node_modules');
  expect(reply.text).not.toMatch(/\n\s+at /);
}

/** Asserts an RFC 9457 problem with the status and the stable code. */
export function expectProblem(reply: Reply, status: number, code: string): void {
  expect({ status: reply.status, code: reply.body?.code }, reply.text).toEqual({ status, code });
  expect(String(reply.headers['content-type'])).toContain('application/problem+json');
  expect(reply.body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, code, detail: expect.any(String) });
  expectNoStackTrace(reply);
}

/** Asserts a 422 whose code is one of the given ones. */
export function expectUnprocessable(reply: Reply, codes: readonly string[]): void {
  expect(reply.status, reply.text).toBe(422);
  expect(codes, reply.text).toContain(reply.body?.code);
  expect(String(reply.headers['content-type'])).toContain('application/problem+json');
  expectNoStackTrace(reply);
}

export type Watched = readonly [Customer, string];

export interface BalanceWatch {
  readonly before: readonly string[];
  /** Re-reads every watched balance: none may have changed, and the books must be right. */
  expectUnchanged(): Promise<void>;
}

/** Reads the balances of accounts (each read by its owner or a staff member) for a later comparison. */
export async function watchBalances(bank: TestBank, watched: readonly Watched[]): Promise<BalanceWatch> {
  const read = () => Promise.all(watched.map(([reader, accountId]) => bank.balance(reader, accountId)));
  const before = await read();
  return {
    before,
    async expectUnchanged() {
      expect(await read()).toEqual(before);
      expect(await bank.integrity()).toEqual([]);
    },
  };
}

// The Damm operation table, as published (an implementation independent of src/core).
const DAMM = ['0317598642', '7092154863', '4206871359', '1750983426', '6123045978', '3674209581', '5869720134', '8945362017', '9438617205', '2581436790'];

/** Whether a number passes the Damm check. */
export function isCheckDigitValid(number: string): boolean {
  let interim = 0;
  for (const digit of number) interim = Number(DAMM[interim]?.[Number(digit)]);
  return interim === 0;
}

/** The check digit that completes a payload. */
export function checkDigitFor(payload: string): string {
  for (let digit = 0; digit <= 9; digit += 1) {
    if (isCheckDigitValid(`${payload}${digit}`)) return String(digit);
  }
  throw new Error('unreachable');
}

/** The same number with a wrong check digit. */
export function withWrongCheckDigit(number: string): string {
  const last = Number(number.slice(-1));
  return `${number.slice(0, -1)}${(last + 1) % 10}`;
}

/** A well-formed account number (valid check digit) that, with overwhelming probability, names no account. */
export function unusedAccountNumber(): string {
  const payload = `9${String(randomInt(0, 10 ** 10)).padStart(10, '0')}`;
  return `${payload}${checkDigitFor(payload)}`;
}

/** Opens an account and deposits into it. */
export async function fundedAccount(
  bank: TestBank,
  customer: Customer,
  amount: string,
  type: 'savings' | 'checking' | 'wallet' = 'savings',
  currency?: string,
): Promise<any> {
  const account = await bank.openAccount(customer, type, currency);
  const deposited = await bank.deposit(customer, account.id, amount);
  expect(deposited.status, deposited.text).toBe(201);
  return account;
}

/** Sends a transfer. */
export function transfer(bank: TestBank, customer: Customer, body: Record<string, unknown>, headers?: Record<string, string>): Promise<Reply> {
  return bank.request('POST', `${API}/transfers`, { token: customer.token, body, ...(headers === undefined ? {} : { headers }) });
}

/** Sends a withdrawal. */
export function withdraw(bank: TestBank, customer: Customer, accountId: string, amount: unknown): Promise<Reply> {
  return bank.request('POST', `${API}/transactions/withdraw`, { token: customer.token, body: { account_id: accountId, amount } });
}

/** Every key of a JSON value, at any depth. */
export function allKeys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(allKeys);
  if (value !== null && typeof value === 'object') {
    return Object.entries(value as Record<string, unknown>).flatMap(([key, item]) => [key, ...allKeys(item)]);
  }
  return [];
}

/** Today's date in the bank's time zone (Asia/Kolkata), YYYY-MM-DD. */
export function bankToday(now = new Date()): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Kolkata', year: 'numeric', month: '2-digit', day: '2-digit' }).format(now);
}

/** Adds days to a YYYY-MM-DD date. */
export function addDays(date: string, days: number): string {
  const instant = new Date(`${date}T00:00:00Z`);
  instant.setUTCDate(instant.getUTCDate() + days);
  return instant.toISOString().slice(0, 10);
}

/** Converts a decimal string with two decimals to paise (tests use INR amounts). */
export function paise(amount: string): bigint {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = amount.replace('-', '').split('.');
  const value = BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0').slice(0, 2) || '0');
  return negative ? -value : value;
}

/** Formats paise as a rupee string with two decimals. */
export function rupees(minor: bigint): string {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}
