/**
 * The caller's notification centre: a page of notifications (unread first, then newest first by
 * the time of the event),
 * marking one or all read, and dismissing one. Every user, staff included, reads only their own
 * notifications; another user's id is notification_not_found (404).
 */
import { validationError } from '../../core/errors.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { notifyErrors } from './errors.js';
import { dismiss, inboxPage, markAllRead, markRead, unreadCount, type InboxPosition, type Notification } from './store.js';

const INT8_MAX = 2n ** 63n - 1n;

export function encodeInboxCursor(position: InboxPosition): string {
  return Buffer.from(`n2:${position.read ? 1 : 0}:${position.createdAt.getTime()}:${position.seq}`).toString('base64url');
}

/** The position a cursor names; invalid_cursor (422) when it is not one of ours. */
export function decodeInboxCursor(cursor: string | undefined): InboxPosition | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const match = /^n2:([01]):([0-9]{1,15}):([0-9]{1,19})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  const seq = match?.[3] === undefined ? undefined : BigInt(match[3]);
  const createdAt = new Date(Number(match?.[2]));
  if (match === null || seq === undefined || seq > INT8_MAX || Number.isNaN(createdAt.getTime())) {
    throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  }
  return { read: match[1] === '1', createdAt, seq };
}

export interface InboxPage {
  readonly items: readonly Notification[];
  readonly nextCursor: string | null;
  readonly unreadCount: number;
}

/** A page of the caller's notifications. Errors: invalid_cursor (422). */
export async function listNotifications(
  context: AppContext,
  principal: Principal,
  options: { limit: number; cursor?: string | undefined; unreadOnly: boolean },
): Promise<InboxPage> {
  const after = decodeInboxCursor(options.cursor);
  const [rows, unread] = await Promise.all([
    inboxPage(context.db, { userId: principal.userId, limit: options.limit + 1, unreadOnly: options.unreadOnly, ...(after === undefined ? {} : { after }) }),
    unreadCount(context.db, principal.userId),
  ]);
  const items = rows.slice(0, options.limit);
  const last = items[items.length - 1];
  const nextCursor = rows.length > options.limit && last !== undefined ? encodeInboxCursor({ read: last.readAt !== null, createdAt: last.createdAt, seq: last.seq }) : null;
  return { items, nextCursor, unreadCount: unread };
}

/** Marks one of the caller's notifications read (again: no change). Errors: notification_not_found (404). */
export async function readNotification(context: AppContext, principal: Principal, id: string): Promise<Notification> {
  if (!isUuid(id)) throw notifyErrors.notificationNotFound();
  const updated = await markRead(context.db, { userId: principal.userId, id, now: context.now() });
  if (updated === undefined) throw notifyErrors.notificationNotFound();
  return updated;
}

/** Marks all of the caller's notifications read; returns how many were unread. */
export async function readAllNotifications(context: AppContext, principal: Principal): Promise<number> {
  return markAllRead(context.db, { userId: principal.userId, now: context.now() });
}

/** Hides one of the caller's notifications for good. Errors: notification_not_found (404, also when already dismissed). */
export async function dismissNotification(context: AppContext, principal: Principal, id: string): Promise<void> {
  if (!isUuid(id) || !(await dismiss(context.db, { userId: principal.userId, id, now: context.now() }))) throw notifyErrors.notificationNotFound();
}
