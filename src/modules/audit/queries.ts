/** Reading the audit log: filters, newest first, stable cursors. */
import { sql } from 'kysely';
import { validationError } from '../../core/errors.js';
import type { Db } from '../../platform/db/database.js';
import { decodeCursor, encodeCursor } from '../../platform/http/schemas.js';
import { isUuid } from '../../platform/ids.js';

export interface AuditQuery {
  readonly actorId?: string | undefined;
  readonly action?: string | undefined;
  readonly targetType?: string | undefined;
  readonly targetId?: string | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface AuditRecord {
  readonly seq: bigint;
  readonly id: string;
  readonly occurredAt: Date;
  readonly actorId: string | null;
  readonly actorRole: string | null;
  readonly action: string;
  readonly targetType: string;
  readonly targetId: string;
  readonly before: unknown;
  readonly after: unknown;
  readonly ip: string | null;
  readonly userAgent: string | null;
  readonly requestId: string | null;
  readonly hash: string;
}

interface AuditRow {
  seq: bigint;
  id: string;
  occurred_at: Date;
  actor_id: string | null;
  actor_role: string | null;
  action: string;
  target_type: string;
  target_id: string;
  before: unknown;
  after: unknown;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  hash: string;
}

function parseInstant(value: string | undefined, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const time = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2}))?$/.test(value) ? new Date(value) : undefined;
  if (time === undefined || Number.isNaN(time.getTime())) {
    throw validationError('invalid_filter', `${field} must be a date (YYYY-MM-DD) or an ISO 8601 time with a zone.`, field);
  }
  return time;
}

/**
 * Audit rows matching the filters, newest first. `from` and `to` are instants (a bare date is
 * midnight UTC); `to` is excluded. Errors: invalid_filter, invalid_cursor (422).
 */
export async function listAuditLog(db: Db, query: AuditQuery): Promise<{ items: AuditRecord[]; nextCursor: string | null }> {
  const beforeSeq = decodeCursor(query.cursor);
  if (beforeSeq === 'invalid') throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  if (query.actorId !== undefined && !isUuid(query.actorId)) throw validationError('invalid_filter', 'actor_id must be a user id.', 'actor_id');
  const from = parseInstant(query.from, 'from');
  const to = parseInstant(query.to, 'to');
  const conditions = [sql`true`];
  if (beforeSeq !== undefined) conditions.push(sql`seq < ${beforeSeq}`);
  if (query.actorId !== undefined) conditions.push(sql`actor_id = ${query.actorId}::uuid`);
  if (query.action !== undefined) {
    // "user." matches every action on users; otherwise the action must match exactly.
    conditions.push(query.action.endsWith('.') ? sql`starts_with(action, ${query.action})` : sql`action = ${query.action}`);
  }
  if (query.targetType !== undefined) conditions.push(sql`target_type = ${query.targetType}`);
  if (query.targetId !== undefined) conditions.push(sql`target_id = ${query.targetId}`);
  if (from !== undefined) conditions.push(sql`occurred_at >= ${from.toISOString()}::timestamptz`);
  if (to !== undefined) conditions.push(sql`occurred_at < ${to.toISOString()}::timestamptz`);
  const result = await sql<AuditRow>`
    select seq, id, occurred_at, actor_id, actor_role, action, target_type, target_id, before, after, ip, user_agent, request_id,
           encode(hash, 'hex') as hash
      from audit_log where ${sql.join(conditions, sql` and `)}
     order by seq desc limit ${query.limit + 1}`.execute(db);
  const rows = result.rows.slice(0, query.limit);
  const items = rows.map((row) => ({
    seq: BigInt(row.seq),
    id: row.id,
    occurredAt: row.occurred_at,
    actorId: row.actor_id,
    actorRole: row.actor_role,
    action: row.action,
    targetType: row.target_type,
    targetId: row.target_id,
    before: row.before,
    after: row.after,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    hash: row.hash,
  }));
  const last = items.at(-1);
  return { items, nextCursor: result.rows.length > query.limit && last !== undefined ? encodeCursor(last.seq) : null };
}
