/**
 * What a webhook delivers: the event types endpoints may subscribe to, and the body of a delivery,
 * shaped for its recipient. A customer's endpoint never receives another customer's private data:
 * of a transfer between two customers, each side gets its own user id and balance only.
 */
import { OUTBOX_TOPICS, type OutboxEvent } from '../../platform/outbox/index.js';

/** The event type of test deliveries (POST /webhooks/{id}/test); sent on request, not subscribed to. */
export const TEST_EVENT_TYPE = 'webhook.test';

export const WEBHOOK_EVENT_TYPES: readonly string[] = OUTBOX_TOPICS;

export function isWebhookEventType(type: string): boolean {
  return WEBHOOK_EVENT_TYPES.includes(type);
}

/** Fields of a two-party payload that belong to one side. */
const SIDES = {
  from: ['from_user_id', 'from_balance_after'],
  to: ['to_user_id', 'to_balance_after'],
} as const;

/**
 * The event's data as one recipient may see it: everything for a bank endpoint (recipient null);
 * for a customer, without the other party's user id and balance.
 */
export function payloadFor(payload: Readonly<Record<string, unknown>>, recipientUserId: string | null): Record<string, unknown> {
  const data: Record<string, unknown> = { ...payload };
  if (recipientUserId === null) return data;
  const isFrom = payload.from_user_id === recipientUserId;
  const isTo = payload.to_user_id === recipientUserId;
  if (!isFrom) for (const key of SIDES.from) delete data[key];
  if (!isTo) for (const key of SIDES.to) delete data[key];
  return data;
}

/** The JSON body of a delivery: `{ id, type, created_at, data }`, signed and sent as these exact bytes. */
export function deliveryBody(options: { id: string; type: string; createdAt: Date; data: Record<string, unknown> }): string {
  return JSON.stringify({ id: options.id, type: options.type, created_at: options.createdAt.toISOString(), data: options.data });
}

/** The body of an outbox event for one endpoint. */
export function eventBody(event: OutboxEvent, recipientUserId: string | null): string {
  return deliveryBody({ id: event.id, type: event.topic, createdAt: event.createdAt, data: payloadFor(event.payload, recipientUserId) });
}
