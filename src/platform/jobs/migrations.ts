/**
 * The job queue table. States: created (waiting, or delayed by start_after), retry (failed, waiting
 * for its next attempt), active (a worker runs it), completed, failed (retries exhausted: the dead
 * letter, kept until an admin retries it or it is purged).
 */
import { sql, type Migration } from 'kysely';

const jobs: Migration = {
  async up(db) {
    await sql`
      create table jobs (
        id uuid primary key,
        queue text not null check (char_length(queue) between 1 and 100),
        data jsonb not null,
        state text not null default 'created' check (state in ('created', 'retry', 'active', 'completed', 'failed')),
        singleton_key text,
        retry_count int not null default 0 check (retry_count >= 0),
        start_after timestamptz not null default now(),
        started_at timestamptz,
        finished_at timestamptz,
        created_at timestamptz not null default now(),
        last_error text
      );
      create unique index jobs_singleton on jobs (queue, singleton_key) where singleton_key is not null;
      create index jobs_waiting on jobs (queue, start_after) where state in ('created', 'retry');
      create index jobs_active on jobs (started_at) where state = 'active';
      create index jobs_failed on jobs (finished_at desc, id desc) where state = 'failed';
      create index jobs_finished on jobs (finished_at) where state = 'completed';
    `.execute(db);
  },
  async down(db) {
    await sql`drop table jobs`.execute(db);
  },
};

/**
 * Workers take the oldest due job by (start_after, id). Every job of one relay pass has the same
 * start_after, so an index on (queue, start_after) left a sort of the whole pass's jobs in each
 * take; with id in the index the take reads one entry.
 */
const waitingOrder: Migration = {
  async up(db) {
    await sql`
      create index jobs_waiting_in_order on jobs (queue, start_after, id) where state in ('created', 'retry');
      drop index jobs_waiting;
    `.execute(db);
  },
  async down(db) {
    await sql`
      create index jobs_waiting on jobs (queue, start_after) where state in ('created', 'retry');
      drop index jobs_waiting_in_order;
    `.execute(db);
  },
};

export const jobsMigrations = {
  '2026-11-21-0016-platform-jobs': jobs,
  '2026-11-22-0021-platform-jobs-waiting-order': waitingOrder,
} as const;
