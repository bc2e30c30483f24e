import { conflict, forbidden, notFound, validationError } from '../../core/errors.js';

export const accountErrors = {
  notFound: () => notFound('account_not_found', 'No such account.'),
  customersOnly: () => forbidden('customers_only', 'Only customers hold accounts.'),
  accountLimitReached: (max: number) => conflict('account_limit_reached', `A customer may hold at most ${max} open accounts.`),
  unsupportedType: () => validationError('unsupported_account_type', 'Loan accounts are opened by the loans service.', 'type'),
  balanceNotZero: () =>
    conflict('balance_not_zero', 'Only an account with a zero balance can be closed: move or withdraw the money first.'),
  alreadyClosed: () => conflict('account_closed', 'The account is closed; a closed account cannot be changed or reopened.'),
  frozenByBank: () =>
    forbidden('frozen_by_bank', 'The bank froze this account; only the bank can unfreeze it. Contact support.'),
  invalidRange: (message: string) => validationError('invalid_date_range', message, 'from'),
};
