/**
 * Customer accounts: opening, statuses, limits and statements. Balances live in the ledger.
 */
export { accountsMigrations } from './migrations.js';
export { accountRoutes } from './routes.js';
export { loadAccounts, ownedAccount, visibleAccount, dailyLimitMinor, dailyLimitsStatement, balanceCapsStatement, accountOwnersStatement, type Account } from './access.js';
export { accountFacts, accountFactsByNumber, type AccountFacts } from './facts.js';
export { openAccount } from './open-account.js';
export { findAccountByNumber, listAccountIdsOfOwner, type AccountRecord, type AccountType } from './store.js';
export { accountErrors } from './errors.js';
