/**
 * The admin view of the job queues: counts by state per queue, the dead letter with each job's
 * last error, and retrying a dead-lettered job. Admins and auditors read; only admins retry, and
 * a retry commits with its audit row (`job.retried`), written by the caller's `audit`.
 */
import { z } from 'zod';
import { conflict, notFound, validationError } from '../../core/errors.js';
import type { AppContext } from '../context.js';
import type { Tx } from '../db/transaction.js';
import { principalOf, requireRole, type Principal } from '../http/auth.js';
import { bearer, idParams, pageQuery, problemResponses } from '../http/schemas.js';
import type { Api } from '../http/server.js';
import { isUuid } from '../ids.js';
import { COMPLETED_COUNT_HOURS, countByQueue, listFailed, retryFailed, type FailedJob, type QueueCounts } from './store.js';

const countsSchema = z.object({
  created: z.number().int(),
  retry: z.number().int(),
  active: z.number().int(),
  completed: z.number().int().describe(`Jobs completed in the last ${COMPLETED_COUNT_HOURS} hour (completed jobs are kept JOBS_RETENTION_DAYS).`),
  failed: z.number().int(),
});

const failedSchema = z.object({
  id: z.string(),
  queue: z.string(),
  retry_count: z.number().int().describe('Failed attempts before the job was dead-lettered, after the first.'),
  error: z.string().nullable().describe('The last attempt\'s error.'),
  created_at: z.string(),
  failed_at: z.string(),
});

const jobsSchema = z.object({
  workers_running: z.boolean().describe('Whether this server process runs job workers (JOBS_IN_PROCESS).'),
  queues: z.array(z.object({ name: z.string(), counts: countsSchema })),
  failures: z.array(failedSchema),
  next_cursor: z.string().nullable(),
});

const retrySchema = z.object({ id: z.string(), state: z.literal('created') });

function encodeFailedCursor(job: FailedJob): string {
  return Buffer.from(`j1:${job.failedAtUs}:${job.id}`).toString('base64url');
}

function decodeFailedCursor(cursor: string | undefined): { failedAtUs: bigint; id: string } | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  const match = /^j1:(-?[0-9]{1,18}):([0-9a-f-]{36})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (match?.[1] === undefined || match[2] === undefined || !isUuid(match[2])) {
    throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  }
  return { failedAtUs: BigInt(match[1]), id: match[2] };
}

/** The queues with jobs, and those this process declared that have none yet (all counts zero), by name. */
function withDeclared(counted: readonly QueueCounts[], declared: readonly string[]): QueueCounts[] {
  const names = new Set(counted.map((queue) => queue.queue));
  const empty = declared.filter((name) => !names.has(name)).map((queue) => ({ queue, counts: { created: 0, retry: 0, active: 0, completed: 0, failed: 0 } }));
  return [...counted, ...empty].sort((a, b) => a.queue.localeCompare(b.queue));
}

/** The audit row of a retry, written in the retry's transaction (the audit module is not a platform piece). */
export type RecordJobRetry = (
  tx: Tx,
  event: { actor: Principal; action: 'job.retried'; target: { type: 'job'; id: string }; before: object; after: object },
) => Promise<void>;

export function jobRoutes(api: Api, context: AppContext, audit: RecordJobRetry): void {
  const tags = ['jobs'];

  api.get(
    '/admin/jobs',
    {
      schema: {
        tags,
        summary: 'Job queues: counts by state, and the failed jobs (dead letter) newest first',
        security: bearer,
        querystring: z.strictObject(pageQuery),
        response: { 200: jobsSchema, ...problemResponses(403) },
      },
      preHandler: requireRole('auditor', 'admin', 'super_admin'),
    },
    async (request) => {
      const after = decodeFailedCursor(request.query.cursor);
      const limit = request.query.limit;
      const [queues, failures] = await Promise.all([countByQueue(context.db), listFailed(context.db, { limit: limit + 1, after })]);
      const page = failures.slice(0, limit);
      const last = page[page.length - 1];
      return {
        workers_running: context.jobs.started,
        queues: withDeclared(queues, context.jobs.queues).map((queue) => ({ name: queue.queue, counts: queue.counts })),
        failures: page.map((job) => ({
          id: job.id,
          queue: job.queue,
          retry_count: job.retryCount,
          error: job.error,
          created_at: job.createdAt.toISOString(),
          failed_at: job.failedAt.toISOString(),
        })),
        next_cursor: failures.length > limit && last !== undefined ? encodeFailedCursor(last) : null,
      };
    },
  );

  api.post(
    '/admin/jobs/:id/retry',
    {
      schema: {
        tags,
        summary: 'Put a failed (dead-lettered) job back in its queue with a fresh set of retries',
        security: bearer,
        params: idParams,
        response: { 200: retrySchema, ...problemResponses(403, 404, 409) },
      },
      preHandler: requireRole('admin', 'super_admin'),
    },
    async (request) => {
      const { id } = request.params;
      if (!isUuid(id)) throw notFound('job_not_found', 'No such job.');
      await context.transact(async (tx) => {
        const job = await retryFailed(tx, id);
        if (job === undefined) throw notFound('job_not_found', 'No such job.');
        if (job.state !== 'failed') throw conflict('job_not_failed', `Only a failed job can be retried; this one is ${job.state}.`);
        await audit(tx, {
          actor: principalOf(request),
          action: 'job.retried',
          target: { type: 'job', id },
          before: { state: job.state, queue: job.queue, retry_count: job.retryCount, error: job.error },
          after: { state: 'created', retry_count: 0 },
        });
      });
      return { id, state: 'created' as const };
    },
  );
}
