import { z } from 'zod';
import { amountInput, amountOutput, pageQuery } from '../../platform/http/schemas.js';
import { ALERT_TYPES, CHANNELS } from './catalog.js';

export const notificationSchema = z.object({
  id: z.string(),
  type: z.string().describe('The alert type, or `welcome`.'),
  title: z.string(),
  body: z.string(),
  data: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('Facts of the alert: ids, amounts as decimal strings with `currency`.'),
  created_at: z.string(),
  read: z.boolean(),
  read_at: z.string().nullable(),
});

export const notificationPageSchema = z.object({
  items: z.array(notificationSchema),
  next_cursor: z.string().nullable(),
  unread_count: z.number().int().describe('Unread notifications in all pages.'),
});

export const notificationListQuery = z.strictObject({
  unread_only: z.enum(['true', 'false']).optional().describe('Only unread notifications.'),
  ...pageQuery,
});

export const readAllSchema = z.object({ updated: z.number().int().describe('How many notifications were unread.') });

const thresholdOutput = z.object({ amount: amountOutput, currency: z.string() });

export const preferencesSchema = z.object({
  alerts: z.array(
    z.object({
      type: z.enum(ALERT_TYPES),
      category: z.enum(['security', 'money', 'account']),
      channels: z.object({ in_app: z.boolean(), email: z.boolean(), sms: z.boolean() }),
      required_channels: z.array(z.enum(CHANNELS)).describe('Channels that cannot be turned off.'),
      thresholds: z.array(thresholdOutput).nullable().describe('Amount thresholds per currency (null: the type takes none).'),
    }),
  ),
});

// Alert types and channel names are validated by the use case, so that an unknown one gets its own
// stable code (unknown_alert_type, unknown_channel) rather than a generic schema error.
export const preferencesBody = z.strictObject({
  alerts: z
    .array(
      z.strictObject({
        type: z.string().max(60),
        channels: z.record(z.string().max(30), z.boolean()).optional().describe('Channels to set: in_app, email, sms.'),
        thresholds: z
          .array(z.strictObject({ amount: amountInput, currency: z.string().max(10) }))
          .max(20)
          .optional()
          .describe('Replaces the type\'s thresholds (low_balance, large_transaction only); [] removes them.'),
      }),
    )
    .min(1)
    .max(50),
});
