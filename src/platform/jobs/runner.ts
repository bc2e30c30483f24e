/**
 * The job runner: the queue workers of this process, the outbox relay and the schedules.
 *
 * Every process can enqueue (send, and the outbox rows its transactions write). Only a process
 * that started the runner (`kosh serve` with JOBS_IN_PROCESS, or `kosh worker`) takes jobs: each
 * queue polls for due jobs at JOBS_POLL_INTERVAL_MS and at once after a local send, taking at most
 * its free concurrency, so that the cost of an idle queue is one small query per interval. A
 * failed attempt goes back to the queue after its backoff; after its last retry the job stays
 * 'failed' (the dead letter) until an admin retries it.
 */
import type { Pressure } from '../activity.js';
import type { Db, DatabaseKind } from '../db/database.js';
import { consumerQueue, eventFromJob, RELAY_BATCH_MAX, relayOnce } from '../outbox/relay.js';
import { onOutboxWrite, type OutboxConsumer, type OutboxService } from '../outbox/index.js';
import { checkCron, nextRunAt } from './scheduler.js';
import { completeJob, failJob, fetchJobs, insertJob, purgeFinished, releaseStalledJobs, type FetchedJob } from './store.js';
import type { JobHandler, Jobs, SendOptions, WorkOptions } from './types.js';

export interface JobRunnerOptions {
  readonly db: Db;
  readonly databaseKind: DatabaseKind;
  /** The bank's time zone, for cron schedules. */
  readonly timeZone: string;
  readonly pollIntervalMs: number;
  /** An active job older than this is taken to have lost its worker and is retried. */
  readonly activeTimeoutSeconds: number;
  readonly retentionDays: number;
  readonly now?: () => Date;
  /**
   * How much requests press (see platform/activity.ts): 'idle', full speed; 'shared', one job at a
   * time per queue and smaller relay passes; 'pressed', also at most one look per
   * BUSY_DEFER_MS_MAX, so that background work yields and catches up when the requests are done.
   */
  readonly pressure?: () => Pressure;
  readonly log?: { info(message: string): void; warn(object: object, message: string): void };
}

export interface JobRunner extends Jobs, OutboxService {
  /** Starts taking jobs, relaying the outbox and firing schedules in this process. */
  start(): Promise<void>;
  /** Stops taking work and waits for the jobs that run (bounded), so the database can close. */
  stop(): Promise<void>;
  readonly started: boolean;
  /** Relays every pending outbox row now (tests, and the relay loop). */
  relayPending(): Promise<number>;
  /** The queues this process declared (for the admin view). */
  readonly queues: readonly string[];
}

const CONSUMER_OPTIONS: WorkOptions = { concurrency: 8, retryLimit: 8, retryDelaySeconds: 5, retryBackoff: true };
const SCHEDULE_OPTIONS: WorkOptions = { concurrency: 1, retryLimit: 3, retryDelaySeconds: 60, retryBackoff: true };
const RETRY_DELAY_SECONDS_MAX = 3600;
const STOP_WAIT_MS = 10_000;
const MAINTENANCE_INTERVAL_MS = 60_000;
/** How long the relay waits after a local outbox write before it looks (the write has to commit). */
const RELAY_NUDGE_DELAY_MS = 15;
/** Under pressure, background work looks again after this long, and runs at least this often. */
const BUSY_RECHECK_MS = 10;
const BUSY_DEFER_MS_MAX = 1000;
/** Outbox rows one relay pass hands over while requests run (when they press, one pass per BUSY_DEFER_MS_MAX). */
const RELAY_BATCH_UNDER_PRESSURE = 100;

function bounded(value: number | undefined, fallback: number, min: number, max: number): number {
  if (value === undefined || !Number.isFinite(value)) return fallback;
  return Math.min(max, Math.max(min, Math.floor(value)));
}

interface QueuePolicy {
  readonly concurrency: number;
  readonly retryLimit: number;
  readonly retryDelaySeconds: number;
  readonly retryBackoff: boolean;
}

function policyOf(options: WorkOptions): QueuePolicy {
  return {
    concurrency: bounded(options.concurrency, 2, 1, 32),
    retryLimit: bounded(options.retryLimit, 5, 0, 20),
    retryDelaySeconds: bounded(options.retryDelaySeconds, 5, 0, RETRY_DELAY_SECONDS_MAX),
    retryBackoff: options.retryBackoff ?? true,
  };
}

/** The delay before the next attempt, or null when the job has used its retries. */
export function retryDelayFor(policy: QueuePolicy, retryCount: number): number | null {
  if (retryCount >= policy.retryLimit) return null;
  if (!policy.retryBackoff) return policy.retryDelaySeconds;
  const base = policy.retryDelaySeconds * 2 ** retryCount;
  // Jitter spreads the retries of jobs that failed together (an SMTP server that was down).
  return Math.min(RETRY_DELAY_SECONDS_MAX, Math.round(base * (0.8 + Math.random() * 0.4)));
}

function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

class QueueWorker {
  private running = 0;
  private polling: Promise<void> | undefined;
  private again = false;
  private timer: NodeJS.Timeout | undefined;
  private active = false;
  private deferred = false;
  private lastFetchMs = 0;
  readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly queue: string,
    private readonly policy: QueuePolicy,
    private readonly handler: JobHandler<Record<string, unknown>>,
    private readonly runner: { db: Db; pollIntervalMs: number; pressure(): Pressure; warn(object: object, message: string): void },
  ) {}

  start(): void {
    this.active = true;
    this.kick();
  }

  stop(): void {
    this.active = false;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Looks for due jobs now (coalesced with a poll that is running). */
  kick(): void {
    if (!this.active) return;
    if (this.polling !== undefined) {
      this.again = true;
      return;
    }
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.polling = this.poll().finally(() => {
      this.polling = undefined;
      if (!this.active) return;
      if (this.again && !this.deferred) {
        this.again = false;
        this.kick();
      } else {
        this.timer = setTimeout(() => this.kick(), this.deferred ? BUSY_RECHECK_MS : this.runner.pollIntervalMs);
        this.timer.unref();
      }
    });
  }

  async idle(): Promise<void> {
    await this.polling;
    await Promise.allSettled([...this.inFlight]);
  }

  private async poll(): Promise<void> {
    const pressure = this.runner.pressure();
    // While requests run, one job at a time per queue.
    const free = (pressure === 'idle' ? this.policy.concurrency : 1) - this.running;
    this.deferred = false;
    if (free <= 0) return;
    // A busy queue takes jobs in groups of at least half its concurrency rather than one as each
    // ends: every fetch walks the head of the waiting jobs' index, which fills with the entries of
    // jobs just taken until vacuum removes them, so its cost grows with the backlog drained.
    if (this.running > 0 && free < Math.ceil(this.policy.concurrency / 2)) return;
    if (pressure === 'pressed' && Date.now() - this.lastFetchMs < BUSY_DEFER_MS_MAX) {
      this.deferred = true;
      return;
    }
    this.lastFetchMs = Date.now();
    let jobs: FetchedJob[];
    try {
      jobs = await fetchJobs(this.runner.db, this.queue, free);
    } catch (error) {
      if (this.active) this.runner.warn({ err: error, queue: this.queue }, 'taking jobs failed');
      return;
    }
    for (const job of jobs) {
      this.running += 1;
      const run = this.run(job).finally(() => {
        this.running -= 1;
        this.inFlight.delete(run);
        this.kick();
      });
      this.inFlight.add(run);
    }
  }

  private async run(job: FetchedJob): Promise<void> {
    try {
      await this.handler(job.data, { id: job.id, retryCount: job.retryCount });
    } catch (error) {
      const delaySeconds = retryDelayFor(this.policy, job.retryCount);
      this.runner.warn({ err: error, queue: this.queue, job: job.id, retry_count: job.retryCount, dead: delaySeconds === null }, 'job failed');
      await failJob(this.runner.db, job.id, { error: errorText(error), delaySeconds }).catch((failure: unknown) =>
        this.runner.warn({ err: failure, job: job.id }, 'recording a job failure failed'),
      );
      return;
    }
    await completeJob(this.runner.db, job.id).catch((failure: unknown) => this.runner.warn({ err: failure, job: job.id }, 'completing a job failed'));
  }
}

interface Schedule {
  readonly name: string;
  readonly cron: string;
  timer?: NodeJS.Timeout;
}

export function createJobRunner(options: JobRunnerOptions): JobRunner {
  const { db } = options;
  const now = options.now ?? (() => new Date());
  const log = options.log ?? { info: () => undefined, warn: () => undefined };
  const workers = new Map<string, QueueWorker>();
  const consumers: OutboxConsumer[] = [];
  const schedules = new Map<string, Schedule>();
  const pressure = options.pressure ?? ((): Pressure => 'idle');
  const runnerDeps = { db, pollIntervalMs: options.pollIntervalMs, pressure, warn: (object: object, message: string) => log.warn(object, message) };
  let started = false;
  let stopping = false;
  let relayTimer: NodeJS.Timeout | undefined;
  let relaying: Promise<void> | undefined;
  let relayAgain = false;
  let lastRelayMs = 0;
  let relayDueMs = 0;
  let maintenanceTimer: NodeJS.Timeout | undefined;
  let removeWriteListener: (() => void) | undefined;

  function declare(queue: string, workOptions: WorkOptions, handler: JobHandler<Record<string, unknown>>): void {
    if (!/^[A-Za-z0-9._:-]{1,100}$/.test(queue)) throw new Error(`invalid queue name ${JSON.stringify(queue)}`);
    if (workers.has(queue)) throw new Error(`queue ${queue} already has a worker`);
    const worker = new QueueWorker(queue, policyOf(workOptions), handler, runnerDeps);
    workers.set(queue, worker);
    if (started) worker.start();
  }

  async function relayPending(): Promise<number> {
    let total = 0;
    for (;;) {
      const relayed = await relayOnce(db, consumers);
      total += relayed;
      if (relayed < RELAY_BATCH_MAX) break;
    }
    if (total > 0) for (const consumer of consumers) workers.get(consumerQueue(consumer))?.kick();
    return total;
  }

  /** One relay pass now, or right after the one that runs. */
  function relay(): void {
    if (!started || stopping) return;
    if (relaying !== undefined) {
      relayAgain = true;
      return;
    }
    if (relayTimer !== undefined) clearTimeout(relayTimer);
    relayTimer = undefined;
    const now = pressure();
    if (now === 'pressed' && Date.now() - lastRelayMs < BUSY_DEFER_MS_MAX) {
      armRelay(BUSY_RECHECK_MS);
      return;
    }
    lastRelayMs = Date.now();
    // While requests run a pass hands over fewer rows, so that catching up never competes hard with them.
    const batchMax = now === 'idle' ? RELAY_BATCH_MAX : RELAY_BATCH_UNDER_PRESSURE;
    relaying = relayOnce(db, consumers, batchMax)
      .then(
        (relayed) => {
          if (relayed > 0) for (const consumer of consumers) workers.get(consumerQueue(consumer))?.kick();
          // A full batch means more rows wait: another pass follows at once (or when pressure allows).
          if (relayed >= batchMax) relayAgain = true;
        },
        (error: unknown) => {
          if (!stopping) log.warn({ err: error }, 'outbox relay failed');
        },
      )
      .finally(() => {
        relaying = undefined;
        if (!started || stopping) return;
        const again = relayAgain;
        relayAgain = false;
        armRelay(again ? RELAY_NUDGE_DELAY_MS : options.pollIntervalMs);
      });
  }

  function nudgeRelay(): void {
    if (!started || stopping) return;
    if (relaying !== undefined) {
      relayAgain = true;
      return;
    }
    // A pass due sooner stays (a stream of writes must not keep pushing the pass back).
    if (relayTimer !== undefined && relayDueMs <= Date.now() + RELAY_NUDGE_DELAY_MS) return;
    armRelay(RELAY_NUDGE_DELAY_MS);
  }

  function armRelay(delayMs: number): void {
    if (relayTimer !== undefined) clearTimeout(relayTimer);
    relayDueMs = Date.now() + delayMs;
    relayTimer = setTimeout(relay, delayMs);
    relayTimer.unref();
  }

  function arm(schedule: Schedule, after: Date): void {
    const next = nextRunAt(schedule.cron, options.timeZone, after);
    if (next === null || stopping) return;
    // Timers are capped (setTimeout holds 24.8 days at most); a long wait re-arms on the way.
    const waitMs = Math.min(Math.max(0, next.getTime() - now().getTime()), 6 * 3_600_000);
    schedule.timer = setTimeout(() => {
      if (now().getTime() < next.getTime() - 5) return arm(schedule, after);
      const occurrence = next.toISOString();
      insertJob(db, { queue: `schedule.${schedule.name}`, data: { scheduled_for: occurrence }, singletonKey: occurrence })
        .then(() => workers.get(`schedule.${schedule.name}`)?.kick())
        .catch((error: unknown) => log.warn({ err: error, schedule: schedule.name }, 'enqueueing a scheduled run failed'));
      arm(schedule, next);
    }, waitMs);
    schedule.timer.unref();
  }

  async function maintain(first: boolean): Promise<void> {
    // A PGlite data directory belongs to one process, so at start every active job is an orphan.
    const olderThan = first && options.databaseKind === 'pglite' ? 0 : options.activeTimeoutSeconds;
    const released = await releaseStalledJobs(db, olderThan);
    if (released > 0) log.info(`${released} job(s) whose worker stopped went back to their queue`);
    await purgeFinished(db, options.retentionDays);
  }

  return {
    get started() {
      return started;
    },
    get queues() {
      return [...workers.keys()];
    },
    async work<T extends object>(queue: string, workOptions: WorkOptions, handler: JobHandler<T>) {
      declare(queue, workOptions, handler as unknown as JobHandler<Record<string, unknown>>);
    },
    async send<T extends object>(queue: string, data: T, sendOptions: SendOptions = {}) {
      const id = await insertJob(db, { queue, data, singletonKey: sendOptions.singletonKey, startAfterSeconds: sendOptions.startAfterSeconds });
      if (id !== null && (sendOptions.startAfterSeconds ?? 0) <= 0) workers.get(queue)?.kick();
      return id;
    },
    async schedule(name: string, cron: string, handler: () => Promise<void>) {
      if (schedules.has(name)) throw new Error(`schedule ${name} is already declared`);
      checkCron(cron, options.timeZone);
      const schedule: Schedule = { name, cron };
      schedules.set(name, schedule);
      declare(`schedule.${name}`, SCHEDULE_OPTIONS, () => handler());
      if (started) arm(schedule, now());
    },
    subscribe(consumer: OutboxConsumer) {
      if (!/^[a-z][a-z0-9_-]{0,40}$/.test(consumer.name)) throw new Error(`invalid consumer name ${JSON.stringify(consumer.name)}`);
      if (consumers.some((existing) => existing.name === consumer.name)) throw new Error(`consumer ${consumer.name} is already subscribed`);
      consumers.push(consumer);
      declare(consumerQueue(consumer), CONSUMER_OPTIONS, (data) => consumer.handle(eventFromJob(data)));
    },
    relayPending,
    async start() {
      if (started) return;
      started = true;
      stopping = false;
      await maintain(true);
      for (const worker of workers.values()) worker.start();
      for (const schedule of schedules.values()) arm(schedule, now());
      removeWriteListener = onOutboxWrite(nudgeRelay);
      relay();
      // Stalled jobs are looked for at least twice per timeout, so that one waits at most 1.5 timeouts.
      const maintenanceMs = Math.min(MAINTENANCE_INTERVAL_MS, (options.activeTimeoutSeconds * 1000) / 2);
      maintenanceTimer = setInterval(() => {
        maintain(false).catch((error: unknown) => log.warn({ err: error }, 'job maintenance failed'));
      }, maintenanceMs);
      maintenanceTimer.unref();
    },
    async stop() {
      if (!started) return;
      stopping = true;
      removeWriteListener?.();
      clearInterval(maintenanceTimer);
      if (relayTimer !== undefined) clearTimeout(relayTimer);
      for (const schedule of schedules.values()) clearTimeout(schedule.timer);
      for (const worker of workers.values()) worker.stop();
      let timeout: NodeJS.Timeout | undefined;
      const waited = new Promise<void>((resolve) => {
        timeout = setTimeout(resolve, STOP_WAIT_MS);
        timeout.unref();
      });
      await Promise.race([Promise.allSettled([relaying, ...[...workers.values()].map((worker) => worker.idle())]), waited]);
      clearTimeout(timeout);
      started = false;
    },
  };
}
