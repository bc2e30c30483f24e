/**
 * Outbound webhooks: endpoints registered by customers and admins, signed deliveries of the
 * platform's events with retries and a delivery log, disabling of failing endpoints, and the guard
 * against server-side request forgery.
 */
import type { AppContext } from '../../platform/context.js';
import { DELIVERY_QUEUE, runDelivery, webhookConsumer, type DeliveryJob } from './deliver.js';
import { purgeDeliveries } from './store.js';

export { webhooksMigrations } from './migrations.js';
export { webhookRoutes } from './routes.js';
export { WEBHOOK_EVENT_TYPES, TEST_EVENT_TYPE, payloadFor } from './events.js';
export { verifyWebhookSignature, signatureHeader, HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP } from './signing.js';
export { checkDestination, isPublicAddress, type Resolver } from './ssrf.js';
export { setWebhookResolver } from './runtime.js';
export { webhookConsumer } from './deliver.js';

/** Delivery log rows are kept this long. */
export const DELIVERY_LOG_RETENTION_DAYS = 30;
const PURGE_BATCH_MAX = 10_000;

/**
 * Subscribes the webhooks consumer to the outbox, declares the delivery queue and the daily purge of
 * old delivery log rows.
 */
export async function subscribeWebhooks(context: AppContext): Promise<void> {
  context.outbox.subscribe(webhookConsumer(context));
  // Retries of an HTTP failure are new jobs (see deliver.ts); the queue's own retries cover only
  // errors of the database or the process.
  await context.jobs.work<DeliveryJob>(DELIVERY_QUEUE, { concurrency: 8, retryLimit: 5, retryDelaySeconds: 5, retryBackoff: true }, (job) => runDelivery(context, job));
  await context.jobs.schedule('webhooks.purge-deliveries', '40 3 * * *', async () => {
    const before = new Date(context.now().getTime() - DELIVERY_LOG_RETENTION_DAYS * 86_400_000);
    while ((await purgeDeliveries(context.db, { before, limit: PURGE_BATCH_MAX })) === PURGE_BATCH_MAX) {
      // Another batch: deletes stay short.
    }
  });
}
