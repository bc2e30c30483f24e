import { DomainError, conflict } from '../../core/errors.js';
import type { Refusal } from '../../core/ledger.js';

/** The domain error for a ledger refusal. Errors: account_frozen, account_closed (409), insufficient_funds (402), currency_mismatch (422). */
export function refusalError(refusal: Refusal, describe: (accountId: string) => string = () => 'An account'): DomainError {
  const who = describe(refusal.accountId);
  switch (refusal.code) {
    case 'account_frozen':
      return conflict('account_frozen', `${who} is frozen: it can neither send nor receive money.`);
    case 'account_closed':
      return conflict('account_closed', `${who} is closed.`);
    case 'insufficient_funds':
      return new DomainError({ code: 'insufficient_funds', kind: 'insufficient_funds', message: `${who} does not hold enough money for this.` });
    case 'currency_mismatch':
      return new DomainError({ code: 'currency_mismatch', kind: 'validation', message: 'The accounts hold different currencies.' });
  }
}
