/**
 * The relay: hands committed outbox rows to the subscribed consumers through the job queue.
 *
 * One statement takes the oldest undelivered rows (FOR UPDATE SKIP LOCKED, so relays in several
 * processes share the work without waiting on each other), inserts one job per (row, consumer
 * whose topics match) with the singleton key `${consumer}:${row id}`, and marks the rows relayed.
 * The statement is its own transaction: either the jobs exist and the rows are marked, or
 * neither, so a crash at any point hands each row to each consumer exactly once; the job then
 * runs the consumer at least once (retries, dead letter), and consumers are idempotent by id.
 */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { OutboxConsumer, OutboxEvent, OutboxTopic } from './index.js';

/** The queue that carries a consumer's events. */
export function consumerQueue(consumer: Pick<OutboxConsumer, 'name'>): string {
  return `outbox.${consumer.name}`;
}

/** Rows taken per relay pass; a pass that takes a full batch is followed at once by another. */
export const RELAY_BATCH_MAX = 500;

/** Relays one batch; returns how many outbox rows it marked. */
export async function relayOnce(db: Db, consumers: readonly OutboxConsumer[], batchMax = RELAY_BATCH_MAX): Promise<number> {
  const names = consumers.map(consumerQueue);
  const keys = consumers.map((consumer) => consumer.name);
  // '*' or a comma-separated list of topics.
  const topics = consumers.map((consumer) => (consumer.topics === '*' ? '*' : consumer.topics.join(',')));
  const result = await sql<{ n: number }>`
    with picked as (
      select id, topic, user_ids, payload, created_at from outbox
      where relayed_at is null
      order by id
      limit ${batchMax}
      for update skip locked
    ),
    consumers as (
      select * from unnest(${names}::text[], ${keys}::text[], ${topics}::text[]) as c(queue, name, topics)
    ),
    queued as (
      insert into jobs (id, queue, data, singleton_key)
      select gen_random_uuid(), c.queue,
        jsonb_build_object('id', p.id::text, 'topic', p.topic, 'user_ids', to_jsonb(p.user_ids), 'payload', p.payload, 'created_at', p.created_at),
        c.name || ':' || p.id::text
      from picked p join consumers c on c.topics = '*' or p.topic = any (string_to_array(c.topics, ','))
      on conflict do nothing
    ),
    marked as (
      update outbox set relayed_at = now() from picked where outbox.id = picked.id returning outbox.id
    )
    select count(*)::int as n from marked`.execute(db);
  return result.rows[0]?.n ?? 0;
}

/** Committed outbox events not yet handed to their consumers. */
export async function countPending(db: Db): Promise<number> {
  const result = await sql<{ n: number }>`select count(*)::int as n from outbox where relayed_at is null`.execute(db);
  return result.rows[0]?.n ?? 0;
}

/** The event a relay job carries. */
export function eventFromJob(data: Record<string, unknown>): OutboxEvent {
  return {
    id: String(data.id),
    topic: data.topic as OutboxTopic,
    userIds: (data.user_ids as string[] | null) ?? [],
    payload: (data.payload as Record<string, unknown>) ?? {},
    createdAt: new Date(String(data.created_at)),
  };
}
