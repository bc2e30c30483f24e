/**
 * The transactional outbox. A change that must cause an effect outside the database (an e-mail,
 * an SMS, a webhook, a job) writes an outbox row in the same transaction as the change; the relay
 * (relay.ts) hands each committed row to every subscribed consumer after commit, exactly once per
 * (consumer, row), through the job queue, which retries a failing consumer with backoff and then
 * dead-letters it. A crash between commit and delivery delays the effect; it never loses it.
 */
import { parameterized, type Statement } from '../db/script.js';
import type { Tx } from '../db/transaction.js';
import { sql } from 'kysely';

/** The facts the platform publishes; each payload is snake_case JSON, built where the event is written. */
export type OutboxTopic =
  | 'transfer.posted'
  | 'deposit.posted'
  | 'withdrawal.posted'
  | 'reversal.posted'
  | 'account.opened'
  | 'account.frozen'
  | 'account.unfrozen'
  | 'account.closed'
  | 'beneficiary.added'
  | 'user.registered'
  | 'user.signed_in'
  | 'user.sign_in_failed'
  | 'user.locked'
  | 'user.password_changed'
  | 'user.two_factor_enabled'
  | 'user.two_factor_disabled';

export const OUTBOX_TOPICS: readonly OutboxTopic[] = [
  'transfer.posted',
  'deposit.posted',
  'withdrawal.posted',
  'reversal.posted',
  'account.opened',
  'account.frozen',
  'account.unfrozen',
  'account.closed',
  'beneficiary.added',
  'user.registered',
  'user.signed_in',
  'user.sign_in_failed',
  'user.locked',
  'user.password_changed',
  'user.two_factor_enabled',
  'user.two_factor_disabled',
];

/** A fact that committed, for effects outside the database. payload is snake_case JSON. */
export interface OutboxMessage {
  readonly topic: OutboxTopic;
  /** The customers this event concerns (account owners, the signed-in user): routes notifications
   *  and customer webhooks. Empty for bank-wide events. */
  readonly userIds: readonly string[];
  readonly payload: Readonly<Record<string, unknown>>;
}

export interface OutboxEvent extends OutboxMessage {
  /** The outbox row's id; consumers are idempotent by (consumer, id). */
  readonly id: string;
  readonly createdAt: Date;
}

export interface OutboxConsumer {
  /** Stable name (used in job names and idempotency keys): 'notify', 'webhooks'. */
  readonly name: string;
  /** Topics this consumer wants ('*' for all). */
  readonly topics: readonly OutboxTopic[] | '*';
  /** Runs after the event's transaction committed, at least once per (consumer, event); a throw
   *  is retried with backoff, then dead-lettered. Must be idempotent by event id. */
  handle(event: OutboxEvent): Promise<void>;
}

/** What modules see of the outbox on the application context. */
export interface OutboxService {
  subscribe(consumer: OutboxConsumer): void;
}

/** A payload as JSON text; bigint values (minor units) would not serialize, so they are refused. */
function payloadJson(message: OutboxMessage): string {
  return JSON.stringify(message.payload, (key, value: unknown) => {
    if (typeof value === 'bigint') throw new TypeError(`outbox payload ${message.topic}.${key} is a bigint; send a decimal string`);
    return value;
  });
}

/**
 * The messages as one literal INSERT statement, for scripted transactions (the transfer engine's
 * write script). Rows get ids in the order of the messages.
 */
export function outboxStatement(messages: readonly OutboxMessage[]): Statement<void> {
  if (messages.length === 0) return { sql: 'SELECT 1', parse: () => undefined };
  signalWrite();
  return parameterized((values) => {
    const topics = values.array(messages.map((message) => message.topic), 'text');
    const users = values.array(messages.map((message) => `{${[...new Set(message.userIds.filter((id) => id !== ''))].join(',')}}`), 'text');
    const payloads = values.texts(messages.map(payloadJson));
    return (
      `INSERT INTO outbox (topic, user_ids, payload) ` +
      `SELECT m.topic, m.user_ids::uuid[], m.payload::jsonb FROM ROWS FROM (unnest(${topics}), unnest(${users}), json_array_elements_text(${payloads})) ` +
      `WITH ORDINALITY AS m(topic, user_ids, payload, n) ORDER BY m.n`
    );
  }, () => undefined);
}

/** Writes messages in the caller's transaction (Kysely). */
export async function writeOutbox(tx: Tx, messages: readonly OutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await sql.raw(outboxStatement(messages).sql).execute(tx);
}

const writeListeners = new Set<() => void>();

/**
 * Calls `listener` whenever this process builds outbox rows (before they commit): the relay uses
 * it to look again soon instead of waiting for its next poll. Returns the function that removes it.
 */
export function onOutboxWrite(listener: () => void): () => void {
  writeListeners.add(listener);
  return () => writeListeners.delete(listener);
}

function signalWrite(): void {
  for (const listener of writeListeners) listener();
}
