/**
 * Writing audit rows. A use case calls recordAudit (or adds auditStatement to a script) inside the
 * transaction of the change it records, so the change and its audit row commit together.
 */
import type { Db } from '../../platform/db/database.js';
import { parameterized, runStatement, type SqlType, type Statement } from '../../platform/db/script.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { RequestOrigin } from '../../platform/http/auth.js';
import { newId } from '../../platform/ids.js';

/** Who did it: a signed-in principal, an anonymous request (user null), or the system. */
export interface AuditActor {
  readonly userId: string | null;
  readonly role?: string | null;
  readonly origin?: RequestOrigin | undefined;
}

export interface AuditEvent {
  readonly actor: AuditActor;
  /** What happened, as `noun.verb` (`user.blocked`, `transfer.posted`). */
  readonly action: string;
  readonly target: { readonly type: string; readonly id: string };
  readonly before?: unknown;
  readonly after?: unknown;
}

export const SYSTEM_ACTOR: AuditActor = { userId: null, role: 'system' };

/** Words of keys whose values never enter the audit log (secrets and their hashes). */
const SECRET_WORDS = new Set(['password', 'passwords', 'passphrase', 'pin', 'secret', 'secrets', 'token', 'tokens', 'otp', 'recovery', 'hash', 'salt', 'cookie', 'authorization', 'totp']);

function isSecretKey(key: string): boolean {
  let secret = secretKeys.get(key);
  if (secret === undefined) {
    const words = key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase().split(/[^a-z0-9]+/);
    secret = words.some((word) => SECRET_WORDS.has(word));
    // Keys come from code, not from users, so the set stays small; the bound is a safety net.
    if (secretKeys.size >= 10_000) secretKeys.clear();
    secretKeys.set(key, secret);
  }
  return secret;
}

/** Whether each key seen so far is secret (audit rows repeat the same few keys). */
const secretKeys = new Map<string, boolean>();
const DEPTH_MAX = 8;

/** A copy of a value with every secret-looking key replaced by "[redacted]". */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (value === null || typeof value !== 'object') return value;
  if (depth >= DEPTH_MAX) return '[truncated]';
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined) continue;
    copy[key] = isSecretKey(key) ? '[redacted]' : withoutSecrets(item, depth + 1);
  }
  return copy;
}

function json(value: unknown): string | null {
  return value === undefined || value === null ? null : JSON.stringify(withoutSecrets(value));
}

/** One INSERT of several audit rows, in order (the trigger chains them in this order). */
export function auditStatement(events: readonly AuditEvent[]): Statement<void> {
  return parameterized((values) => {
    const column = (pick: (event: AuditEvent) => string | null, type: SqlType) => `unnest(${values.array(events.map(pick), type)})`;
    // Each column of JSON documents is sent as one JSON array of their texts.
    const documents = (pick: (event: AuditEvent) => string | null) => `json_array_elements_text(${values.texts(events.map(pick))})`;
    return `insert into audit_log (id, actor_id, actor_role, action, target_type, target_id, before, after, ip, user_agent, request_id)
          select id, actor_id, actor_role, action, target_type, target_id, before::jsonb, after::jsonb, ip, user_agent, request_id
            from rows from (${column(() => newId(), 'uuid')}, ${column((e) => e.actor.userId, 'uuid')},
                            ${column((e) => e.actor.role ?? null, 'text')}, ${column((e) => e.action, 'text')},
                            ${column((e) => e.target.type, 'text')}, ${column((e) => e.target.id, 'text')},
                            ${documents((e) => json(e.before))}, ${documents((e) => json(e.after))},
                            ${column((e) => e.actor.origin?.ip ?? null, 'text')}, ${column((e) => e.actor.origin?.userAgent ?? null, 'text')},
                            ${column((e) => e.actor.origin?.requestId ?? null, 'text')})
                 as t(id, actor_id, actor_role, action, target_type, target_id, before, after, ip, user_agent, request_id)`;
  }, () => undefined);
}

/** Appends audit rows in the caller's transaction. */
export async function recordAudit(executor: Tx | Db, ...events: AuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await runStatement(executor, auditStatement(events));
}
