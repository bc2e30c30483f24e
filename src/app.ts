/**
 * The composition root: opens the database, runs the migrations, builds the platform services
 * and mounts every module's routes. The CLI, the tests and the benchmarks all start Kosh here.
 */
import { readFileSync } from 'node:fs';
import { accountRoutes, accountsMigrations } from './modules/accounts/index.js';
import { auditMigrations, auditRoutes, recordAudit } from './modules/audit/index.js';
import { identityMigrations, identityRoutes, purgeSignInRecords, sessionValidator } from './modules/identity/index.js';
import { ledgerMigrations, ledgerRoutes } from './modules/ledger/index.js';
import { paymentRoutes, paymentsMigrations } from './modules/payments/index.js';
import { notifyMigrations, notifyRoutes, subscribeNotifications } from './modules/notify/index.js';
import { subscribeWebhooks, webhookRoutes, webhooksMigrations } from './modules/webhooks/index.js';
import type { Config } from './platform/config.js';
import type { AppContext } from './platform/context.js';
import { openDatabase, type Database } from './platform/db/database.js';
import { mergeMigrations, migrateToLatest } from './platform/db/migrate.js';
import { platformMigrations } from './platform/db/platform-migrations.js';
import { createTransactor, scriptedTransaction } from './platform/db/transaction.js';
import { createIdempotentExecutor, purgeExpiredIdempotencyKeys } from './platform/http/idempotency.js';
import type { RouteRateLimit } from './platform/http/rate-limit.js';
import { API_PREFIX, buildServer, type Api } from './platform/http/server.js';
import { createTokenService } from './platform/http/tokens.js';
import { createMetrics } from './platform/metrics.js';
import { requestPressure, RequestActivity } from './platform/activity.js';
import { loadSecrets } from './platform/secrets.js';
import { dataKeyFor } from './platform/data-key.js';
import { countUnfinished, createJobRunner, jobRoutes, jobsMigrations } from './platform/jobs/index.js';
import { outboxMigrations } from './platform/outbox/migrations.js';
import { countPending } from './platform/outbox/relay.js';
import { createMailer } from './platform/mail/index.js';
import { createSmsSender, type SmsOptions } from './platform/sms/index.js';

export const migrations = mergeMigrations(platformMigrations, identityMigrations, ledgerMigrations, accountsMigrations, paymentsMigrations, auditMigrations, outboxMigrations, jobsMigrations, notifyMigrations, webhooksMigrations);

/** The package's version, from the nearest package.json above this file (sources or build). */
function packageVersion(): string {
  for (const relative of ['../package.json', '../../package.json']) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(relative, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (manifest.name === 'kosh' && typeof manifest.version === 'string') return manifest.version;
    } catch {
      // Not at this level; try the next one up.
    }
  }
  return '0.0.0';
}

export const version: string = packageVersion();

/** Routes that move money, limited per user (MONEY_RATE_LIMIT_PER_USER_PER_MINUTE). */
const MONEY_ROUTES: ReadonlySet<string> = new Set(
  ['/transactions/deposit', '/transactions/withdraw', '/transfers', '/admin/transfers/:id/reverse'].map((path) => `${API_PREFIX}${path}`),
);

/** Routes that check a password, PIN or one-time code, limited per user (CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE). */
function checksCredentials(method: string, url: string): boolean {
  if (method === 'GET') return false;
  return (
    url === `${API_PREFIX}/users/me/password` ||
    url === `${API_PREFIX}/users/me/pin` ||
    url.startsWith(`${API_PREFIX}/users/me/2fa/`) ||
    url === `${API_PREFIX}/admin/users/:id/reveal`
  );
}

/** The rate limits of the API (in memory, per process; 0 turns one off). */
function rateLimits(config: Config): RouteRateLimit[] {
  return [
    { name: 'auth', by: 'ip', perMinute: config.AUTH_RATE_LIMIT_PER_IP_PER_MINUTE, matches: (_method, url) => url.startsWith(`${API_PREFIX}/auth/`) },
    { name: 'money', by: 'user', perMinute: config.MONEY_RATE_LIMIT_PER_USER_PER_MINUTE, matches: (method, url) => method === 'POST' && MONEY_ROUTES.has(url) },
    { name: 'credentials', by: 'user', perMinute: config.CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE, matches: checksCredentials },
    // Test events make the bank send requests on demand: bounded so that it cannot be used to flood a URL.
    { name: 'webhook-tests', by: 'user', perMinute: config.WEBHOOK_TEST_RATE_LIMIT_PER_USER_PER_MINUTE, matches: (method, url) => method === 'POST' && url === `${API_PREFIX}/webhooks/:id/test` },
  ];
}

export interface KoshApp {
  readonly http: Api;
  readonly context: AppContext;
  close(): Promise<void>;
}

export interface CreateAppOptions {
  readonly config: Config;
  /** An open database; by default one is opened from the configuration. */
  readonly database?: Database;
  /** Fastify logger options, or false for none. */
  readonly logger?: boolean | object;
  /** Keep signing secrets in memory only (tests). */
  readonly ephemeralSecrets?: boolean;
  readonly now?: () => Date;
}

export async function openConfiguredDatabase(config: Config): Promise<Database> {
  return openDatabase({
    databaseUrl: config.DATABASE_URL,
    dataDir: config.dataDir,
    poolMax: config.DATABASE_POOL_MAX,
    writerPoolMax: config.ENGINE_BATCHES_IN_FLIGHT_MAX + 1,
    statementTimeoutMs: config.DATABASE_STATEMENT_TIMEOUT_MS,
    pgliteSharedBuffersMb: config.PGLITE_SHARED_BUFFERS_MB,
  });
}

/** Log lines of the background work (jobs, relay, mail), as JSON lines like the server's. */
function backgroundLog(config: Config, logger: CreateAppOptions['logger']): { info(message: string): void; warn(object: object, message: string): void } {
  if (logger === false || config.LOG_LEVEL === 'silent') return { info: () => undefined, warn: () => undefined };
  const line = (level: number, message: string, object: object = {}) => {
    const fields = Object.fromEntries(Object.entries(object).map(([key, value]) => [key, value instanceof Error ? { type: value.name, message: value.message } : value]));
    process.stdout.write(`${JSON.stringify({ level, time: Date.now(), pid: process.pid, ...fields, msg: message })}\n`);
  };
  const quiet = config.LOG_LEVEL === 'fatal' || config.LOG_LEVEL === 'error';
  return {
    info: (message) => {
      if (!quiet && config.LOG_LEVEL !== 'warn') line(30, message);
    },
    warn: (object, message) => {
      if (!quiet) line(40, message, object);
    },
  };
}

function smsOptions(config: Config, log: (line: string) => void): SmsOptions {
  const extraFields = Object.fromEntries(new URLSearchParams(config.SMS_HTTP_EXTRA_FIELDS));
  return {
    driver: config.SMS_DRIVER,
    dataDir: config.dataDir,
    log,
    http:
      config.SMS_HTTP_URL === undefined
        ? undefined
        : {
            url: config.SMS_HTTP_URL,
            format: config.SMS_HTTP_FORMAT,
            authorization: config.SMS_HTTP_AUTHORIZATION,
            toField: config.SMS_HTTP_TO_FIELD,
            textField: config.SMS_HTTP_TEXT_FIELD,
            senderField: config.SMS_HTTP_SENDER_FIELD,
            sender: config.SMS_HTTP_SENDER,
            extraFields,
          },
  };
}

/** How long after the last API request, or the last wait for a database session, background work still yields. */
const CONTENTION_HOLD_MS = 250;

export async function createContext(options: CreateAppOptions & { database: Database }): Promise<AppContext> {
  const { config, database } = options;
  await migrateToLatest(database.db, migrations);
  const metrics = createMetrics({
    poolStats: () => database.poolStats(),
    backlog: async () => {
      const [outboxPending, jobs] = await Promise.all([countPending(database.db), countUnfinished(database.db)]);
      return { outboxPending, jobs };
    },
  });
  const countRetry = (sqlstate: string) => metrics.transactionRetries.inc({ sqlstate });
  const transact = createTransactor(database.db, countRetry);
  const shutdownHooks: Array<() => Promise<void>> = [];
  const secrets = loadSecrets({
    dataDir: config.dataDir,
    jwtSecret: config.JWT_SECRET,
    jwtPreviousSecrets: config.JWT_PREVIOUS_SECRETS,
    ephemeral: options.ephemeralSecrets === true,
  });
  const now = options.now ?? (() => new Date());
  // The data key is loaded (or generated) now, so that a problem with it stops the start.
  dataKeyFor(config);
  const log = backgroundLog(config, options.logger);
  const requestActivity = new RequestActivity();
  const jobs = createJobRunner({
    db: database.db,
    databaseKind: database.kind,
    timeZone: config.BANK_TIMEZONE,
    pollIntervalMs: config.JOBS_POLL_INTERVAL_MS,
    activeTimeoutSeconds: config.JOBS_ACTIVE_TIMEOUT_SECONDS,
    retentionDays: config.JOBS_RETENTION_DAYS,
    now,
    // Requests first: background work slows down while API requests run, and nearly stops while they
    // wait for a database session or keep the event loop busy (see platform/activity.ts).
    pressure: requestPressure(database, requestActivity, CONTENTION_HOLD_MS),
    log,
  });
  const inMemory = config.DATA_DIR.startsWith('memory://');
  const mailer = createMailer({ smtpUrl: config.SMTP_URL, from: config.MAIL_FROM, dataDir: inMemory ? null : config.dataDir, log: (line) => log.info(line) });
  const sms = createSmsSender(smsOptions(config, (line) => log.info(line)));
  // Workers stop before the database closes (shutdown hooks run after the HTTP server closed).
  shutdownHooks.push(async () => {
    await jobs.stop();
    mailer.close();
  });
  return {
    config,
    database,
    db: database.db,
    transact,
    transactScripted: (work) => scriptedTransaction(database, work, { onRetry: countRetry }),
    executeCommand: createIdempotentExecutor({ transact, ttlHours: config.IDEMPOTENCY_TTL_HOURS }),
    metrics,
    tokens: createTokenService({
      keys: { current: secrets.jwt, previous: secrets.jwtPrevious },
      issuer: config.JWT_ISSUER,
      audience: config.JWT_AUDIENCE,
      accessTokenTtlSeconds: config.ACCESS_TOKEN_TTL_SECONDS,
      now,
    }),
    migrations,
    jobs,
    outbox: jobs,
    mailer,
    sms,
    requestActivity,
    now,
    onShutdown: (hook) => {
      shutdownHooks.push(hook);
    },
    shutdown: async () => {
      await Promise.all(shutdownHooks.splice(0).map((hook) => hook()));
    },
  };
}

/**
 * Declares the outbox consumers and the schedules, in every process: the server (which runs them
 * when JOBS_IN_PROCESS is on) and `kosh worker` (which only runs them).
 */
export async function declareBackgroundWork(context: AppContext): Promise<void> {
  await subscribeNotifications(context);
  await subscribeWebhooks(context);
  // Housekeeping, every hour at minute 17 in the bank's time zone.
  await context.jobs.schedule('purge-expired', '17 * * * *', async () => {
    await purgeExpiredIdempotencyKeys(context.transact);
    await purgeSignInRecords(context);
  });
}

export async function createApp(options: CreateAppOptions): Promise<KoshApp> {
  const database = options.database ?? (await openConfiguredDatabase(options.config));
  try {
    const context = await createContext({ ...options, database });
    await declareBackgroundWork(context);
    const http = await buildServer({
      context,
      routes: [
        identityRoutes,
        accountRoutes,
        paymentRoutes,
        ledgerRoutes,
        auditRoutes,
        (api, context) => jobRoutes(api, context, recordAudit),
        notifyRoutes,
        webhookRoutes,
      ],
      sessionIsValid: sessionValidator(context),
      rateLimits: rateLimits(options.config),
      logger: options.logger ?? true,
      version,
    });
    await http.ready();
    if (options.config.JOBS_IN_PROCESS) await context.jobs.start();
    let closed = false;
    return {
      http,
      context,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await http.close();
          await context.shutdown();
        } finally {
          await database.close();
        }
      },
    };
  } catch (error) {
    await database.close();
    throw error;
  }
}
