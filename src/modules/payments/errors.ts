import { DomainError, conflict, forbidden, notFound, validationError } from '../../core/errors.js';

export const paymentErrors = {
  transferNotFound: () => notFound('transfer_not_found', 'No such transaction.'),
  beneficiaryNotFound: () => notFound('beneficiary_not_found', 'No such beneficiary.'),
  customersOnly: () => forbidden('customers_only', 'Only customers move money from their accounts.'),
  sameAccount: () => validationError('same_account', 'The source and destination accounts must differ.', 'to_account_id'),
  currencyMismatch: () =>
    validationError('currency_mismatch', 'The two accounts hold different currencies; cross-currency transfers are not supported yet.', 'to_account_id'),
  recipientRequired: () =>
    validationError('invalid_recipient', 'Give exactly one of to_account_id, to_account_number or beneficiary_id.', 'to_account_id'),
  invalidAccountNumber: (field: string) =>
    validationError('invalid_account_number', `${field} is not a valid account number (12 digits with a check digit).`, field),
  recipientNotFound: (field: string) => validationError('recipient_not_found', 'No open account has this number.', field),
  ownAccountAsBeneficiary: () =>
    validationError('own_account', 'Your own accounts do not need to be saved as beneficiaries.', 'account_number'),
  beneficiaryExists: () => conflict('beneficiary_exists', 'This account is already one of your beneficiaries.'),
  beneficiaryLimit: (max: number) => conflict('beneficiary_limit_reached', `You can save at most ${max} beneficiaries.`),
  dailyLimitExceeded: (options: { remaining: string; retryAfterSeconds: number }) =>
    new DomainError({
      code: 'daily_limit_exceeded',
      kind: 'limit_exceeded',
      message: `This would exceed the account's daily limit; ${options.remaining} remains for today. The limit resets at midnight.`,
      retryAfterSeconds: options.retryAfterSeconds,
    }),
  walletBalanceLimit: (capacity: string) =>
    conflict(
      'wallet_balance_limit',
      `This would take the wallet above ${capacity}, the most a wallet may hold until its owner's KYC is verified.`,
    ),
  alreadyReversed: () => conflict('already_reversed', 'This transaction has already been reversed.'),
  notReversible: () => validationError('not_reversible', 'A reversal cannot itself be reversed; post a new transaction instead.', 'id'),
  invalidFilter: (field: string, message: string) => validationError('invalid_filter', message, field),
};
