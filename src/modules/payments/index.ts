/**
 * Payments: deposits, withdrawals, transfers, reversals, beneficiaries and the history of money
 * movements. Postings go through the ledger module.
 */
export { paymentsMigrations } from './migrations.js';
export { paymentRoutes } from './routes.js';
export { deposit, withdraw, transfer } from './move-money.js';
