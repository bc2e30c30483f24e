/**
 * The audit log: one append-only, hash-chained row per state change, written in the transaction
 * of the change. Other modules record through recordAudit / auditStatement.
 */
export { auditMigrations } from './migrations.js';
export { auditRoutes } from './routes.js';
export { auditStatement, recordAudit, withoutSecrets, SYSTEM_ACTOR, type AuditActor, type AuditEvent } from './record.js';
export { verifyAuditChain, canonicalRow, chainHash, readChainPage, type ChainReport } from './verify.js';
