/**
 * Helpers for the notification suites: capture what the bank e-mails and texts, wait until the
 * outbox and the 'notify' queue are idle (the sync point after an API call: every alert of the
 * call has been decided), and read a customer's notifications.
 */
import { sql } from 'kysely';
import { expect } from 'vitest';
import type { MailMessage } from '../../src/platform/mail/index.js';
import type { SmsMessage } from '../../src/platform/sms/index.js';
import type { Customer, TestBank } from '../support/bank.js';
import { API } from './helpers.js';

export interface Outbox {
  readonly mail: MailMessage[];
  readonly sms: SmsMessage[];
}

/** Replaces the bank's mailer and SMS sender with ones that keep every message in memory. */
export function captureMessages(bank: TestBank): Outbox {
  const outbox: Outbox = { mail: [], sms: [] };
  const { mailer, sms } = bank.app.context as unknown as { mailer: { send(message: MailMessage): Promise<void> }; sms: { send(message: SmsMessage): Promise<void> } };
  mailer.send = async (message) => {
    outbox.mail.push(message);
  };
  sms.send = async (message) => {
    outbox.sms.push(message);
  };
  return outbox;
}

/** Waits until every committed outbox row has been relayed and the 'notify' queue has nothing left to run. */
export async function settle(bank: TestBank, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    await bank.app.context.jobs.relayPending();
    const result = await sql<{ pending: number; running: number; failed: number }>`
      select (select count(*) from outbox where relayed_at is null)::int as pending,
             (select count(*) from jobs where queue = 'outbox.notify' and state in ('created', 'retry', 'active'))::int as running,
             (select count(*) from jobs where queue = 'outbox.notify' and state = 'failed')::int as failed`.execute(bank.app.context.db);
    const row = result.rows[0];
    expect(row?.failed ?? 0, 'dead-lettered notification jobs').toBe(0);
    if (row?.pending === 0 && row.running === 0) return;
    if (Date.now() > deadline) throw new Error(`notifications did not settle: ${JSON.stringify(row)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The customer's notifications (first page of 100), after the pending events were handled. */
export async function notificationsOf(bank: TestBank, customer: Customer, query = ''): Promise<any[]> {
  await settle(bank);
  const reply = await bank.request('GET', `${API}/notifications?limit=100${query}`, { token: customer.token });
  expect(reply.status, reply.text).toBe(200);
  return reply.body.items;
}

/** The types of the customer's notifications, newest first. */
export async function typesOf(bank: TestBank, customer: Customer): Promise<string[]> {
  return (await notificationsOf(bank, customer)).map((item) => item.type);
}

/** The e-mails sent to a customer (by the address the bank holds). */
export async function mailTo(bank: TestBank, outbox: Outbox, customer: Customer): Promise<MailMessage[]> {
  await settle(bank);
  const me = await bank.request('GET', `${API}/users/me`, { token: customer.token });
  return outbox.mail.filter((message) => message.to === me.body.email);
}

/** Sets some of the customer's preferences and expects success. */
export async function setPreferences(bank: TestBank, customer: Customer, alerts: unknown[]): Promise<any> {
  const reply = await bank.request('PUT', `${API}/notifications/preferences`, { token: customer.token, body: { alerts } });
  expect(reply.status, reply.text).toBe(200);
  return reply.body;
}
