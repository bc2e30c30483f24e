/**
 * Errors from the API (RFC 9457 problem+json) in words a customer understands, with what to do
 * next. The stable `code` decides the words; the server's own `detail` is the fallback.
 */
export interface ProblemBody {
  readonly type?: string;
  readonly title?: string;
  readonly status?: number;
  readonly code?: string;
  readonly detail?: string;
  readonly errors?: ReadonlyArray<{ readonly field?: string; readonly path?: string; readonly message?: string }>;
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly problem: ProblemBody;
  readonly retryAfterSeconds: number | undefined;

  constructor(status: number, problem: ProblemBody, retryAfterSeconds?: number) {
    super(problem.detail ?? problem.title ?? `The server answered ${status}.`);
    this.name = 'ApiError';
    this.status = status;
    this.code = problem.code ?? (status === 0 ? 'network_error' : `http_${status}`);
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export interface ProblemWords {
  readonly title: string;
  readonly message: string;
}

const WORDS: Record<string, (error: ApiError) => ProblemWords> = {
  insufficient_funds: () => ({
    title: 'Not enough money in the account',
    message: 'The account does not hold enough for this amount. Nothing was moved. Enter a smaller amount, or deposit or transfer money into this account first.',
  }),
  daily_limit_exceeded: (error) => ({
    title: 'Daily limit reached',
    message:
      `This would take the account past its daily limit. Nothing was moved. Try a smaller amount, or wait until the limit resets` +
      `${error.retryAfterSeconds === undefined ? '' : ` (in about ${humanDuration(error.retryAfterSeconds)})`}. The account page shows how much is left today.`,
  }),
  account_frozen: () => ({
    title: 'The account is frozen',
    message: 'Money cannot move in or out of a frozen account. Unfreeze it on its account page (or contact the bank if the bank froze it), then try again.',
  }),
  account_closed: () => ({ title: 'The account is closed', message: 'A closed account cannot send or receive money. Choose another account.' }),
  balance_not_zero: () => ({
    title: 'The balance is not zero',
    message: 'An account can be closed only when its balance is exactly zero. Move or withdraw the remaining money first.',
  }),
  invalid_credentials: () => ({ title: 'Sign-in failed', message: 'The username or password is incorrect. Check them and try again.' }),
  otp_invalid: () => ({ title: 'Code not accepted', message: 'The authentication code is incorrect, already used or expired. Enter the current code from your app, or a recovery code.' }),
  pin_invalid: () => ({ title: 'Wrong PIN', message: 'The transaction PIN is incorrect. Too many wrong PINs lock it for a while.' }),
  invalid_pin: () => ({ title: 'Wrong PIN', message: 'The transaction PIN is incorrect. Too many wrong PINs lock it for a while.' }),
  pin_locked: (error) => ({
    title: 'PIN locked',
    message: `Too many wrong PINs. Try again ${error.retryAfterSeconds === undefined ? 'later' : `in about ${humanDuration(error.retryAfterSeconds)}`}.`,
  }),
  pin_not_set: () => ({ title: 'No transaction PIN yet', message: 'This amount needs a transaction PIN. Set one under Profile and security, then try again.' }),
  two_factor_locked: () => ({ title: 'Too many codes tried', message: 'Wait a few minutes before trying another authentication code.' }),
  rate_limited: (error) => ({
    title: 'Too many attempts',
    message: `Please wait ${error.retryAfterSeconds === undefined ? 'a moment' : humanDuration(error.retryAfterSeconds)} and try again.`,
  }),
  recipient_not_found: () => ({ title: 'No such account', message: 'No open account has this number. Check the number with the person you are paying.' }),
  invalid_account_number: () => ({ title: 'Account number not valid', message: 'The account number is mistyped (its check digit does not match). Check every digit.' }),
  same_account: () => ({ title: 'Same account', message: 'The money would go to the account it comes from. Choose a different destination.' }),
  own_account: () => ({ title: 'This is your own account', message: 'To move money between your accounts, choose "Between my accounts".' }),
  currency_mismatch: () => ({ title: 'Different currencies', message: 'Both accounts must hold the same currency.' }),
  username_taken: () => ({ title: 'Username taken', message: 'Someone already uses this username. Choose another one.' }),
  email_taken: () => ({ title: 'Email already registered', message: 'An account with this email exists. Sign in instead, or use another email.' }),
  password_too_common: () => ({ title: 'Password too easy to guess', message: 'This password is on lists of common passwords. Choose a longer, less common one (a few unrelated words work well).' }),
  password_contains_identity: () => ({ title: 'Password contains your name', message: 'The password must not contain your username or email. Choose another one.' }),
  password_required: () => ({ title: 'Current password needed', message: 'Changing the email or phone number needs your current password.' }),
  pin_too_simple: () => ({ title: 'PIN too simple', message: 'Choose a PIN that is not a repeated or sequential pattern (like 1111 or 1234).' }),
  account_limit_reached: () => ({ title: 'Too many accounts', message: 'You have reached the number of accounts you can hold. Close one you no longer use first.' }),
  beneficiary_exists: () => ({ title: 'Already saved', message: 'This account number is already one of your beneficiaries.' }),
  idempotency_key_in_use: () => ({ title: 'Still working on it', message: 'The same operation is still being processed. Wait a moment and check your history before trying again.' }),
  csrf_token_invalid: () => ({ title: 'Session check failed', message: 'Reload the page and try again. If it persists, sign out and sign in again.' }),
  unauthenticated: () => ({ title: 'Signed out', message: 'Your session has ended. Sign in again to continue.' }),
  invalid_refresh_token: () => ({ title: 'Signed out', message: 'Your session has ended. Sign in again to continue.' }),
  network_error: () => ({ title: 'No connection', message: 'The bank could not be reached. Check your connection and try again.' }),
  service_unavailable: () => ({ title: 'Temporarily unavailable', message: 'The bank is busy or restarting. Try again in a minute.' }),
  overloaded: () => ({ title: 'Temporarily unavailable', message: 'The bank is busy. Try again in a minute.' }),
  internal_error: () => ({ title: 'Something went wrong', message: 'The bank could not complete this. Nothing was changed. Try again later.' }),
};

export function humanDuration(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 90 * 60) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 3600)} hours`;
}

/** Plain words for any error thrown by an API call (or anything else). */
export function problemWords(error: unknown): ProblemWords {
  if (error instanceof ApiError) {
    const words = WORDS[error.code];
    if (words !== undefined) return words(error);
    const fieldMessages = (error.problem.errors ?? []).map((issue) => issue.message).filter((text): text is string => typeof text === 'string');
    const message = fieldMessages.length > 0 ? fieldMessages.join(' ') : (error.problem.detail ?? 'The request was refused.');
    return { title: error.problem.title ?? 'Request refused', message };
  }
  return { title: 'Something went wrong', message: error instanceof Error ? error.message : String(error) };
}
