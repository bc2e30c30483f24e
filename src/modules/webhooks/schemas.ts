import { z } from 'zod';
import { pageQuery } from '../../platform/http/schemas.js';
import { WEBHOOK_URL_LENGTH_MAX } from './ssrf.js';

const eventTypes = z
  .array(z.string().min(1).max(64))
  .min(1)
  .max(64)
  .describe('Event types to receive, e.g. ["transfer.posted", "account.frozen"]; see the webhooks documentation for the list.');

const description = z.string().max(200).nullish().describe('A note for yourself, at most 200 characters.');

export const createEndpointBody = z.strictObject({
  // A little longer than the limit, so that the guard answers with its own code.
  url: z.string().min(1).max(WEBHOOK_URL_LENGTH_MAX + 1).describe('https URL that receives the POSTs (http only for allowlisted hosts).'),
  event_types: eventTypes,
  description,
});

export const updateEndpointBody = z.strictObject({
  event_types: eventTypes.optional(),
  description,
  enabled: z
    .boolean()
    .optional()
    .describe(
      "true re-enables a disabled endpoint and clears its failure count (a customer cannot re-enable an endpoint the bank disabled: 403 webhook_disabled_by_bank); false disables it.",
    ),
});

export const endpointListQuery = z.strictObject({
  scope: z.enum(['user', 'bank']).optional().describe('Staff only: customer endpoints or bank endpoints.'),
  ...pageQuery,
});

export const deliveryListQuery = z.strictObject({ ...pageQuery });

export const endpointSchema = z.object({
  id: z.string(),
  url: z.string(),
  description: z.string().nullable(),
  event_types: z.array(z.string()),
  scope: z.enum(['user', 'bank']).describe("'user': a customer's endpoint (events that concern them); 'bank': an admin's endpoint (every event)."),
  owner_id: z.string(),
  enabled: z.boolean(),
  disabled_reason: z
    .enum(['failures', 'manual', 'bank'])
    .nullable()
    .describe("'failures': too many failed attempts in a row; 'manual': disabled by its manager; 'bank': staff disabled a customer's endpoint, and only staff can enable it again."),
  disabled_at: z.string().nullable(),
  failure_count: z.number().int().describe('Consecutive failed attempts; the endpoint is disabled when it reaches the configured limit.'),
  created_at: z.string(),
  updated_at: z.string(),
});

export const endpointWithSecretSchema = endpointSchema.extend({
  secret: z.string().describe('The signing secret, shown only in this response. Store it now.'),
});

export const endpointPageSchema = z.object({ items: z.array(endpointSchema), next_cursor: z.string().nullable() });

export const deliverySchema = z.object({
  id: z.string(),
  event_id: z.string(),
  topic: z.string(),
  attempt: z.number().int(),
  outcome: z.enum(['succeeded', 'failed']),
  status_code: z.number().int().nullable(),
  duration_ms: z.number().int(),
  error: z.string().nullable(),
  response_excerpt: z.string().nullable().describe('The first bytes of the response body (at most 512).'),
  next_attempt_at: z.string().nullable().describe('When the next attempt is due; null after a success, the last attempt, or when the endpoint was disabled.'),
  created_at: z.string(),
});

export const deliveryPageSchema = z.object({ items: z.array(deliverySchema), next_cursor: z.string().nullable() });

export const testEventSchema = z.object({ event_id: z.string() });
