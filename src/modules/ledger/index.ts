/**
 * The ledger: the only writer of journal entries, postings and balances. Other modules move money
 * through lockAccounts / tryApply / writeEntries, inside their own transaction.
 */
export { ledgerMigrations } from './migrations.js';
export { ledgerRoutes } from './routes.js';
export { lockAccounts, lockAccountsFor, tryApply, writeEntriesFor, type AccountStates, type NewEntry } from './post-entries.js';
export { cachedSystemAccountId, openCustomerLedgerAccount, setAccountStatus, systemAccountId, type SystemAccountCode } from './accounts.js';
export { balanceSheet, checkIntegrity } from './reports.js';
export { averageBalance } from './average-balance.js';
export { refusalError } from './errors.js';
export { transactionTimeStatement } from './store.js';
export { readAccounts, statement, recentPostings, entryPostings, type LedgerAccount, type StatementData, type StatementPosting, type IntegrityProblem } from './store.js';
