/** HTTP routes of the notification centre and the notification preferences (every signed-in user, own data only). */
import { formatAmount, currencyOf } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import { principalOf, requireRole } from '../../platform/http/auth.js';
import { bearer, idParams, noContent, problemResponses } from '../../platform/http/schemas.js';
import type { Api } from '../../platform/http/server.js';
import { ALERT_CATALOG } from './catalog.js';
import { dismissNotification, listNotifications, readAllNotifications, readNotification } from './inbox.js';
import { loadPreferences, updatePreferences, type Preferences } from './preferences.js';
import { notificationListQuery, notificationPageSchema, notificationSchema, preferencesBody, preferencesSchema, readAllSchema } from './schemas.js';
import type { Notification } from './store.js';

function notificationView(notification: Notification) {
  return {
    id: notification.id,
    type: notification.type,
    title: notification.title,
    body: notification.body,
    data: notification.data,
    created_at: notification.createdAt.toISOString(),
    read: notification.readAt !== null,
    read_at: notification.readAt?.toISOString() ?? null,
  };
}

function preferencesView(preferences: Preferences) {
  return {
    alerts: [...preferences.values()].map((setting) => {
      const info = ALERT_CATALOG[setting.type];
      return {
        type: setting.type,
        category: info.category,
        channels: { ...setting.channels },
        required_channels: [...info.required],
        thresholds: info.thresholds
          ? setting.thresholds.map((item) => ({ amount: formatAmount(item.amountMinor, currencyOf(item.currency)), currency: item.currency }))
          : null,
      };
    }),
  };
}

export function notifyRoutes(api: Api, context: AppContext): void {
  const tags = ['notifications'];
  const anyone = requireRole();

  api.get(
    '/notifications',
    {
      schema: {
        tags,
        summary: "The caller's notifications: unread first, then newest first",
        security: bearer,
        querystring: notificationListQuery,
        response: { 200: notificationPageSchema, ...problemResponses() },
      },
      preHandler: anyone,
    },
    async (request) => {
      const page = await listNotifications(context, principalOf(request), {
        limit: request.query.limit,
        cursor: request.query.cursor,
        unreadOnly: request.query.unread_only === 'true',
      });
      return { items: page.items.map(notificationView), next_cursor: page.nextCursor, unread_count: page.unreadCount };
    },
  );

  api.post(
    '/notifications/:id/read',
    {
      schema: { tags, summary: 'Mark one of the caller\'s notifications read', security: bearer, params: idParams, response: { 200: notificationSchema, ...problemResponses(403, 404) } },
      preHandler: anyone,
    },
    async (request) => notificationView(await readNotification(context, principalOf(request), request.params.id)),
  );

  api.post(
    '/notifications/read-all',
    {
      schema: { tags, summary: "Mark all of the caller's notifications read", security: bearer, response: { 200: readAllSchema, ...problemResponses(403) } },
      preHandler: anyone,
    },
    async (request) => ({ updated: await readAllNotifications(context, principalOf(request)) }),
  );

  api.post(
    '/notifications/:id/dismiss',
    {
      schema: { tags, summary: 'Dismiss one of the caller\'s notifications (it leaves the list)', security: bearer, params: idParams, response: { 204: noContent, ...problemResponses(403, 404) } },
      preHandler: anyone,
    },
    async (request, reply) => {
      await dismissNotification(context, principalOf(request), request.params.id);
      return reply.code(204).send(null);
    },
  );

  api.get(
    '/notifications/preferences',
    {
      schema: { tags, summary: "The caller's alert preferences: channels per alert type and amount thresholds", security: bearer, response: { 200: preferencesSchema, ...problemResponses() } },
      preHandler: anyone,
    },
    async (request) => preferencesView(await loadPreferences(context.db, principalOf(request).userId)),
  );

  api.put(
    '/notifications/preferences',
    {
      schema: {
        tags,
        summary: 'Change some alert preferences (types and channels not sent stay as they are)',
        description:
          'Refusals (422): `unknown_alert_type`, `unknown_channel`, `alert_channel_required` (a security alert stays on in the app), ' +
          '`thresholds_not_supported`, `duplicate_alert_type`, `duplicate_threshold_currency`, `invalid_amount`, `unsupported_currency`.',
        security: bearer,
        body: preferencesBody,
        response: { 200: preferencesSchema, ...problemResponses(403) },
      },
      preHandler: anyone,
    },
    async (request) => preferencesView(await updatePreferences(context, principalOf(request), request.body)),
  );
}
