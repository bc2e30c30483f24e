/// <reference lib="dom" />
/**
 * Customer journeys in a real browser against a real Kosh server: registration, accounts, deposit,
 * transfers (own accounts and another customer's account number), history and its CSV export,
 * freezing, refusals in plain words with no balance change, and signing out.
 */
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { apiBalance, apiCustomer, apiDeposit, apiOpenAccount, baseUrl, PASSWORD, screenshotBothThemes, signIn, uniqueName } from './support.js';

async function chooseOption(page: Page, label: string, option: RegExp): Promise<void> {
  await page.getByRole('textbox', { name: label, exact: true }).click();
  await page.getByRole('option', { name: option }).click();
}

async function openAccount(page: Page, type: RegExp, nickname: string): Promise<void> {
  await page.goto(`${baseUrl()}/accounts`);
  await page.getByRole('button', { name: 'Open account' }).first().click();
  const dialog = page.getByRole('dialog', { name: 'Open a new account' });
  await dialog.getByRole('textbox', { name: 'Account type' }).click();
  await page.getByRole('option', { name: type }).click();
  await dialog.getByLabel('Nickname (optional)').fill(nickname);
  await dialog.getByRole('button', { name: 'Open account' }).click();
  await expect(page.getByRole('heading', { name: nickname, exact: true })).toBeVisible();
}

async function transfer(page: Page, options: { mode: string; from: RegExp; to?: RegExp; number?: string; amount: string; description: string }): Promise<void> {
  await page.goto(`${baseUrl()}/transfer`);
  await page.getByText(options.mode, { exact: true }).click();
  await chooseOption(page, 'From', options.from);
  if (options.to !== undefined) await chooseOption(page, 'To', options.to);
  if (options.number !== undefined) await page.getByLabel('To account number').fill(options.number);
  await page.getByLabel('Amount').fill(options.amount);
  await page.getByLabel('Description (optional)').fill(options.description);
  await page.getByRole('button', { name: 'Review transfer' }).click();
  await expect(page.getByRole('dialog', { name: 'Confirm the transfer' })).toBeVisible();
  await page.getByRole('button', { name: /^Send ₹/ }).click();
}

test('a new customer registers, opens two accounts, deposits, transfers, sees history, exports CSV, freezes an account and signs out', async ({ page }) => {
  const payee = await apiCustomer('payee');
  const payeeAccount = await apiOpenAccount(payee);
  const username = uniqueName('meera');

  // Register, with the password rules explained as the user types.
  await page.goto(`${baseUrl()}/register`);
  await page.getByLabel('Full name').fill('Meera Iyer');
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Email').fill(`${username}@example.in`);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill('short');
  await expect(page.getByRole('list', { name: 'Password rules' })).toContainText('8 to 128 characters');
  await page.getByRole('button', { name: 'Create profile' }).click();
  await expect(page.getByText('The password does not meet the rules below.')).toBeVisible();
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByLabel('Repeat the password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create profile' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', exact: true })).toBeVisible();
  await expect(page.getByRole('main').getByText('Welcome to Kosh', { exact: true })).toBeVisible();
  await page.getByRole('link', { name: 'Go to accounts' }).click();
  await expect(page.getByText('No accounts yet')).toBeVisible();

  await openAccount(page, /^Savings/, 'Main');
  await openAccount(page, /^Checking/, 'Bills');
  await page.goto(`${baseUrl()}/accounts`);
  await expect(page.getByTestId('account-card')).toHaveCount(2);
  await expect(page.getByTestId('account-card').first()).toContainText('••••');

  // Deposit with a confirmation and a receipt.
  await page.goto(`${baseUrl()}/cash`);
  await chooseOption(page, 'Into account', /^Main/);
  await page.getByLabel('Amount').fill('5000');
  await page.getByLabel('Description (optional)').fill('Salary');
  await page.getByRole('button', { name: 'Review deposit' }).click();
  await expect(page.getByRole('dialog', { name: 'Confirm the deposit' })).toContainText('₹5,000.00');
  await page.getByRole('button', { name: 'Confirm deposit' }).click();
  await expect(page.getByTestId('receipt')).toContainText('₹5,000.00');
  await expect(page.getByRole('button', { name: 'Print receipt' })).toBeVisible();
  await page.getByRole('button', { name: 'Close', exact: true }).click();

  // Between own accounts, then to another customer's account number.
  await transfer(page, { mode: 'Between my accounts', from: /^Main/, to: /^Bills/, amount: '1200.50', description: 'Move to bills' });
  await expect(page.getByTestId('transfer-done')).toContainText('₹1,200.50');
  await page.getByRole('button', { name: 'Done' }).click();
  await transfer(page, { mode: 'To an account number', from: /^Main/, number: payeeAccount.number, amount: '300', description: 'Pay the payee' });
  await expect(page.getByTestId('transfer-done')).toContainText('₹300.00');
  await page.getByRole('button', { name: 'Done' }).click();
  expect(await apiBalance(payee, payeeAccount.id)).toBe('300.00');

  // The dashboard sums this month: income 5,000, expenses 300 (the move between own accounts is neither).
  await page.goto(`${baseUrl()}/`);
  await expect(page.getByTestId('kpi-total')).toHaveText('₹4,700.00');
  await expect(page.getByTestId('kpi-accounts')).toHaveText('2');
  await expect(page.getByTestId('kpi-income')).toHaveText('₹5,000.00');
  await expect(page.getByTestId('kpi-expenses')).toHaveText('₹300.00');

  // History shows both transfers; search narrows; the CSV export holds them.
  await page.goto(`${baseUrl()}/history`);
  await expect(page.getByTestId('history-row')).toHaveCount(3);
  await expect(page.getByRole('table', { name: 'Transactions' })).toContainText('Move to bills');
  await expect(page.getByRole('table', { name: 'Transactions' })).toContainText('Pay the payee');
  await expect(page.getByRole('table', { name: 'Transactions' })).toContainText('-₹300.00');
  await page.getByLabel('Search descriptions').fill('payee');
  await expect(page.getByTestId('history-row')).toHaveCount(1);
  await page.getByLabel('Search descriptions').fill('');
  await expect(page.getByTestId('history-row')).toHaveCount(3);
  const downloadPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export CSV' }).click();
  const download = await downloadPromise;
  const csv = readFileSync(await download.path(), 'utf8');
  expect(csv.split('\r\n')[0]).toBe('date,type,direction,amount,currency,description,from_account,to_account,status,reference');
  expect(csv).toContain(',transfer,internal,1200.50,INR,Move to bills,');
  expect(csv).toContain(',transfer,out,-300.00,INR,Pay the payee,');
  expect(csv).toContain(',deposit,in,5000.00,INR,Salary,');

  // Freeze Bills: a transfer into it is refused in words, and no balance changes.
  await page.goto(`${baseUrl()}/accounts`);
  await page.getByTestId('account-card').filter({ hasText: 'Bills' }).click();
  await page.getByRole('button', { name: 'Freeze' }).click();
  await expect(page.getByRole('dialog', { name: 'Freeze this account?' })).toContainText('no money can move in or out');
  await page.getByRole('button', { name: 'Freeze account' }).click();
  await expect(page.getByRole('button', { name: 'Unfreeze' })).toBeVisible();
  await expect(page.getByText('frozen', { exact: true })).toBeVisible();
  const statementPromise = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Download statement' }).click();
  const statement = await statementPromise;
  expect(statement.suggestedFilename()).toMatch(/^kosh-statement-\d{12}-\d{4}-\d{2}-\d{2}-to-\d{4}-\d{2}-\d{2}\.csv$/);
  expect(readFileSync(await statement.path(), 'utf8')).toContain('1200.50');
  await transfer(page, { mode: 'Between my accounts', from: /^Main/, to: /^Bills/, amount: '100', description: 'Into a frozen account' });
  await expect(page.getByTestId('transfer-error')).toContainText('The account is frozen');
  await expect(page.getByTestId('transfer-error')).toContainText('Unfreeze it');
  await page.goto(`${baseUrl()}/accounts`);
  await expect(page.getByTestId('account-card').filter({ hasText: 'Main' })).toContainText('₹3,499.50');
  await expect(page.getByTestId('account-card').filter({ hasText: 'Bills' })).toContainText('₹1,200.50');

  // Sign out: the session is gone, pages need signing in again.
  await page.getByRole('button', { name: 'Account menu' }).click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();
  await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
  await page.goto(`${baseUrl()}/accounts`);
  await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
  const me = await page.request.get(`${baseUrl()}/api/v1/auth/me`);
  expect(me.status()).toBe(401);
});

test('insufficient funds and the daily limit are explained in words, and no balance changes', async ({ page }) => {
  // A new customer whose KYC is pending: a daily limit of ₹10,000.00 per account.
  const customer = await apiCustomer('limits');
  const account = await apiOpenAccount(customer);
  await apiDeposit(customer, account.id, '9500.00');
  await signIn(page, customer.username, PASSWORD);

  const withdraw = async (amount: string) => {
    await page.goto(`${baseUrl()}/cash`);
    await page.getByText('Withdraw', { exact: true }).click();
    await page.getByLabel('Amount').fill(amount);
    await page.getByRole('button', { name: 'Review withdraw' }).click();
    await page.getByRole('button', { name: 'Confirm withdrawal' }).click();
  };

  await withdraw('9800');
  await expect(page.getByTestId('transfer-error')).toContainText('Not enough money in the account');
  await expect(page.getByTestId('transfer-error')).toContainText('Nothing was moved');
  expect(await apiBalance(customer, account.id)).toBe('9500.00');

  await withdraw('9000');
  await expect(page.getByTestId('receipt')).toContainText('₹9,000.00');
  await page.getByRole('button', { name: 'Close', exact: true }).click();
  expect(await apiBalance(customer, account.id)).toBe('500.00');

  await apiDeposit(customer, account.id, '5000.00');
  await withdraw('2000');
  await expect(page.getByTestId('transfer-error')).toContainText('Daily limit reached');
  await expect(page.getByTestId('transfer-error')).toContainText('Try a smaller amount, or wait until the limit resets');
  expect(await apiBalance(customer, account.id)).toBe('5500.00');

  // The account page shows what is used and left today.
  await page.goto(`${baseUrl()}/accounts/${account.id}`);
  await expect(page.getByTestId('limits-used')).toContainText('₹9,000.00 of ₹10,000.00 used; ₹1,000.00 left.');
});

test('the theme toggles and is remembered across reloads and sign-in', async ({ page }) => {
  await page.goto(`${baseUrl()}/signin`);
  await page.evaluate(() => window.localStorage.setItem('kosh-color-scheme', 'light'));
  await page.reload();
  expect(await page.locator('html').getAttribute('data-mantine-color-scheme')).toBe('light');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await page.reload();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await signIn(page, 'arjun', 'kosh-demo-2026');
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'dark');
  await page.getByTestId('theme-toggle').click();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'light');
  await page.reload();
  await expect(page.getByRole('button', { name: 'Account menu' })).toBeVisible();
  await expect(page.locator('html')).toHaveAttribute('data-mantine-color-scheme', 'light');
});

test('every customer page in both themes, on a desktop and a phone, for test-artifacts', async ({ page }) => {
  await page.goto(`${baseUrl()}/signin`);
  await screenshotBothThemes(page, 'signin');
  await page.goto(`${baseUrl()}/register`);
  await screenshotBothThemes(page, 'register');
  await signIn(page, 'arjun', 'kosh-demo-2026');
  const pages: Array<[string, string, string]> = [
    ['dashboard', '/', 'Dashboard'],
    ['accounts', '/accounts', 'Accounts'],
    ['transfer', '/transfer', 'Transfer'],
    ['deposit-withdraw', '/cash', 'Deposit & withdraw'],
    ['history', '/history', 'History'],
    ['profile', '/profile', 'Profile & security'],
  ];
  for (const [name, path, heading] of pages) {
    await page.goto(`${baseUrl()}${path}`);
    await expect(page.getByRole('heading', { name: heading, exact: true })).toBeVisible();
    await screenshotBothThemes(page, name);
  }
  await page.goto(`${baseUrl()}/accounts`);
  await page.getByTestId('account-card').first().click();
  await expect(page.getByTestId('detail-balance')).toBeVisible();
  await screenshotBothThemes(page, 'account-detail');

  await page.setViewportSize({ width: 390, height: 844 });
  await page.goto(`${baseUrl()}/`);
  await expect(page.getByTestId('kpi-total')).toBeVisible();
  await expect(page.getByRole('button', { name: 'Open navigation' })).toBeVisible();
  await screenshotBothThemes(page, 'phone-dashboard');
  await page.getByRole('button', { name: 'Open navigation' }).click();
  await expect(page.getByRole('link', { name: 'History', exact: true })).toBeVisible();
  await screenshotBothThemes(page, 'phone-navigation');
});

test('a customer saves a beneficiary, pays them, and removes them after confirming', async ({ page }) => {
  const customer = await apiCustomer('payer');
  const account = await apiOpenAccount(customer);
  await apiDeposit(customer, account.id, '1000.00');
  const payee = await apiCustomer('friend');
  const payeeAccount = await apiOpenAccount(payee);
  await signIn(page, customer.username, PASSWORD);

  await page.goto(`${baseUrl()}/transfer`);
  await page.getByLabel('Name', { exact: true }).fill('Ravi Kumar');
  await page.getByLabel('Account number', { exact: true }).fill(payeeAccount.number);
  await page.getByRole('button', { name: 'Save beneficiary' }).click();
  await expect(page.getByRole('table', { name: 'Beneficiaries' })).toContainText('Ravi Kumar');

  await page.getByText('To a beneficiary', { exact: true }).click();
  await page.getByRole('textbox', { name: 'To beneficiary' }).click();
  await page.getByRole('option', { name: /^Ravi Kumar/ }).click();
  await page.getByLabel('Amount').fill('250.75');
  await page.getByRole('button', { name: 'Review transfer' }).click();
  await expect(page.getByRole('dialog', { name: 'Confirm the transfer' })).toContainText('Ravi Kumar');
  await expect(page.getByRole('dialog', { name: 'Confirm the transfer' })).toContainText('Balance after: ₹749.25.');
  await page.getByRole('button', { name: 'Send ₹250.75' }).click();
  await expect(page.getByTestId('transfer-done')).toContainText('₹250.75');
  await page.getByRole('button', { name: 'Done' }).click();
  expect(await apiBalance(payee, payeeAccount.id)).toBe('250.75');

  // Closing needs a zero balance: the confirmation says so, and the refusal says what to do.
  await page.goto(`${baseUrl()}/accounts/${account.id}`);
  await page.getByRole('button', { name: 'Close account' }).click();
  const closeDialog = page.getByRole('dialog', { name: 'Close this account?' });
  await expect(closeDialog).toContainText('only when its balance is exactly zero');
  await expect(closeDialog).toContainText('₹749.25');
  await closeDialog.getByRole('button', { name: 'Close account' }).click();
  await expect(page.getByRole('alert').filter({ hasText: 'The balance is not zero' })).toContainText('Move or withdraw the remaining money first');
  await expect(page.getByTestId('detail-balance')).toHaveText('₹749.25');

  await page.goto(`${baseUrl()}/transfer`);
  await page.getByRole('button', { name: 'Remove Ravi Kumar' }).click();
  await page.getByRole('dialog', { name: 'Remove this beneficiary?' }).getByRole('button', { name: 'Remove' }).click();
  await expect(page.getByText('No beneficiaries')).toBeVisible();
});
