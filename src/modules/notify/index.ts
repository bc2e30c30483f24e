/**
 * Notifications: in-app notifications, preferences, alert rules and message templates. The outbox
 * consumer 'notify' turns committed events into notifications, e-mails and SMS.
 */
import type { AppContext } from '../../platform/context.js';
import { notificationConsumer } from './consumer.js';
import { purgeNotifications } from './purge.js';

export { notifyMigrations } from './migrations.js';
export { notifyRoutes } from './routes.js';
export { messageId, notificationConsumer, type NotifyDependencies } from './consumer.js';
export { ALERT_TYPES, CHANNELS, type AlertType, type Channel } from './catalog.js';
export { renderMessage, type RenderedMessage } from './templates.js';
export { purgeNotifications } from './purge.js';

/**
 * Subscribes the 'notify' consumer to the outbox, with the application's mailer and SMS sender,
 * and schedules the daily purge of old notifications (04:40 in the bank's time zone).
 */
export async function subscribeNotifications(context: AppContext): Promise<void> {
  context.outbox.subscribe(notificationConsumer({ db: context.db, config: context.config, mailer: context.mailer, sms: context.sms }));
  await context.jobs.schedule('notify-purge', '40 4 * * *', async () => {
    await purgeNotifications(context);
  });
}
