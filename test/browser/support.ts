/**
 * Helpers of the browser suite: the server's address, seeding through the API with bearer tokens
 * (as any API client would), and screenshots of a page in both themes for test-artifacts/.
 */
import { mkdirSync } from 'node:fs';
import { expect, type Page } from '@playwright/test';
import { Secret, TOTP } from 'otpauth';

export const DEMO_PASSWORD = 'kosh-demo-2026';
export const PASSWORD = 'brass lantern orbit 42';
export const ARTIFACTS = new URL('../../test-artifacts/', import.meta.url).pathname;

export function baseUrl(): string {
  const url = process.env.KOSH_BASE_URL;
  if (url === undefined) throw new Error('KOSH_BASE_URL is not set: the global setup starts the server.');
  return url;
}

let counter = 0;

/** A username no other test run on this server uses. */
export function uniqueName(prefix: string): string {
  counter += 1;
  return `${prefix}${Date.now().toString(36)}${counter}`;
}

async function call(method: string, path: string, options: { token?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<any> {
  const response = await fetch(`${baseUrl()}/api/v1${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

export interface ApiCustomer {
  readonly id: string;
  readonly username: string;
  readonly token: string;
}

/** Registers a customer through the API and signs them in with a bearer token. */
export async function apiCustomer(prefix: string): Promise<ApiCustomer> {
  const username = uniqueName(prefix);
  const user = await call('POST', '/auth/register', { body: { username, password: PASSWORD, email: `${username}@example.in`, full_name: `Test ${prefix}` } });
  const login = await call('POST', '/auth/login', { body: { username, password: PASSWORD } });
  return { id: user.id, username, token: login.access_token };
}

/** Records the bank's KYC verification of a customer (as the demo admin), for the ordinary limits. */
export async function apiVerifyKyc(customer: ApiCustomer): Promise<void> {
  const admin = await call('POST', '/auth/login', { body: { username: 'admin', password: DEMO_PASSWORD } });
  await call('PUT', `/admin/users/${customer.id}/kyc`, { token: admin.access_token, body: { status: 'verified', reason: 'Browser suite' } });
}

export async function apiSetPin(customer: ApiCustomer, pin: string): Promise<void> {
  await call('PUT', '/users/me/pin', { token: customer.token, body: { password: PASSWORD, pin } });
}

/** Turns on two-factor authentication; returns the recovery codes. */
export async function apiEnableTwoFactor(customer: ApiCustomer): Promise<string[]> {
  const enrolment = await call('POST', '/users/me/2fa/enroll', { token: customer.token, body: { password: PASSWORD } });
  const code = new TOTP({ secret: Secret.fromBase32(enrolment.secret) }).generate();
  return (await call('POST', '/users/me/2fa/confirm', { token: customer.token, body: { code } })).recovery_codes;
}

export async function apiOpenAccount(customer: ApiCustomer, type: 'savings' | 'checking' | 'wallet' = 'savings'): Promise<{ id: string; number: string }> {
  return call('POST', '/accounts', { token: customer.token, body: { type } });
}

export async function apiDeposit(customer: ApiCustomer, accountId: string, amount: string): Promise<void> {
  await call('POST', '/transactions/deposit', { token: customer.token, body: { account_id: accountId, amount }, headers: { 'idempotency-key': crypto.randomUUID() } });
}

export async function apiBalance(customer: ApiCustomer, accountId: string): Promise<string> {
  return (await call('GET', `/accounts/${accountId}`, { token: customer.token })).balance;
}

export async function signIn(page: Page, username: string, password: string): Promise<void> {
  await page.goto(`${baseUrl()}/signin`);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('button', { name: 'Account menu' })).toBeVisible();
}

export async function colorScheme(page: Page): Promise<string | null> {
  return page.locator('html').getAttribute('data-mantine-color-scheme');
}

/** Writes test-artifacts/<name>-light.png and <name>-dark.png, leaving the page in the theme it had. */
export async function screenshotBothThemes(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.waitForLoadState('networkidle');
  const toggle = page.getByTestId('theme-toggle');
  const start = await colorScheme(page);
  for (let shot = 0; shot < 2; shot += 1) {
    const scheme = await colorScheme(page);
    // Away from the toggle, so that its tooltip is not in the picture.
    await page.mouse.move(1, 1);
    await page.screenshot({ path: `${ARTIFACTS}${name}-${scheme}.png`, fullPage: true });
    await toggle.click();
    await expect.poll(() => colorScheme(page)).not.toBe(scheme);
  }
  expect(await colorScheme(page)).toBe(start);
}
