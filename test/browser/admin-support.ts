/// <reference lib="dom" />
/**
 * Helpers of the console's browser tests: staff members made through the API by the demo super
 * admin (as a bank would), transfers between test customers, and what a page must not show to a
 * read-only role.
 */
import { expect, type Page } from '@playwright/test';
import { apiCustomer, baseUrl, DEMO_PASSWORD, PASSWORD, type ApiCustomer } from './support.js';

/** The demo data's super admin and auditor (src/cli/seed.ts). */
export const DEMO_SUPER_ADMIN = { username: 'admin', password: DEMO_PASSWORD };
export const DEMO_AUDITOR = { username: 'auditor', password: DEMO_PASSWORD };

async function request(method: string, path: string, options: { token?: string; body?: unknown } = {}): Promise<any> {
  const response = await fetch(`${baseUrl()}/api/v1${path}`, {
    method,
    headers: {
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...(method === 'POST' && path.startsWith('/transfers') ? { 'idempotency-key': crypto.randomUUID() } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return text === '' ? undefined : JSON.parse(text);
}

async function bearerFor(username: string, password: string): Promise<string> {
  return (await request('POST', '/auth/login', { body: { username, password } })).access_token;
}

export interface StaffMember {
  readonly username: string;
  readonly password: string;
  readonly id: string;
}

/** A new user given a staff role by the demo super admin. */
export async function apiStaff(prefix: string, role: 'admin' | 'auditor'): Promise<StaffMember> {
  const customer = await apiCustomer(prefix);
  const me = await request('GET', '/auth/me', { token: customer.token });
  const superAdmin = await bearerFor(DEMO_SUPER_ADMIN.username, DEMO_SUPER_ADMIN.password);
  await request('PUT', `/admin/users/${me.id}/role`, { token: superAdmin, body: { role } });
  return { username: customer.username, password: PASSWORD, id: me.id };
}

export async function apiTransfer(customer: ApiCustomer, input: { fromAccountId: string; toAccountNumber: string; amount: string; description: string }): Promise<{ id: string }> {
  return request('POST', '/transfers', {
    token: customer.token,
    body: { from_account_id: input.fromAccountId, to_account_number: input.toAccountNumber, amount: input.amount, description: input.description },
  });
}

/** Names of every control that changes something; none may be on a page an auditor sees. */
export const WRITE_CONTROLS = /^(block user|unblock user|unlock sign-in|verify kyc|reject kyc|set kyc to pending|change role|reveal contact details|reverse.*|retry)$/i;

export async function expectNoWriteControls(page: Page): Promise<void> {
  await expect(page.getByRole('button', { name: WRITE_CONTROLS })).toHaveCount(0);
  await expect(page.getByRole('combobox', { name: 'New role' })).toHaveCount(0);
  await expect(page.getByRole('textbox', { name: 'New role' })).toHaveCount(0);
}

/** The page fits a phone's width: nothing sticks out sideways (tables scroll inside their cards). */
export async function expectNoSidewaysScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  expect(overflow).toBeLessThanOrEqual(1);
}
