/** The SQL of the job queue (table jobs, migration 0016). */
import { sql } from 'kysely';
import type { Db } from '../db/database.js';
import type { Tx } from '../db/transaction.js';
import { newId } from '../ids.js';

export type JobState = 'created' | 'retry' | 'active' | 'completed' | 'failed';

export interface FetchedJob {
  readonly id: string;
  readonly data: Record<string, unknown>;
  readonly retryCount: number;
}

/** Inserts a job; null when the queue already has a job with the singleton key. */
export async function insertJob(
  executor: Db | Tx,
  job: { queue: string; data: object; singletonKey?: string | undefined; startAfterSeconds?: number | undefined },
): Promise<string | null> {
  const id = newId();
  const delaySeconds = Math.max(0, Math.floor(job.startAfterSeconds ?? 0));
  const result = await sql<{ id: string }>`
    insert into jobs (id, queue, data, singleton_key, start_after)
    values (${id}, ${job.queue}, ${JSON.stringify(job.data)}::jsonb, ${job.singletonKey ?? null}, now() + make_interval(secs => ${delaySeconds}))
    on conflict do nothing
    returning id`.execute(executor);
  return result.rows[0]?.id ?? null;
}

/** Takes up to `limit` due jobs of a queue, oldest first, and marks them active. */
export async function fetchJobs(db: Db, queue: string, limit: number): Promise<FetchedJob[]> {
  const result = await sql<{ id: string; data: Record<string, unknown>; retry_count: number }>`
    update jobs set state = 'active', started_at = now()
    where id in (
      select id from jobs
      where queue = ${queue} and state in ('created', 'retry') and start_after <= now()
      order by start_after, id
      limit ${limit}
      for update skip locked
    )
    returning id, data, retry_count`.execute(db);
  return result.rows.map((row) => ({ id: row.id, data: row.data, retryCount: row.retry_count }));
}

export async function completeJob(db: Db, id: string): Promise<void> {
  await sql`update jobs set state = 'completed', finished_at = now() where id = ${id} and state = 'active'`.execute(db);
}

/** Records a failed attempt: back to 'retry' after `delaySeconds`, or 'failed' (dead letter). */
export async function failJob(db: Db, id: string, failure: { error: string; delaySeconds: number | null }): Promise<void> {
  const error = failure.error.slice(0, 4000);
  if (failure.delaySeconds === null) {
    await sql`
      update jobs set state = 'failed', finished_at = now(), last_error = ${error}
      where id = ${id} and state = 'active'`.execute(db);
    return;
  }
  await sql`
    update jobs set state = 'retry', retry_count = retry_count + 1, last_error = ${error},
      start_after = now() + make_interval(secs => ${failure.delaySeconds}), started_at = null
    where id = ${id} and state = 'active'`.execute(db);
}

/**
 * Active jobs whose worker vanished (a crash, a kill) go back to 'retry' as a failed attempt.
 * `olderThanSeconds` 0 takes every active job (PGlite: only one process can hold the data).
 */
export async function releaseStalledJobs(db: Db, olderThanSeconds: number): Promise<number> {
  const result = await sql`
    update jobs set state = 'retry', retry_count = retry_count + 1, started_at = null, start_after = now(),
      last_error = coalesce(last_error, 'the worker stopped while the job ran')
    where state = 'active' and started_at <= now() - make_interval(secs => ${olderThanSeconds})`.execute(db);
  return Number(result.numAffectedRows ?? 0n);
}

/** Deletes completed jobs and relayed outbox rows older than the retention. */
export async function purgeFinished(db: Db, retentionDays: number): Promise<void> {
  await sql`delete from jobs where state = 'completed' and finished_at < now() - make_interval(days => ${retentionDays})`.execute(db);
  await sql`delete from outbox where relayed_at < now() - make_interval(days => ${retentionDays})`.execute(db);
}

export interface QueueCounts {
  readonly queue: string;
  readonly counts: Record<JobState, number>;
}

export async function countByQueue(db: Db): Promise<QueueCounts[]> {
  const queues = new Map<string, Record<JobState, number>>();
  for (const row of await countJobs(db, true)) {
    const counts = queues.get(row.queue) ?? { created: 0, retry: 0, active: 0, completed: 0, failed: 0 };
    counts[row.state] = row.count;
    queues.set(row.queue, counts);
  }
  return [...queues].map(([queue, counts]) => ({ queue, counts }));
}

/** Jobs not yet completed, per queue and state (for /metrics: waiting work and dead letters). */
export async function countUnfinished(db: Db): Promise<{ queue: string; state: Exclude<JobState, 'completed'>; count: number }[]> {
  return (await countJobs(db, false)) as { queue: string; state: Exclude<JobState, 'completed'>; count: number }[];
}

/** How far back completed jobs are counted (the table keeps them JOBS_RETENTION_DAYS). */
export const COMPLETED_COUNT_HOURS = 1;

/**
 * Jobs per queue and state: every waiting, active and failed one, and with `completed` those that
 * completed in the last COMPLETED_COUNT_HOURS. Each state is counted through its own partial index,
 * so that the count costs what is unfinished (normally little) rather than a scan of every job
 * kept, completed ones and their payloads included.
 */
async function countJobs(db: Db, completed: boolean): Promise<{ queue: string; state: JobState; count: number }[]> {
  const result = await jobCountsQuery(completed).execute(db);
  return result.rows.map((row) => ({ queue: row.queue, state: row.state, count: row.n }));
}

/** The query of countJobs (exported for the plan check). */
export function jobCountsQuery(completed: boolean) {
  return sql<{ queue: string; state: JobState; n: number }>`
    select queue, state, count(*)::int as n from jobs where state in ('created', 'retry') group by queue, state
    union all
    select queue, 'active', count(*)::int from jobs where state = 'active' group by queue
    union all
    select queue, 'failed', count(*)::int from jobs where state = 'failed' group by queue
    ${
      completed
        ? sql`union all
              select queue, 'completed', count(*)::int from jobs
               where state = 'completed' and finished_at > now() - make_interval(hours => ${COMPLETED_COUNT_HOURS})
               group by queue`
        : sql``
    }
    order by queue`;
}

export interface FailedJob {
  readonly id: string;
  readonly queue: string;
  readonly retryCount: number;
  readonly error: string | null;
  readonly createdAt: Date;
  readonly failedAt: Date;
  /** failedAt in microseconds since the epoch (the database's precision), for the cursor. */
  readonly failedAtUs: bigint;
}

/** Dead-lettered jobs, newest first, after the (failedAtUs, id) cursor. */
export async function listFailed(db: Db, page: { limit: number; after?: { failedAtUs: bigint; id: string } | undefined }): Promise<FailedJob[]> {
  const after = page.after;
  const result = await sql<{ id: string; queue: string; retry_count: number; last_error: string | null; created_at: Date; finished_at: Date; finished_us: string }>`
    select id, queue, retry_count, last_error, created_at, finished_at, ((extract(epoch from finished_at) * 1000000)::bigint)::text as finished_us from jobs
    where state = 'failed' ${
      after === undefined ? sql`` : sql`and ((extract(epoch from finished_at) * 1000000)::bigint, id) < (${after.failedAtUs.toString()}::bigint, ${after.id}::uuid)`
    }
    order by finished_at desc, id desc
    limit ${page.limit}`.execute(db);
  return result.rows.map((row) => ({
    id: row.id,
    queue: row.queue,
    retryCount: row.retry_count,
    error: row.last_error,
    createdAt: row.created_at,
    failedAt: row.finished_at,
    failedAtUs: BigInt(row.finished_us),
  }));
}

export interface RetriedJob {
  /** The state the job was in: only a 'failed' job was put back. */
  readonly state: JobState;
  readonly queue: string;
  readonly retryCount: number;
  readonly error: string | null;
}

/** Puts a dead-lettered job back in its queue with a fresh set of retries; what the job was before. */
export async function retryFailed(executor: Db | Tx, id: string): Promise<RetriedJob | undefined> {
  const result = await sql<{ state: JobState; queue: string; retry_count: number; last_error: string | null }>`
    with target as (select id, state, queue, retry_count, last_error from jobs where id = ${id}::uuid for update),
    retried as (
      update jobs set state = 'created', retry_count = 0, start_after = now(), started_at = null, finished_at = null
      from target where jobs.id = target.id and target.state = 'failed'
      returning jobs.id
    )
    select target.state, target.queue, target.retry_count, target.last_error from target`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : { state: row.state, queue: row.queue, retryCount: row.retry_count, error: row.last_error };
}
