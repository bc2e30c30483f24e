/**
 * The outbox consumer 'notify': after an event's transaction committed, decides for each user it
 * concerns which alerts fire, writes the in-app notifications and sends the e-mails and SMS their
 * preferences ask for.
 *
 * Guarantees: every message goes out at least once, and handling an event again (the relay
 * delivers at least once) creates no second notification (unique event, user, type) and sends no
 * second e-mail or SMS: each message has an id derived from (event, user, type, channel) and is
 * recorded under it once sent. A handler that dies between sending and recording (a kill in the
 * middle of an SMTP exchange) leaves nothing recorded, so the retry sends again, with the same
 * Message-ID so that mail clients can fold a repeat; two handlers of one event at the same moment
 * (only when the job runner takes a live job for a stalled one) may both send. Messages are never
 * claimed before sending: a claim left by a dead handler would hold the message back. A failing
 * channel does not stop the others; the handler then throws so that the job retries, and the
 * retry skips what already went out.
 */
import { createHash } from 'node:crypto';
import { maskAccountNumber } from '../../core/masking.js';
import type { Config } from '../../platform/config.js';
import type { Db } from '../../platform/db/database.js';
import { newId } from '../../platform/ids.js';
import type { MailMessage } from '../../platform/mail/index.js';
import { OUTBOX_TOPICS, type OutboxConsumer, type OutboxEvent, type OutboxTopic } from '../../platform/outbox/index.js';
import type { SmsMessage } from '../../platform/sms/index.js';
import { loadAccounts } from '../accounts/index.js';
import { findUserById, type User } from '../identity/index.js';
import { averageBalance } from '../ledger/index.js';
import { debitsToCheck, decideAlerts, type Alert, type AlertData } from './alerts.js';
import { WELCOME_CHANNELS, type Channel } from './catalog.js';
import { loadPreferences, thresholdsOf, type Preferences } from './preferences.js';
import { deliverySent, insertNotification, recordDelivery } from './store.js';
import { renderMessage, type RenderedMessage } from './templates.js';

/** The days of history behind the "20% of the 30-day average balance" rule. */
export const AVERAGE_BALANCE_DAYS = 30;

/** Every topic but those no alert is about (account opened or closed, reversals). */
export const NOTIFY_TOPICS: readonly OutboxTopic[] = OUTBOX_TOPICS.filter(
  (topic) => !(['account.opened', 'account.closed', 'reversal.posted'] as readonly OutboxTopic[]).includes(topic),
);

export interface NotifyDependencies {
  readonly db: Db;
  readonly config: Pick<Config, 'BANK_NAME' | 'BANK_TIMEZONE'>;
  readonly mailer: { send(message: MailMessage): Promise<void> };
  readonly sms: { send(message: SmsMessage): Promise<void> };
}

/** The stable id of one message: the same event, user, type and channel always give the same id. */
export function messageId(options: { eventId: string; userId: string; type: string; channel: Exclude<Channel, 'in_app'> }): string {
  const digest = createHash('sha256').update(`${options.eventId}\n${options.userId}\n${options.type}\n${options.channel}`).digest('hex');
  return `kosh-${options.channel}-${options.eventId.replace(/[^A-Za-z0-9]/g, '').slice(0, 40)}-${digest.slice(0, 24)}`;
}

/** The 30-day average balances of the accounts the event debits for the user. */
async function averagesFor(deps: NotifyDependencies, event: OutboxEvent, userId: string): Promise<Map<string, bigint>> {
  const averages = new Map<string, bigint>();
  for (const debit of debitsToCheck(event.topic, event.payload, userId)) {
    const average = await averageBalance(deps.db, { accountId: debit.accountId, asOf: event.createdAt, days: AVERAGE_BALANCE_DAYS });
    if (average !== undefined) averages.set(debit.accountId, average);
  }
  return averages;
}

/** Adds the masked number of the user's own account named by `account_id` (the payload carries ids only). */
async function withAccountNumbers(db: Db, userId: string, alerts: readonly Alert[]): Promise<Alert[]> {
  const ids = [...new Set(alerts.map((alert) => alert.data.account_id).filter((id): id is string => typeof id === 'string'))];
  if (ids.length === 0) return [...alerts];
  const accounts = await loadAccounts(db, ids);
  return alerts.map((alert) => {
    const account = typeof alert.data.account_id === 'string' ? accounts.get(alert.data.account_id) : undefined;
    if (account === undefined || account.record.ownerId !== userId) return alert;
    const data: AlertData = { ...alert.data, account_number_masked: maskAccountNumber(account.record.number) };
    return { ...alert, data };
  });
}

function channelsOf(alert: Alert, preferences: Preferences): Readonly<Record<Channel, boolean>> {
  if (alert.type === 'welcome') return WELCOME_CHANNELS;
  return preferences.get(alert.type)?.channels ?? WELCOME_CHANNELS;
}

interface Delivery {
  readonly event: OutboxEvent;
  readonly user: User;
  readonly alert: Alert;
  readonly message: RenderedMessage;
}

async function sendOnce(deps: NotifyDependencies, delivery: Delivery, channel: 'email' | 'sms'): Promise<void> {
  const key = { eventId: delivery.event.id, userId: delivery.user.id, type: delivery.alert.type, channel };
  const id = messageId(key);
  if (await deliverySent(deps.db, id)) return;
  if (channel === 'email') {
    const { subject, text, html } = delivery.message.email;
    await deps.mailer.send({ to: delivery.user.email, subject, text, html, id });
  } else if (delivery.user.phone !== null) {
    await deps.sms.send({ to: delivery.user.phone, text: delivery.message.sms, id });
  }
  await recordDelivery(deps.db, { id, ...key, now: new Date() });
}

async function deliver(deps: NotifyDependencies, delivery: Delivery, channels: Readonly<Record<Channel, boolean>>): Promise<unknown[]> {
  const failures: unknown[] = [];
  if (channels.in_app) {
    await insertNotification(deps.db, {
      id: newId(),
      userId: delivery.user.id,
      eventId: delivery.event.id,
      type: delivery.alert.type,
      title: delivery.message.title,
      body: delivery.message.body,
      data: delivery.alert.data,
      createdAt: delivery.event.createdAt,
    });
  }
  const external: ('email' | 'sms')[] = [];
  if (channels.email) external.push('email');
  if (channels.sms && delivery.user.phone !== null) external.push('sms');
  for (const channel of external) {
    try {
      await sendOnce(deps, delivery, channel);
    } catch (error) {
      failures.push(error);
    }
  }
  return failures;
}

/** Handles one event for one user; returns the failures of external channels. */
async function notifyUser(deps: NotifyDependencies, event: OutboxEvent, userId: string): Promise<unknown[]> {
  const user = await findUserById(deps.db, userId);
  if (user === undefined) return [];
  const preferences = await loadPreferences(deps.db, userId);
  const decided = decideAlerts({
    topic: event.topic,
    payload: event.payload,
    userId,
    thresholds: thresholdsOf(preferences),
    averageBalances: await averagesFor(deps, event, userId),
  });
  const alerts = await withAccountNumbers(deps.db, userId, decided);
  const failures: unknown[] = [];
  for (const alert of alerts) {
    const message = renderMessage(alert.type, alert.data, {
      bankName: deps.config.BANK_NAME,
      timeZone: deps.config.BANK_TIMEZONE,
      at: event.createdAt,
      recipientName: user.fullName,
    });
    failures.push(...(await deliver(deps, { event, user, alert, message }, channelsOf(alert, preferences))));
  }
  return failures;
}

export function notificationConsumer(deps: NotifyDependencies): OutboxConsumer {
  return {
    name: 'notify',
    topics: NOTIFY_TOPICS,
    async handle(event) {
      const failures: unknown[] = [];
      for (const userId of new Set(event.userIds)) failures.push(...(await notifyUser(deps, event, userId)));
      if (failures.length === 1) throw failures[0];
      if (failures.length > 1) throw new AggregateError(failures, `${failures.length} notification deliveries of event ${event.id} failed`);
    },
  };
}
