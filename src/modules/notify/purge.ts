/**
 * Retention: the notification centre keeps what a customer may still look at. Dismissed
 * notifications go after 30 days, read ones after 180 days; unread ones stay. Delivery records,
 * which only stop a retry from sending a message twice, go after 90 days (jobs and their retries
 * are long gone by then).
 */
import type { AppContext } from '../../platform/context.js';
import { purgeBefore } from './store.js';

const DAY_MS = 86_400_000;
export const DISMISSED_KEPT_DAYS = 30;
export const READ_KEPT_DAYS = 180;
export const DELIVERIES_KEPT_DAYS = 90;

/** Deletes what is past its retention; returns the rows deleted. */
export async function purgeNotifications(context: Pick<AppContext, 'db' | 'now'>): Promise<number> {
  const now = context.now().getTime();
  return purgeBefore(context.db, {
    dismissedBefore: new Date(now - DISMISSED_KEPT_DAYS * DAY_MS),
    readBefore: new Date(now - READ_KEPT_DAYS * DAY_MS),
    deliveriesBefore: new Date(now - DELIVERIES_KEPT_DAYS * DAY_MS),
  });
}
