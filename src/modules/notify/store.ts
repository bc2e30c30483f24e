/** SQL of the notify module: notifications, deliveries, preferences and thresholds (its own tables only). */
import { sql } from 'kysely';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { AlertData } from './alerts.js';
import type { Channel } from './catalog.js';

type Executor = Db | Tx;

export interface Notification {
  readonly id: string;
  readonly seq: bigint;
  readonly userId: string;
  readonly type: string;
  readonly title: string;
  readonly body: string;
  readonly data: AlertData;
  readonly createdAt: Date;
  readonly readAt: Date | null;
}

interface NotificationRow {
  id: string;
  seq: bigint;
  user_id: string;
  type: string;
  title: string;
  body: string;
  data: AlertData | string;
  created_at: Date;
  read_at: Date | null;
}

function toNotification(row: NotificationRow): Notification {
  return {
    id: row.id,
    seq: BigInt(row.seq),
    userId: row.user_id,
    type: row.type,
    title: row.title,
    body: row.body,
    data: typeof row.data === 'string' ? (JSON.parse(row.data) as AlertData) : row.data,
    createdAt: row.created_at,
    readAt: row.read_at,
  };
}

const COLUMNS = sql`id, seq, user_id, type, title, body, data, created_at, read_at`;

/** Inserts a notification unless the event already gave the user one of this type; true when inserted. */
export async function insertNotification(
  executor: Executor,
  row: { id: string; userId: string; eventId: string; type: string; title: string; body: string; data: AlertData; createdAt: Date },
): Promise<boolean> {
  const result = await sql`
    insert into notifications (id, user_id, event_id, type, title, body, data, created_at)
    values (${row.id}, ${row.userId}, ${row.eventId}, ${row.type}, ${row.title}, ${row.body}, ${JSON.stringify(row.data)}::jsonb, ${row.createdAt})
    on conflict (event_id, user_id, type) do nothing`.execute(executor);
  return (result.numAffectedRows ?? 0n) > 0n;
}

/** A position in the inbox order: unread before read, then by event time, newest first (seq breaks ties). */
export interface InboxPosition {
  readonly read: boolean;
  readonly createdAt: Date;
  readonly seq: bigint;
}

/** A page of the user's visible (not dismissed) notifications, unread first, newest first, after a position. */
export async function inboxPage(executor: Executor, options: { userId: string; limit: number; after?: InboxPosition; unreadOnly: boolean }): Promise<Notification[]> {
  const after = options.after;
  const afterCondition =
    after === undefined
      ? sql`true`
      : after.read
        ? sql`(read_at is not null and (created_at, seq) < (${after.createdAt}::timestamptz, ${after.seq}::int8))`
        : sql`(read_at is not null or (created_at, seq) < (${after.createdAt}::timestamptz, ${after.seq}::int8))`;
  const result = await sql<NotificationRow>`
    select ${COLUMNS} from notifications
     where user_id = ${options.userId} and dismissed_at is null and ${afterCondition}
       ${options.unreadOnly ? sql`and read_at is null` : sql``}
     order by (read_at is not null), created_at desc, seq desc
     limit ${options.limit}`.execute(executor);
  return result.rows.map(toNotification);
}

export async function unreadCount(executor: Executor, userId: string): Promise<number> {
  const result = await sql<{ count: bigint }>`
    select count(*)::int8 as count from notifications where user_id = ${userId} and dismissed_at is null and read_at is null`.execute(executor);
  return Number(result.rows[0]?.count ?? 0n);
}

/** Marks one of the user's visible notifications read (keeping the first read time); undefined when it is not theirs. */
export async function markRead(executor: Executor, options: { userId: string; id: string; now: Date }): Promise<Notification | undefined> {
  const result = await sql<NotificationRow>`
    update notifications set read_at = coalesce(read_at, ${options.now})
     where id = ${options.id} and user_id = ${options.userId} and dismissed_at is null
     returning ${COLUMNS}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toNotification(row);
}

/** Marks every unread visible notification of the user read; returns how many changed. */
export async function markAllRead(executor: Executor, options: { userId: string; now: Date }): Promise<number> {
  const result = await sql`
    update notifications set read_at = ${options.now}
     where user_id = ${options.userId} and read_at is null and dismissed_at is null`.execute(executor);
  return Number(result.numAffectedRows ?? 0n);
}

/** Hides one of the user's notifications; false when it is not theirs or already dismissed. */
export async function dismiss(executor: Executor, options: { userId: string; id: string; now: Date }): Promise<boolean> {
  const result = await sql`
    update notifications set dismissed_at = ${options.now}, read_at = coalesce(read_at, ${options.now})
     where id = ${options.id} and user_id = ${options.userId} and dismissed_at is null`.execute(executor);
  return (result.numAffectedRows ?? 0n) > 0n;
}

/** Whether the message with this id was already sent. */
export async function deliverySent(executor: Executor, id: string): Promise<boolean> {
  const result = await sql`select 1 from notification_deliveries where id = ${id} and state = 'sent'`.execute(executor);
  return result.rows.length > 0;
}

/** Records that a message went out. */
export async function recordDelivery(
  executor: Executor,
  row: { id: string; eventId: string; userId: string; type: string; channel: Exclude<Channel, 'in_app'>; now: Date },
): Promise<void> {
  await sql`
    insert into notification_deliveries (id, event_id, user_id, type, channel, state, claimed_at, sent_at)
    values (${row.id}, ${row.eventId}, ${row.userId}, ${row.type}, ${row.channel}, 'sent', ${row.now}, ${row.now})
    on conflict (id) do update set state = 'sent', sent_at = coalesce(notification_deliveries.sent_at, excluded.sent_at)`.execute(executor);
}

export interface PreferenceRow {
  readonly alertType: string;
  readonly channel: string;
  readonly enabled: boolean;
}

export async function readPreferences(executor: Executor, userId: string): Promise<PreferenceRow[]> {
  const result = await sql<{ alert_type: string; channel: string; enabled: boolean }>`
    select alert_type, channel, enabled from notification_preferences where user_id = ${userId}`.execute(executor);
  return result.rows.map((row) => ({ alertType: row.alert_type, channel: row.channel, enabled: row.enabled }));
}

export async function upsertPreference(executor: Executor, row: { userId: string; alertType: string; channel: Channel; enabled: boolean; now: Date }): Promise<void> {
  await sql`
    insert into notification_preferences (user_id, alert_type, channel, enabled, updated_at)
    values (${row.userId}, ${row.alertType}, ${row.channel}, ${row.enabled}, ${row.now})
    on conflict (user_id, alert_type, channel) do update set enabled = excluded.enabled, updated_at = excluded.updated_at`.execute(executor);
}

export interface ThresholdRow {
  readonly alertType: string;
  readonly currency: string;
  readonly amountMinor: bigint;
}

export async function readThresholds(executor: Executor, userId: string): Promise<ThresholdRow[]> {
  const result = await sql<{ alert_type: string; currency: string; amount_minor: bigint }>`
    select alert_type, currency, amount_minor from notification_thresholds where user_id = ${userId} order by alert_type, currency`.execute(executor);
  return result.rows.map((row) => ({ alertType: row.alert_type, currency: row.currency.trim(), amountMinor: BigInt(row.amount_minor) }));
}

/** Replaces the user's thresholds of one alert type. */
export async function replaceThresholds(
  tx: Tx,
  options: { userId: string; alertType: string; thresholds: readonly { currency: string; amountMinor: bigint }[]; now: Date },
): Promise<void> {
  await sql`delete from notification_thresholds where user_id = ${options.userId} and alert_type = ${options.alertType}`.execute(tx);
  for (const threshold of options.thresholds) {
    await sql`
      insert into notification_thresholds (user_id, alert_type, currency, amount_minor, updated_at)
      values (${options.userId}, ${options.alertType}, ${threshold.currency}, ${threshold.amountMinor}, ${options.now})`.execute(tx);
  }
}

/** Deletes notifications dismissed or read before the given times, and delivery records claimed before one; returns the rows deleted. */
export async function purgeBefore(executor: Executor, options: { dismissedBefore: Date; readBefore: Date; deliveriesBefore: Date }): Promise<number> {
  const notifications = await sql`
    delete from notifications
     where (dismissed_at is not null and dismissed_at < ${options.dismissedBefore})
        or (read_at is not null and read_at < ${options.readBefore})`.execute(executor);
  const deliveries = await sql`delete from notification_deliveries where claimed_at < ${options.deliveriesBefore}`.execute(executor);
  return Number((notifications.numAffectedRows ?? 0n) + (deliveries.numAffectedRows ?? 0n));
}
