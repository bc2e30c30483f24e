/// <reference lib="dom" />
/**
 * The admin and auditor console in a real browser against a real Kosh server: an admin blocks a
 * customer (who then cannot sign in) and unblocks them, decides a KYC, reverses a transfer with a
 * reason (the balances come back), and an auditor sees every console page with data but without
 * any control that would change something. Screenshots of each console page in both themes, on a
 * desktop and on a phone, go to test-artifacts/.
 */
import { expect, test, type Browser, type Page } from '@playwright/test';
import { apiStaff, apiTransfer, DEMO_AUDITOR, DEMO_SUPER_ADMIN, expectNoSidewaysScroll, expectNoWriteControls, type StaffMember } from './admin-support.js';
import { apiBalance, apiCustomer, apiDeposit, apiOpenAccount, baseUrl, PASSWORD, screenshotBothThemes, signIn } from './support.js';

async function openUser(page: Page, username: string): Promise<void> {
  await page.goto(`${baseUrl()}/admin/users`);
  await page.getByLabel('Search users').fill(username);
  await expect(page.getByTestId('user-row')).toHaveCount(1);
  await page.getByRole('link', { name: username, exact: true }).click();
  await expect(page.getByText(`@${username}`)).toBeVisible();
}

/** Opens the confirmation of a change, gives the reason and confirms it. */
async function confirmWithReason(page: Page, options: { open: string; dialog: RegExp; reason: string; confirm: string }): Promise<void> {
  await page.getByRole('button', { name: options.open, exact: true }).click();
  const dialog = page.getByRole('dialog', { name: options.dialog });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('button', { name: options.confirm, exact: true })).toBeDisabled();
  await dialog.getByLabel(/^Reason/).fill(options.reason);
  await dialog.getByRole('button', { name: options.confirm, exact: true }).click();
  await expect(dialog).toBeHidden();
}

async function trySignIn(browser: Browser, username: string): Promise<Page> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${baseUrl()}/signin`);
  await page.getByLabel('Username or email').fill(username);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  return page;
}

let admin: StaffMember;

test.beforeAll(async () => {
  admin = await apiStaff('admin', 'admin');
});

test('an admin finds a customer and blocks them after confirming; the customer cannot sign in until unblocked', async ({ page, browser }) => {
  const customer = await apiCustomer('blocked');
  await signIn(page, admin.username, admin.password);
  await expect(page).toHaveURL(/\/admin$/);
  await openUser(page, customer.username);

  // Cancelling the confirmation changes nothing.
  await page.getByRole('button', { name: 'Block user', exact: true }).click();
  await page.getByRole('dialog').getByRole('button', { name: 'Cancel' }).click();
  await expect(page.getByRole('dialog')).toBeHidden();
  await expect(page.getByText('Active').first()).toBeVisible();

  // Roles are for super admins only: an admin is not offered the control.
  await expect(page.getByRole('button', { name: 'Change role' })).toHaveCount(0);
  await confirmWithReason(page, { open: 'Block user', dialog: /^Block /, reason: 'Card reported stolen', confirm: 'Block user' });
  await expect(page.getByText('User blocked', { exact: true })).toBeVisible();
  await expect(page.getByText('Card reported stolen')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Unblock user' })).toBeVisible();

  const refused = await trySignIn(browser, customer.username);
  await expect(refused.getByRole('alert')).toContainText('Sign-in failed');
  await expect(refused.getByRole('alert')).toContainText('The username or password is incorrect');
  await expect(refused).toHaveURL(/\/signin$/);

  // The list's status filter finds them among the blocked users.
  await page.goto(`${baseUrl()}/admin/users`);
  await page.getByLabel('Search users').fill(customer.username);
  await page.getByRole('textbox', { name: 'Status', exact: true }).click();
  await page.getByRole('option', { name: 'Active' }).click();
  await expect(page.getByText('No users')).toBeVisible();
  await page.getByRole('textbox', { name: 'Status', exact: true }).click();
  await page.getByRole('option', { name: 'Blocked' }).click();
  await expect(page.getByTestId('user-row')).toHaveCount(1);

  await page.getByRole('link', { name: customer.username, exact: true }).click();
  await page.getByRole('button', { name: 'Unblock user', exact: true }).click();
  const dialog = page.getByRole('dialog', { name: /^Unblock / });
  await dialog.getByRole('button', { name: 'Unblock user' }).click();
  await expect(dialog).toBeHidden();
  await expect(page.getByText('User unblocked', { exact: true })).toBeVisible();
  await expect(page.getByRole('button', { name: 'Block user', exact: true })).toBeVisible();

  await page.getByRole('button', { name: 'Unlock sign-in' }).click();
  await expect(page.getByText('Sign-in lock lifted', { exact: true })).toBeVisible();

  const allowed = await trySignIn(browser, customer.username);
  await expect(allowed.getByRole('button', { name: 'Account menu' })).toBeVisible();

  // Staff cannot change their own account: the controls are not offered on it.
  await openUser(page, admin.username);
  await expect(page.getByRole('button', { name: 'Block user' })).toHaveCount(0);
  await expect(page.getByRole('button', { name: 'Change role' })).toHaveCount(0);
  await allowed.context().close();
  await refused.context().close();
});

test('an admin records a KYC decision and reverses a transfer with a reason, and the balances come back', async ({ page }) => {
  const payer = await apiCustomer('payer');
  const payee = await apiCustomer('payee');
  const from = await apiOpenAccount(payer);
  const to = await apiOpenAccount(payee);
  await apiDeposit(payer, from.id, '1000.00');
  await apiTransfer(payer, { fromAccountId: from.id, toAccountNumber: to.number, amount: '250.00', description: 'Rent share by mistake' });
  expect(await apiBalance(payee, to.id)).toBe('250.00');

  await signIn(page, admin.username, admin.password);
  await openUser(page, payee.username);
  await expect(page.getByText('KYC pending').first()).toBeVisible();

  // Contact details are masked until revealed with a reason (which is audited).
  await expect(page.getByText(`${payee.username}@example.in`)).toHaveCount(0);
  await confirmWithReason(page, { open: 'Reveal contact details', dialog: /contact details\?$/, reason: 'Customer called about the transfer', confirm: 'Show details' });
  await expect(page.getByText(`${payee.username}@example.in`)).toBeVisible();
  await confirmWithReason(page, { open: 'Verify KYC', dialog: /^Verify KYC/, reason: 'PAN and Aadhaar checked', confirm: 'Verify' });
  await expect(page.getByText('KYC decision recorded')).toBeVisible();
  await expect(page.getByText('KYC verified').first()).toBeVisible();
  await expect(page.getByText('PAN and Aadhaar checked')).toBeVisible();
  await confirmWithReason(page, { open: 'Reject KYC', dialog: /^Reject KYC/, reason: 'Document expired', confirm: 'Reject' });
  await expect(page.getByText('KYC rejected').first()).toBeVisible();
  await expect(page.getByTestId(`balance-${to.id}`)).toHaveText('₹250.00');

  // The monitor, filtered by the payee's account from their page, shows the transfer.
  await page.getByRole('link', { name: 'Transactions' }).last().click();
  await expect(page).toHaveURL(/\/admin\/transactions\?account_id=/);
  const rows = page.getByTestId('monitor-row');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('Rent share by mistake');
  await expect(rows.first()).toContainText('₹250.00');
  await expect(page.getByTestId('monitor-updated')).toContainText('Last updated');

  // With the keyboard only: the dialog opens with the reason field focused; a reason shorter than
  // three characters is not accepted.
  await page.getByRole('button', { name: 'Reverse transfer of 250.00 INR' }).focus();
  await page.keyboard.press('Enter');
  const dialog = page.getByRole('dialog', { name: 'Reverse this transaction?' });
  await expect(dialog.getByLabel(/^Reason/)).toBeFocused();
  await page.keyboard.type('no');
  await expect(dialog.getByRole('button', { name: 'Reverse transaction' })).toBeDisabled();
  await page.keyboard.type('t mine: sent to the wrong customer');
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await page.keyboard.press('Tab');
  await expect(dialog.getByRole('button', { name: 'Reverse transaction' })).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(dialog).toBeHidden();
  await expect(page.getByText('Transaction reversed', { exact: true })).toBeVisible();

  await expect(rows).toHaveCount(2);
  await expect(rows.first()).toContainText('Reversal');
  await expect(rows.nth(1)).toContainText('Reversed');
  await expect(page.getByRole('button', { name: /^Reverse / })).toHaveCount(0);
  expect(await apiBalance(payee, to.id)).toBe('0.00');
  expect(await apiBalance(payer, from.id)).toBe('1000.00');

  await openUser(page, payee.username);
  await expect(page.getByTestId(`balance-${to.id}`)).toHaveText('₹0.00');
  await page.goto(`${baseUrl()}/admin/ledger`);
  await expect(page.getByTestId('integrity-result')).toContainText('No problems found');
  await page.goto(`${baseUrl()}/admin/audit`);
  await page.getByLabel('Action').fill('transfer.reversed');
  await expect(page.getByTestId('audit-row').first()).toContainText('transfer.reversed');
  await page.getByRole('button', { name: 'Details' }).first().click();
  await expect(page.getByText('not mine: sent to the wrong customer')).toBeVisible();
});

test('a super admin makes a customer an auditor after confirming, and the new auditor lands in the read-only console', async ({ page, browser }) => {
  const customer = await apiCustomer('promoted');
  await signIn(page, DEMO_SUPER_ADMIN.username, DEMO_SUPER_ADMIN.password);
  await openUser(page, customer.username);
  await expect(page.getByRole('button', { name: 'Change role' })).toBeDisabled();
  await page.getByRole('textbox', { name: 'New role' }).click();
  await page.getByRole('option', { name: 'Auditor' }).click();
  await page.getByRole('button', { name: 'Change role' }).click();
  const dialog = page.getByRole('dialog', { name: `Make ${customer.username} Auditor?` });
  await expect(dialog).toContainText('changes from Customer to Auditor');
  await dialog.getByRole('button', { name: 'Change role' }).click();
  await expect(page.getByText('Role changed', { exact: true })).toBeVisible();
  await expect(page.getByText('Auditor', { exact: true }).first()).toBeVisible();

  const promoted = await trySignIn(browser, customer.username);
  await expect(promoted).toHaveURL(/\/admin$/);
  await expect(promoted.getByText('Auditor (read-only)')).toBeVisible();
  await promoted.context().close();
});

test('the monitor shows a new transaction on its own and highlights it', async ({ page }) => {
  const customer = await apiCustomer('live');
  const account = await apiOpenAccount(customer);
  await signIn(page, admin.username, admin.password);
  await page.goto(`${baseUrl()}/admin/transactions?account_id=${account.id}`);
  await expect(page.getByText('No transactions')).toBeVisible();
  await apiDeposit(customer, account.id, '75.50');
  const row = page.getByTestId('monitor-row');
  await expect(row).toHaveCount(1);
  await expect(row).toHaveAttribute('data-new', 'true');
  await expect(row).toContainText('₹75.50');
});

test('an auditor sees users, transactions, the ledger, the audit log and jobs with no control that changes anything', async ({ page }) => {
  await signIn(page, DEMO_AUDITOR.username, DEMO_AUDITOR.password);
  await expect(page).toHaveURL(/\/admin$/);
  await expect(page.getByText('Auditor (read-only)')).toBeVisible();
  await screenshotBothThemes(page, 'admin-console');

  await page.goto(`${baseUrl()}/admin/users`);
  await expect(page.getByTestId('user-row').first()).toBeVisible();
  await expect(page.getByRole('link', { name: 'arjun', exact: true })).toBeVisible();
  await expectNoWriteControls(page);
  await screenshotBothThemes(page, 'admin-users');

  await openUser(page, 'arjun');
  await expect(page.getByText('Arjun Savings')).toBeVisible();
  await expect(page.getByText('KYC verified').first()).toBeVisible();
  await expectNoWriteControls(page);
  await screenshotBothThemes(page, 'admin-user-detail');

  await page.goto(`${baseUrl()}/admin/transactions`);
  await expect(page.getByTestId('monitor-row').first()).toBeVisible();
  await expect(page.getByRole('columnheader', { name: 'Actions' })).toHaveCount(0);
  await expectNoWriteControls(page);
  await page.getByLabel('Min amount').fill('12.345');
  await expect(page.getByRole('alert')).toContainText('at most 2 digits');
  await page.getByLabel('Min amount').fill('');
  await page.getByLabel('Account number').fill('999999999999');
  await expect(page.getByRole('alert')).toContainText('No account has this number');
  await page.getByLabel('Account number').fill('');
  await expect(page.getByTestId('monitor-row').first()).toBeVisible();
  await screenshotBothThemes(page, 'admin-transactions');

  await page.goto(`${baseUrl()}/admin/ledger`);
  await expect(page.getByTestId('integrity-result')).toContainText('No problems found');
  await expect(page.getByTestId('balanced-INR')).toHaveText('Balanced');
  await expect(page.getByRole('table', { name: 'Liabilities (INR)' })).toBeVisible();
  await expectNoWriteControls(page);
  await screenshotBothThemes(page, 'admin-ledger');

  await page.goto(`${baseUrl()}/admin/audit`);
  await expect(page.getByTestId('chain-result')).toContainText('Chain valid');
  await expect(page.getByTestId('audit-row').first()).toBeVisible();
  await page.getByLabel('Action').fill('user.');
  await expect(page.getByTestId('audit-row').first()).toContainText('user.');
  await page.getByLabel('Actor id').fill('not-a-user-id');
  await expect(page.getByTestId('error-box')).toContainText('actor_id must be a user id');
  await page.getByLabel('Actor id').fill('');
  await expectNoWriteControls(page);
  await screenshotBothThemes(page, 'admin-audit');

  await page.goto(`${baseUrl()}/admin/jobs`);
  await expect(page.getByRole('heading', { name: 'Jobs', exact: true })).toBeVisible();
  await expect(page.getByRole('heading', { name: 'Failed jobs', exact: true })).toBeVisible();
  await expectNoWriteControls(page);
  await screenshotBothThemes(page, 'admin-jobs');

  // The server refuses an auditor's write too: the hidden controls are not the only guard.
  const status = await page.evaluate(async () => {
    const csrf = document.cookie.split('; ').find((pair) => pair.startsWith('__Host-kosh_csrf='))?.split('=')[1] ?? '';
    const response = await fetch('/api/v1/admin/users/00000000-0000-4000-8000-000000000000/block', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-csrf-token': decodeURIComponent(csrf), 'x-kosh-client': 'web' },
      body: JSON.stringify({ reason: 'test' }),
    });
    return response.status;
  });
  expect(status).toBe(403);
});

test('the console works on a phone-sized screen', async ({ page }) => {
  await page.setViewportSize({ width: 390, height: 844 });
  await signIn(page, admin.username, admin.password);
  for (const [path, name, ready] of [
    ['/admin/users', 'users', 'user-row'],
    ['/admin/transactions', 'transactions', 'monitor-row'],
    ['/admin/audit', 'audit', 'audit-row'],
  ] as const) {
    await page.goto(`${baseUrl()}${path}`);
    await expect(page.getByTestId(ready).first()).toBeVisible();
    await expectNoSidewaysScroll(page);
    await screenshotBothThemes(page, `phone-admin-${name}`);
  }
  await openUser(page, 'arjun');
  await expect(page.getByRole('button', { name: 'Block user' })).toBeVisible();
  await expectNoSidewaysScroll(page);
  await screenshotBothThemes(page, 'phone-admin-user-detail');
  await page.goto(`${baseUrl()}/admin/ledger`);
  await expect(page.getByTestId('integrity-result')).toBeVisible();
  await expectNoSidewaysScroll(page);
  await screenshotBothThemes(page, 'phone-admin-ledger');
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await page.getByRole('link', { name: 'Audit log' }).click();
  await expect(page).toHaveURL(/\/admin\/audit$/);
});
