/**
 * Configuration from the environment. Every variable is documented in .env.example with a safe
 * default; a value that cannot be parsed stops the process at start with a message naming it.
 */
import { resolve } from 'node:path';
import ipaddr from 'ipaddr.js';
import { z } from 'zod';
import { isValidTimeZone } from '../core/time.js';

const booleanish = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');

const rupees = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,12})(\.[0-9]{1,2})?$/, 'must be a decimal amount such as 100000.00');

/** A web origin: http or https, a host and an optional port, nothing else (no path, no wildcard). */
function isOrigin(value: string): boolean {
  if (!/^https?:\/\/[^/?#*\s]+$/.test(value)) return false;
  try {
    const url = new URL(value);
    return url.origin === value;
  } catch {
    return false;
  }
}

/** A WEBHOOK_ALLOWED_HOSTS entry: host, host:port, [IPv6] with an optional port, or a CIDR block. */
function isAllowlistEntry(entry: string): boolean {
  if (entry.includes('/')) {
    try {
      ipaddr.parseCIDR(entry);
      return true;
    } catch {
      return false;
    }
  }
  return /^(\[[0-9a-f:.]+\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:[0-9]{1,5})?$/.test(entry.toLowerCase());
}

const environmentSchema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(8000),
  HOST: z.string().min(1).default('127.0.0.1'),
  DATA_DIR: z.string().min(1).default('./data'),
  DATABASE_URL: z.string().url().optional(),
  /** When set, GET /metrics answers only requests with `Authorization: Bearer <token>`. */
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').max(512).optional(),
  WORKERS: z.coerce.number().int().min(1).max(64).default(1),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  DATABASE_STATEMENT_TIMEOUT_MS: z.coerce.number().int().min(100).max(600_000).default(15_000),
  /** PGlite's shared_buffers in MB. Its pages stay in the process's WebAssembly memory, which never shrinks. */
  PGLITE_SHARED_BUFFERS_MB: z.coerce.number().int().min(1).max(1024).default(16),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  BANK_NAME: z.string().min(1).max(80).default('Kosh Bank'),
  BANK_TIMEZONE: z.string().default('Asia/Kolkata').refine(isValidTimeZone, 'must be an IANA time zone'),
  BANK_CURRENCY: z.string().regex(/^[A-Z]{3}$/).default('INR'),
  JWT_SECRET: z.string().min(32).optional(),
  // Retired signing secrets, comma-separated: tokens they signed stay valid until they expire.
  JWT_PREVIOUS_SECRETS: z
    .string()
    .optional()
    .refine((value) => value === undefined || value.split(',').every((secret) => secret.trim().length >= 32), 'each secret must have at least 32 characters'),
  JWT_ISSUER: z.string().min(1).default('kosh'),
  JWT_AUDIENCE: z.string().min(1).default('kosh-api'),
  ACCESS_TOKEN_TTL_SECONDS: z.coerce.number().int().min(30).max(86_400).default(900),
  REFRESH_TOKEN_TTL_SECONDS: z.coerce.number().int().min(300).max(90 * 86_400).default(30 * 86_400),
  LOGIN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(0).max(100).default(5),
  LOGIN_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(60),
  LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(10),
  MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(60),
  CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(10),
  DAILY_LIMIT_SAVINGS: rupees.default('200000.00'),
  DAILY_LIMIT_CHECKING: rupees.default('500000.00'),
  DAILY_LIMIT_WALLET: rupees.default('50000.00'),
  // KYC tiers: customers whose KYC is not verified get a lower daily limit on every account and a
  // cap on the balance of their wallets (RBI's minimum-KYC wallets), in each currency's major units.
  KYC_UNVERIFIED_DAILY_LIMIT: rupees.default('10000.00'),
  KYC_UNVERIFIED_WALLET_BALANCE_MAX: rupees.default('10000.00'),
  // Withdrawals and transfers above this amount need the transaction PIN ('off': never).
  PIN_REQUIRED_ABOVE: z.union([z.literal('off'), rupees]).default('10000.00'),
  PIN_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  PIN_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  TWO_FACTOR_LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
  TWO_FACTOR_LOCKOUT_MINUTES: z.coerce.number().int().min(1).max(24 * 60).default(15),
  DATA_ENCRYPTION_KEY: z.string().min(32).optional(),
  BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(10 * 1024 * 1024).default(64 * 1024),
  IDEMPOTENCY_TTL_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(24),
  ENGINE_BATCH_SIZE_MAX: z.coerce.number().int().min(1).max(2000).default(250),
  ENGINE_BATCH_WAIT_MS: z.coerce.number().min(0).max(100).default(2),
  ENGINE_QUEUE_LENGTH_MAX: z.coerce.number().int().min(1).max(1_000_000).default(20_000),
  ENGINE_BATCHES_IN_FLIGHT_MAX: z.coerce.number().int().min(1).max(64).default(4),
  SEED_ON_EMPTY: booleanish.default(true),
  // Background jobs: `kosh serve` runs the workers in its own process unless this is false (then
  // run `kosh worker` beside it). The poll interval bounds the latency of jobs enqueued elsewhere.
  JOBS_IN_PROCESS: booleanish.default(true),
  JOBS_POLL_INTERVAL_MS: z.coerce.number().int().min(50).max(60_000).default(500),
  JOBS_ACTIVE_TIMEOUT_SECONDS: z.coerce.number().int().min(10).max(86_400).default(900),
  JOBS_RETENTION_DAYS: z.coerce.number().int().min(1).max(365).default(7),
  // E-mail: smtp://user:pass@host:port (STARTTLS when the server offers it) or smtps:// (TLS); unset
  // writes each message as an .eml file under DATA_DIR/mail.
  SMTP_URL: z
    .string()
    .optional()
    .refine((value) => value === undefined || /^smtps?:\/\/[^\s]+$/.test(value), 'must be smtp://user:pass@host:port or smtps://…'),
  MAIL_FROM: z.string().min(3).max(200).default('Kosh Bank <no-reply@kosh.local>'),
  // SMS: console (a log line), file (DATA_DIR/sms/outbox.jsonl) or http (a gateway, below).
  SMS_DRIVER: z.enum(['console', 'file', 'http']).default('console'),
  SMS_HTTP_URL: z.string().url().optional(),
  SMS_HTTP_FORMAT: z.enum(['form', 'json']).default('form'),
  SMS_HTTP_AUTHORIZATION: z.string().optional(),
  SMS_HTTP_TO_FIELD: z.string().min(1).max(50).default('to'),
  SMS_HTTP_TEXT_FIELD: z.string().min(1).max(50).default('text'),
  SMS_HTTP_SENDER_FIELD: z.string().min(1).max(50).default('from'),
  SMS_HTTP_SENDER: z.string().max(20).optional(),
  // Extra fixed body fields some gateways want, as name=value pairs joined by & (apikey=…&route=t).
  SMS_HTTP_EXTRA_FIELDS: z.string().max(2000).default(''),
  TRUST_PROXY: booleanish.default(false),
  // Browser origins allowed to call the API from another origin (with credentials), comma-separated.
  CORS_ORIGINS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((origin) => origin.trim()).filter((origin) => origin !== ''))
    .refine((origins) => origins.every(isOrigin), 'must be comma-separated origins such as https://app.example.in (scheme, host and port only)'),
  // Outbound webhooks: exceptions to the SSRF guard (host, host:port or CIDR entries, comma-separated),
  // the time limit of one delivery attempt, retries, and when a failing endpoint is disabled.
  WEBHOOK_ALLOWED_HOSTS: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .refine((entries) => entries.every(isAllowlistEntry), 'must be comma-separated host, host:port or CIDR entries such as 127.0.0.1:8081 or 10.0.0.0/8'),
  WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).max(30_000).default(5_000),
  WEBHOOK_ATTEMPTS_MAX: z.coerce.number().int().min(1).max(20).default(8),
  WEBHOOK_RETRY_BASE_SECONDS: z.coerce.number().int().min(0).max(3_600).default(30),
  WEBHOOK_FAILURES_BEFORE_DISABLE: z.coerce.number().int().min(1).max(1_000).default(20),
  WEBHOOK_ENDPOINTS_PER_USER_MAX: z.coerce.number().int().min(1).max(100).default(10),
  WEBHOOK_TEST_RATE_LIMIT_PER_USER_PER_MINUTE: z.coerce.number().int().min(0).max(10_000_000).default(10),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Names of every configuration variable (documented in .env.example). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(environmentSchema.shape);

export interface Config extends Environment {
  /** Absolute path of DATA_DIR. */
  readonly dataDir: string;
}

export class ConfigError extends Error {}

export function loadConfig(environment: NodeJS.ProcessEnv = process.env, overrides: Partial<Environment> = {}): Config {
  // Empty strings in .env files mean "unset".
  const cleaned = Object.fromEntries(
    Object.entries(environment).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = environmentSchema.safeParse(cleaned);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const merged = { ...parsed.data, ...overrides };
  return { ...merged, dataDir: resolve(merged.DATA_DIR) };
}
