/**
 * Background jobs on the database: a queue table (jobs) that works the same on PGlite and on a
 * PostgreSQL server, workers with bounded concurrency per queue, retries with exponential backoff,
 * a dead-letter state ('failed') that an admin can retry, cron schedules in the bank's time zone,
 * and the outbox relay. See queue.ts, scheduler.ts and ../outbox/relay.ts.
 */
export type { JobInfo, JobHandler, Jobs, SendOptions, WorkOptions } from './types.js';
export { createJobRunner, type JobRunner } from './runner.js';
export { nextRunAt } from './scheduler.js';
export { jobsMigrations } from './migrations.js';
export { jobRoutes } from './routes.js';
export { countUnfinished } from './store.js';
