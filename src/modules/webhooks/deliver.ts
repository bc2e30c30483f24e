/**
 * Delivering events to endpoints. The outbox consumer 'webhooks' fans each committed event out to
 * the enabled endpoints that subscribed to its type (bank endpoints, and the endpoints of the
 * customers the event concerns) as one job per (endpoint, event). A job makes one attempt: it checks
 * the destination again with the SSRF guard, POSTs the signed body, and records the attempt in the
 * delivery log. A 2xx is a success; anything else (another status, a refusal, a network error, the
 * time limit) is a failure, retried by a new job after WEBHOOK_RETRY_BASE_SECONDS * 2^(attempt-1)
 * (at most six hours) until WEBHOOK_ATTEMPTS_MAX. Each failed attempt adds one to the endpoint's
 * failure count and each success clears it; at WEBHOOK_FAILURES_BEFORE_DISABLE the endpoint is
 * disabled (audited as webhook.disabled) and its pending retries stop.
 *
 * Guarantees: at least once per (endpoint, event) while the endpoint stays enabled. The body and
 * the Kosh-Webhook-Id header are the same on every attempt, so receivers deduplicate by the id.
 * Attempts of one event are sequential; different events are not ordered.
 */
import type { AppContext } from '../../platform/context.js';
import { dataKeyFor } from '../../platform/data-key.js';
import { newId } from '../../platform/ids.js';
import type { OutboxConsumer, OutboxEvent } from '../../platform/outbox/index.js';
import { recordAudit, SYSTEM_ACTOR } from '../audit/index.js';
import type { Principal } from '../../platform/http/auth.js';
import { manageableEndpoint, secretContext } from './endpoints.js';
import { webhookErrors } from './errors.js';
import { deliveryBody, eventBody, TEST_EVENT_TYPE } from './events.js';
import { webhookRuntime } from './runtime.js';
import { postPinned, type SendResult } from './send.js';
import { HEADER_ID, HEADER_SIGNATURE, HEADER_TIMESTAMP, signatureHeader } from './signing.js';
import { checkDestination } from './ssrf.js';
import { clearNextAttempt, countOutcome, findDelivery, findEndpoint, insertDelivery, subscribedEndpoints, type EndpointRecord } from './store.js';

export const DELIVERY_QUEUE = 'webhooks.deliver';
const RETRY_DELAY_SECONDS_MAX = 6 * 3600;
const ERROR_LENGTH_MAX = 500;

/** The data of a delivery job: everything needed to repeat the attempt byte for byte. */
export interface DeliveryJob {
  readonly endpointId: string;
  readonly eventId: string;
  readonly topic: string;
  /** The JSON body, as signed and sent. */
  readonly body: string;
  readonly attempt: number;
}

/** The idempotency key of an attempt's job: the first attempt of an event is enqueued once per endpoint. */
export function deliveryJobKey(job: Pick<DeliveryJob, 'endpointId' | 'eventId' | 'attempt'>): string {
  const base = `webhook:${job.endpointId}:${job.eventId}`;
  return job.attempt === 1 ? base : `${base}:${job.attempt}`;
}

/** Seconds to wait before attempt `attempt + 1`. */
export function retryDelaySeconds(baseSeconds: number, attempt: number): number {
  return Math.min(RETRY_DELAY_SECONDS_MAX, baseSeconds * 2 ** (attempt - 1));
}

export async function enqueueDelivery(context: AppContext, job: DeliveryJob, startAfterSeconds = 0): Promise<void> {
  await context.jobs.send(DELIVERY_QUEUE, job, { singletonKey: deliveryJobKey(job), ...(startAfterSeconds > 0 ? { startAfterSeconds } : {}) });
}

/** The consumer that turns committed events into delivery jobs. */
export function webhookConsumer(context: AppContext): OutboxConsumer {
  return {
    name: 'webhooks',
    topics: '*',
    async handle(event: OutboxEvent) {
      const endpoints = await subscribedEndpoints(context.db, { topic: event.topic, userIds: event.userIds });
      for (const endpoint of endpoints) {
        const recipient = endpoint.scope === 'bank' ? null : endpoint.ownerId;
        await enqueueDelivery(context, { endpointId: endpoint.id, eventId: event.id, topic: event.topic, body: eventBody(event, recipient), attempt: 1 });
      }
    },
  };
}

/** The secrets that sign now: the current one, and a rotated one until it expires. */
function signingSecrets(context: AppContext, endpoint: EndpointRecord, now: Date): string[] {
  const key = dataKeyFor(context.config);
  const open = (sealed: string) => key.open(sealed, secretContext(endpoint.id)).toString('utf8');
  const secrets = [open(endpoint.secretSealed)];
  if (endpoint.previousSecretSealed !== null && endpoint.previousSecretExpiresAt !== null && endpoint.previousSecretExpiresAt > now) {
    secrets.push(open(endpoint.previousSecretSealed));
  }
  return secrets;
}

/** Checks the destination again and POSTs the signed body. */
async function attempt(context: AppContext, endpoint: EndpointRecord, job: DeliveryJob): Promise<SendResult> {
  const runtime = webhookRuntime(context.config);
  const checked = await checkDestination(endpoint.url, { allowlist: runtime.allowlist, resolve: runtime.resolve });
  if (!checked.ok) return { statusCode: null, responseExcerpt: null, error: `${checked.code}: ${checked.message}` };
  const now = context.now();
  const timestamp = Math.floor(now.getTime() / 1000);
  return postPinned({
    destination: checked.destination,
    body: job.body,
    timeoutMs: context.config.WEBHOOK_TIMEOUT_MS,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Kosh-Webhooks/1',
      [HEADER_ID]: job.eventId,
      [HEADER_TIMESTAMP]: String(timestamp),
      [HEADER_SIGNATURE]: signatureHeader({ secrets: signingSecrets(context, endpoint, now), timestamp, body: job.body }),
    },
  });
}

/**
 * Runs one delivery job: one attempt, recorded once, then the next attempt scheduled when it failed
 * and retries remain. A repeated run of a recorded attempt only makes sure its retry is scheduled.
 */
export async function runDelivery(context: AppContext, job: DeliveryJob): Promise<void> {
  const config = context.config;
  const recorded = await findDelivery(context.db, job);
  if (recorded !== undefined) {
    if (recorded.nextAttemptAt !== null) await scheduleNext(context, job, recorded.nextAttemptAt);
    return;
  }
  const endpoint = await findEndpoint(context.db, job.endpointId);
  // A deleted or disabled endpoint receives nothing more; re-enabling does not replay old events.
  if (endpoint === undefined || !endpoint.enabled) return;
  const started = performance.now();
  const result = await attempt(context, endpoint, job);
  const durationMs = Math.max(0, Math.round(performance.now() - started));
  const succeeded = result.statusCode !== null && result.statusCode >= 200 && result.statusCode < 300;
  const now = context.now();
  const retries = !succeeded && job.attempt < config.WEBHOOK_ATTEMPTS_MAX;
  const nextAttemptAt = retries ? new Date(now.getTime() + retryDelaySeconds(config.WEBHOOK_RETRY_BASE_SECONDS, job.attempt) * 1000) : null;
  const error = result.error ?? (succeeded ? null : `HTTP ${result.statusCode}`);
  const logged = await context.transact(async (tx) => {
    // Deleted meanwhile: its log went with it, and nothing is recorded or retried.
    if ((await findEndpoint(tx, job.endpointId, { forUpdate: true })) === undefined) return undefined;
    const row = await insertDelivery(tx, {
      id: newId(),
      endpointId: job.endpointId,
      eventId: job.eventId,
      topic: job.topic,
      attempt: job.attempt,
      outcome: succeeded ? 'succeeded' : 'failed',
      statusCode: result.statusCode,
      durationMs,
      error: error === null ? null : error.slice(0, ERROR_LENGTH_MAX),
      responseExcerpt: result.responseExcerpt,
      nextAttemptAt,
      createdAt: now,
    });
    if (row === undefined) return undefined;
    const counted = await countOutcome(tx, { id: job.endpointId, succeeded, threshold: config.WEBHOOK_FAILURES_BEFORE_DISABLE, now });
    if (counted?.disabledNow === true) {
      await recordAudit(tx, {
        actor: SYSTEM_ACTOR,
        action: 'webhook.disabled',
        target: { type: 'webhook_endpoint', id: job.endpointId },
        after: { reason: 'failures', failure_count: counted.endpoint.failureCount },
      });
    }
    if (counted === undefined || !counted.endpoint.enabled) {
      await clearNextAttempt(tx, row.id);
      return { ...row, nextAttemptAt: null };
    }
    return row;
  });
  if (logged !== undefined && logged.nextAttemptAt !== null) await scheduleNext(context, job, logged.nextAttemptAt);
}

async function scheduleNext(context: AppContext, job: DeliveryJob, at: Date): Promise<void> {
  const delaySeconds = Math.max(0, Math.ceil((at.getTime() - context.now().getTime()) / 1000));
  await enqueueDelivery(context, { ...job, attempt: job.attempt + 1 }, delaySeconds);
}

/**
 * Sends a `webhook.test` event to one endpoint (through the same queue, signing and log as real
 * events) and returns its event id. Errors: webhook_not_found (404), webhook_owner_only (403),
 * webhook_disabled (409).
 */
export async function sendTestEvent(context: AppContext, principal: Principal, id: string): Promise<{ eventId: string }> {
  const endpoint = await manageableEndpoint(context, principal, id, { ownerOnly: true });
  if (!endpoint.enabled) throw webhookErrors.disabled();
  const eventId = newId();
  const body = deliveryBody({ id: eventId, type: TEST_EVENT_TYPE, createdAt: context.now(), data: { endpoint_id: endpoint.id, message: 'A test event from Kosh.' } });
  await enqueueDelivery(context, { endpointId: endpoint.id, eventId, topic: TEST_EVENT_TYPE, body, attempt: 1 });
  return { eventId };
}
