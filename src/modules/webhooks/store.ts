/**
 * SQL of the webhook tables (webhook_endpoints, webhook_deliveries). Times come from the caller
 * (context.now()), never from the database clock, so that tests can move time.
 */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';

type Executor = Db | Tx;

export type EndpointScope = 'user' | 'bank';
export type DisabledReason = 'failures' | 'manual' | 'bank';

export interface EndpointRecord {
  readonly id: string;
  readonly seq: bigint;
  readonly ownerId: string;
  readonly scope: EndpointScope;
  readonly url: string;
  readonly description: string | null;
  readonly eventTypes: readonly string[];
  readonly secretSealed: string;
  readonly previousSecretSealed: string | null;
  readonly previousSecretExpiresAt: Date | null;
  readonly enabled: boolean;
  readonly disabledReason: DisabledReason | null;
  readonly disabledAt: Date | null;
  readonly failureCount: number;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

interface EndpointRow {
  id: string;
  seq: bigint | string;
  owner_id: string;
  scope: EndpointScope;
  url: string;
  description: string | null;
  event_types: string[];
  secret_sealed: string;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  enabled: boolean;
  disabled_reason: DisabledReason | null;
  disabled_at: Date | null;
  failure_count: number;
  created_at: Date;
  updated_at: Date;
}

function endpointOf(row: EndpointRow): EndpointRecord {
  return {
    id: row.id,
    seq: BigInt(row.seq),
    ownerId: row.owner_id,
    scope: row.scope,
    url: row.url,
    description: row.description,
    eventTypes: row.event_types,
    secretSealed: row.secret_sealed,
    previousSecretSealed: row.previous_secret_sealed,
    previousSecretExpiresAt: row.previous_secret_expires_at,
    enabled: row.enabled,
    disabledReason: row.disabled_reason,
    disabledAt: row.disabled_at,
    failureCount: Number(row.failure_count),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const COLUMNS = sql.raw(
  `id, seq, owner_id, scope, url, description, event_types, secret_sealed, previous_secret_sealed, previous_secret_expires_at,
   enabled, disabled_reason, disabled_at, failure_count, created_at, updated_at`,
);

export async function insertEndpoint(
  executor: Executor,
  endpoint: { id: string; ownerId: string; scope: EndpointScope; url: string; description: string | null; eventTypes: readonly string[]; secretSealed: string; now: Date },
): Promise<EndpointRecord> {
  const result = await sql<EndpointRow>`
    insert into webhook_endpoints (id, owner_id, scope, url, description, event_types, secret_sealed, created_at, updated_at)
    values (${endpoint.id}, ${endpoint.ownerId}, ${endpoint.scope}, ${endpoint.url}, ${endpoint.description},
            ${[...endpoint.eventTypes]}::text[], ${endpoint.secretSealed}, ${endpoint.now}::timestamptz, ${endpoint.now}::timestamptz)
    returning ${COLUMNS}`.execute(executor);
  return endpointOf(result.rows[0] as EndpointRow);
}

/** One endpoint; `forUpdate` locks it for the rest of the transaction. */
export async function findEndpoint(executor: Executor, id: string, options: { forUpdate?: boolean } = {}): Promise<EndpointRecord | undefined> {
  const lock = options.forUpdate === true ? sql` for update` : sql``;
  const result = await sql<EndpointRow>`select ${COLUMNS} from webhook_endpoints where id = ${id}${lock}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : endpointOf(row);
}

/** Endpoints registered by one user. */
export async function countEndpointsOf(executor: Executor, ownerId: string): Promise<number> {
  const result = await sql<{ count: string | number }>`select count(*) as count from webhook_endpoints where owner_id = ${ownerId}`.execute(executor);
  return Number(result.rows[0]?.count ?? 0);
}

/** A page of endpoints, newest first: one owner's customer endpoints, or (owner undefined) all. */
export async function listEndpoints(
  executor: Executor,
  options: { ownerId?: string; scope?: EndpointScope; before?: bigint; limit: number },
): Promise<EndpointRecord[]> {
  const owner = options.ownerId === undefined ? sql`` : sql` and owner_id = ${options.ownerId}`;
  const scope = options.scope === undefined ? sql`` : sql` and scope = ${options.scope}`;
  const before = options.before === undefined ? sql`` : sql` and seq < ${options.before.toString()}::bigint`;
  const result = await sql<EndpointRow>`
    select ${COLUMNS} from webhook_endpoints where true${owner}${scope}${before}
     order by seq desc limit ${options.limit}`.execute(executor);
  return result.rows.map(endpointOf);
}

/** Enabled endpoints that subscribed to a topic: every bank endpoint, and those of the given users. */
export async function subscribedEndpoints(executor: Executor, options: { topic: string; userIds: readonly string[] }): Promise<EndpointRecord[]> {
  const result = await sql<EndpointRow>`
    select ${COLUMNS} from webhook_endpoints
     where scope = 'bank' and enabled and ${options.topic} = any (event_types)
    union all
    select ${COLUMNS} from webhook_endpoints
     where scope = 'user' and enabled and ${options.topic} = any (event_types) and owner_id = any (${[...options.userIds]}::uuid[])`.execute(executor);
  return result.rows.map(endpointOf);
}

export interface EndpointChanges {
  readonly eventTypes?: readonly string[];
  readonly description?: string | null;
  /** true: enable and clear the failure count; false: disable by hand. */
  readonly enabled?: boolean;
  /**
   * Who disables: 'manual' (the endpoint's own manager), or 'bank' (staff disabling a customer's
   * endpoint, which only staff may enable again; it replaces any earlier reason).
   */
  readonly disabledBy?: 'manual' | 'bank';
}

export async function updateEndpoint(executor: Executor, id: string, changes: EndpointChanges, now: Date): Promise<EndpointRecord | undefined> {
  const sets = [sql`updated_at = ${now}::timestamptz`];
  if (changes.eventTypes !== undefined) sets.push(sql`event_types = ${[...changes.eventTypes]}::text[]`);
  if (changes.description !== undefined) sets.push(sql`description = ${changes.description}`);
  if (changes.enabled === true) sets.push(sql`enabled = true, disabled_reason = null, disabled_at = null, failure_count = 0`);
  if (changes.enabled === false) {
    // The bank's reason replaces any other; a manager's disable keeps the reason it was disabled for.
    const reason = changes.disabledBy === 'bank' ? sql`'bank'` : sql`case when enabled then 'manual' else disabled_reason end`;
    sets.push(sql`enabled = false, disabled_reason = ${reason}, disabled_at = case when enabled then ${now}::timestamptz else disabled_at end`);
  }
  const result = await sql<EndpointRow>`update webhook_endpoints set ${sql.join(sets)} where id = ${id} returning ${COLUMNS}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : endpointOf(row);
}

export async function replaceSecret(
  executor: Executor,
  options: { id: string; secretSealed: string; previousSecretSealed: string; previousSecretExpiresAt: Date; now: Date },
): Promise<EndpointRecord | undefined> {
  const result = await sql<EndpointRow>`
    update webhook_endpoints
       set secret_sealed = ${options.secretSealed}, previous_secret_sealed = ${options.previousSecretSealed},
           previous_secret_expires_at = ${options.previousSecretExpiresAt}::timestamptz, updated_at = ${options.now}::timestamptz
     where id = ${options.id} returning ${COLUMNS}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : endpointOf(row);
}

export async function deleteEndpoint(executor: Executor, id: string): Promise<boolean> {
  const result = await sql`delete from webhook_endpoints where id = ${id} returning id`.execute(executor);
  return result.rows.length > 0;
}

/**
 * Counts an attempt's outcome (in the caller's transaction): a success clears the failure count, a
 * failure adds one and disables the endpoint when the count reaches `threshold`. Returns the
 * endpoint after the change and whether this failure disabled it; undefined when it was deleted.
 */
export async function countOutcome(
  executor: Tx,
  options: { id: string; succeeded: boolean; threshold: number; now: Date },
): Promise<{ endpoint: EndpointRecord; disabledNow: boolean } | undefined> {
  const before = await findEndpoint(executor, options.id, { forUpdate: true });
  if (before === undefined) return undefined;
  const failures = options.succeeded ? 0 : before.failureCount + 1;
  const disabledNow = before.enabled && !options.succeeded && failures >= options.threshold;
  const disable = disabledNow ? sql`, enabled = false, disabled_reason = 'failures', disabled_at = ${options.now}::timestamptz` : sql``;
  const result = await sql<EndpointRow>`
    update webhook_endpoints set failure_count = ${failures}${disable} where id = ${options.id} returning ${COLUMNS}`.execute(executor);
  return { endpoint: endpointOf(result.rows[0] as EndpointRow), disabledNow };
}

// The delivery log.

export type DeliveryOutcome = 'succeeded' | 'failed';

export interface DeliveryRecord {
  readonly id: string;
  readonly seq: bigint;
  readonly endpointId: string;
  readonly eventId: string;
  readonly topic: string;
  readonly attempt: number;
  readonly outcome: DeliveryOutcome;
  readonly statusCode: number | null;
  readonly durationMs: number;
  readonly error: string | null;
  readonly responseExcerpt: string | null;
  readonly nextAttemptAt: Date | null;
  readonly createdAt: Date;
}

interface DeliveryRow {
  id: string;
  seq: bigint | string;
  endpoint_id: string;
  event_id: string;
  topic: string;
  attempt: number;
  outcome: DeliveryOutcome;
  status_code: number | null;
  duration_ms: number;
  error: string | null;
  response_excerpt: string | null;
  next_attempt_at: Date | null;
  created_at: Date;
}

function deliveryOf(row: DeliveryRow): DeliveryRecord {
  return {
    id: row.id,
    seq: BigInt(row.seq),
    endpointId: row.endpoint_id,
    eventId: row.event_id,
    topic: row.topic,
    attempt: Number(row.attempt),
    outcome: row.outcome,
    statusCode: row.status_code === null ? null : Number(row.status_code),
    durationMs: Number(row.duration_ms),
    error: row.error,
    responseExcerpt: row.response_excerpt,
    nextAttemptAt: row.next_attempt_at,
    createdAt: row.created_at,
  };
}

const DELIVERY_COLUMNS = sql.raw(
  'id, seq, endpoint_id, event_id, topic, attempt, outcome, status_code, duration_ms, error, response_excerpt, next_attempt_at, created_at',
);

/** Records an attempt once: undefined when this attempt was already recorded (a repeated job run). */
export async function insertDelivery(
  executor: Executor,
  delivery: Omit<DeliveryRecord, 'seq'>,
): Promise<DeliveryRecord | undefined> {
  const result = await sql<DeliveryRow>`
    insert into webhook_deliveries (id, endpoint_id, event_id, topic, attempt, outcome, status_code, duration_ms, error, response_excerpt, next_attempt_at, created_at)
    values (${delivery.id}, ${delivery.endpointId}, ${delivery.eventId}, ${delivery.topic}, ${delivery.attempt}, ${delivery.outcome},
            ${delivery.statusCode}, ${delivery.durationMs}, ${delivery.error}, ${delivery.responseExcerpt},
            ${delivery.nextAttemptAt}::timestamptz, ${delivery.createdAt}::timestamptz)
    on conflict (endpoint_id, event_id, attempt) do nothing
    returning ${DELIVERY_COLUMNS}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : deliveryOf(row);
}

export async function findDelivery(executor: Executor, options: { endpointId: string; eventId: string; attempt: number }): Promise<DeliveryRecord | undefined> {
  const result = await sql<DeliveryRow>`
    select ${DELIVERY_COLUMNS} from webhook_deliveries
     where endpoint_id = ${options.endpointId} and event_id = ${options.eventId} and attempt = ${options.attempt}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : deliveryOf(row);
}

export async function clearNextAttempt(executor: Executor, id: string): Promise<void> {
  await sql`update webhook_deliveries set next_attempt_at = null where id = ${id}`.execute(executor);
}

/** A page of an endpoint's delivery log, newest first. */
export async function listDeliveries(executor: Executor, options: { endpointId: string; before?: bigint; limit: number }): Promise<DeliveryRecord[]> {
  const before = options.before === undefined ? sql`` : sql` and seq < ${options.before.toString()}::bigint`;
  const result = await sql<DeliveryRow>`
    select ${DELIVERY_COLUMNS} from webhook_deliveries where endpoint_id = ${options.endpointId}${before}
     order by seq desc limit ${options.limit}`.execute(executor);
  return result.rows.map(deliveryOf);
}

/** Deletes log rows older than `before`, at most `limit` at a time; returns how many. */
export async function purgeDeliveries(executor: Executor, options: { before: Date; limit: number }): Promise<number> {
  const result = await sql`
    delete from webhook_deliveries where id in (
      select id from webhook_deliveries where created_at < ${options.before}::timestamptz order by created_at limit ${options.limit})
    returning id`.execute(executor);
  return result.rows.length;
}
