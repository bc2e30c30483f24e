/**
 * What every module receives from the platform: configuration, the database, transactions with
 * bounded retry, idempotent command execution, metrics, token signing and the clock.
 */
import type { Config } from './config.js';
import type { Database, Db } from './db/database.js';
import type { Migrations } from './db/migrate.js';
import type { Transactor } from './db/transaction.js';
import type { StatementRunner } from './db/script.js';
import type { IdempotentExecutor } from './http/idempotency.js';
import type { TokenService } from './http/tokens.js';
import type { Metrics } from './metrics.js';
import type { JobRunner } from './jobs/runner.js';
import type { OutboxService } from './outbox/index.js';
import type { Mailer } from './mail/index.js';
import type { SmsSender } from './sms/index.js';

import type { RequestActivity } from './activity.js';

export interface AppContext {
  readonly config: Config;
  readonly database: Database;
  readonly db: Db;
  readonly transact: Transactor;
  /** A transaction in scripts on a writer connection (the transfer engine's batches). */
  transactScripted<T>(work: (runner: StatementRunner) => Promise<T>): Promise<T>;
  readonly executeCommand: IdempotentExecutor;
  readonly metrics: Metrics;
  readonly tokens: TokenService;
  readonly migrations: Migrations;
  /** Background jobs: queues with retries and a dead letter, cron schedules (see platform/jobs). */
  readonly jobs: JobRunner;
  /** Outbox consumers subscribe here; the relay hands them every committed event. */
  readonly outbox: OutboxService;
  readonly mailer: Mailer;
  readonly sms: SmsSender;
  /** API requests in flight (the HTTP server counts them; background work yields to them). */
  readonly requestActivity: RequestActivity;
  /** The current time; one place so that tests can reason about bank days. */
  now(): Date;
  /** Registers work to finish before the database closes (draining queues). */
  onShutdown(hook: () => Promise<void>): void;
  /** Runs the shutdown hooks (the application calls it after the HTTP server has closed). */
  shutdown(): Promise<void>;
}
