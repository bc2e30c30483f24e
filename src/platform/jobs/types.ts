/** The job facility modules receive on the application context (context.jobs). */
export interface WorkOptions {
  /** Jobs of this queue running at once in this process (1 to 32; default 2). */
  readonly concurrency?: number;
  /** Retries after the first attempt before the job is dead-lettered (0 to 20; default 5). */
  readonly retryLimit?: number;
  /** Delay before the first retry (default 5 s). */
  readonly retryDelaySeconds?: number;
  /** Doubles the delay at each retry, with jitter, up to an hour (default true). */
  readonly retryBackoff?: boolean;
}

export interface JobInfo {
  readonly id: string;
  /** How many attempts failed before this one. */
  readonly retryCount: number;
}

export type JobHandler<T> = (data: T, job: JobInfo) => Promise<void>;

export interface SendOptions {
  /** At most one job with this key per queue, ever (until the job is purged): send returns null. */
  readonly singletonKey?: string;
  readonly startAfterSeconds?: number;
}

export interface Jobs {
  /** Declares a queue with a handler; retryLimit/backoff/concurrency bounded per queue. */
  work<T extends object>(queue: string, options: WorkOptions, handler: JobHandler<T>): Promise<void>;
  /** Enqueues; singletonKey makes it idempotent. startAfterSeconds delays it. Returns the job id, or
   *  null when a job with the same singletonKey exists. */
  send<T extends object>(queue: string, data: T, options?: SendOptions): Promise<string | null>;
  /** Cron schedule in the bank's time zone (config BANK_TIMEZONE); one run per occurrence across
   *  every process (the occurrence is a singleton job). */
  schedule(name: string, cron: string, handler: () => Promise<void>): Promise<void>;
}
