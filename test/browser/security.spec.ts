/**
 * The security steps of the customer pages in a real browser: the transaction PIN asked above the
 * threshold (a wrong PIN refused in words, the right one completing the same operation once), and
 * the second sign-in step with two-factor authentication.
 */
import { expect, test, type Page } from '@playwright/test';
import { apiBalance, apiCustomer, apiDeposit, apiEnableTwoFactor, apiOpenAccount, apiSetPin, apiVerifyKyc, baseUrl, PASSWORD, signIn } from './support.js';

async function withdrawWithPin(page: Page, amount: string, pin: string): Promise<void> {
  await page.goto(`${baseUrl()}/cash`);
  await page.getByText('Withdraw', { exact: true }).click();
  await page.getByLabel('Amount').fill(amount);
  await page.getByRole('button', { name: 'Review withdraw' }).click();
  await page.getByRole('button', { name: 'Confirm withdrawal' }).click();
  const prompt = page.getByRole('dialog', { name: 'Enter your transaction PIN' });
  await expect(prompt).toBeVisible();
  await prompt.getByRole('textbox').first().click();
  await page.keyboard.type(pin);
  await prompt.getByRole('button', { name: 'Confirm with PIN' }).click();
}

test('above the threshold the PIN is asked; a wrong PIN is refused in words and moves nothing', async ({ page }) => {
  const customer = await apiCustomer('pin');
  await apiVerifyKyc(customer);
  await apiSetPin(customer, '2580');
  const account = await apiOpenAccount(customer);
  await apiDeposit(customer, account.id, '30000.00');
  await signIn(page, customer.username, PASSWORD);

  await withdrawWithPin(page, '12000', '9999');
  await expect(page.getByTestId('transfer-error')).toContainText('Wrong PIN');
  expect(await apiBalance(customer, account.id)).toBe('30000.00');

  await withdrawWithPin(page, '12000', '2580');
  await expect(page.getByTestId('receipt')).toContainText('₹12,000.00');
  expect(await apiBalance(customer, account.id)).toBe('18000.00');
});

test('with two-factor authentication, signing in asks for a code; a wrong one is refused, a recovery code works', async ({ page }) => {
  const customer = await apiCustomer('otp');
  const recoveryCodes = await apiEnableTwoFactor(customer);
  await page.goto(`${baseUrl()}/signin`);
  await page.getByLabel('Username or email').fill(customer.username);
  await page.getByRole('textbox', { name: 'Password', exact: true }).fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByText('Two-factor authentication is on.')).toBeVisible();

  await page.getByRole('button', { name: 'Use a recovery code instead' }).click();
  await page.getByLabel('Recovery code').fill('not-a-code');
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page.getByTestId('error-box')).toContainText('Code not accepted');

  await page.getByLabel('Recovery code').fill(recoveryCodes[0]!);
  await page.getByRole('button', { name: 'Verify and sign in' }).click();
  await expect(page.getByRole('heading', { name: 'Dashboard', exact: true })).toBeVisible();
  await page.goto(`${baseUrl()}/profile`);
  await expect(page.getByText(/^On · \d+ recovery codes left$/)).toBeVisible();
});

test('the session timer warns before the session ends, refreshes on request, and signs out cleanly when ignored', async ({ page }) => {
  const customer = await apiCustomer('timer');
  await page.clock.install();
  await signIn(page, customer.username, PASSWORD);

  // The access session lasts 15 minutes; an idle user is warned in the last minute.
  await page.clock.fastForward('14:10');
  const warning = page.getByRole('dialog', { name: 'Your session is about to end' });
  await expect(warning).toBeVisible();
  await expect(page.getByTestId('session-seconds')).toHaveText(/^[1-5]?\d$/);
  await warning.getByRole('button', { name: 'Stay signed in' }).click();
  await expect(warning).toBeHidden();
  await page.goto(`${baseUrl()}/accounts`);
  await expect(page.getByRole('heading', { name: 'Accounts', exact: true })).toBeVisible();

  // Ignored this time: at the end the app signs out and says why.
  await page.clock.fastForward('14:10');
  await expect(warning).toBeVisible();
  await page.clock.fastForward('01:00');
  await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeVisible();
  await expect(page.getByText('You were signed out after a period without activity.')).toBeVisible();
  expect((await page.request.get(`${baseUrl()}/api/v1/auth/me`)).status()).toBe(401);
});
