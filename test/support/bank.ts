/**
 * A Kosh instance for tests: PGlite in memory by default, or a fresh database on the test
 * PostgreSQL server. Requests go through Fastify's inject (no sockets) unless `listen` is set.
 */
import { inject } from 'vitest';
import { createApp, type KoshApp } from '../../src/app.js';
import { SYSTEM_ACTOR } from '../../src/modules/audit/index.js';
import { registerUser, setKycStatus, type KycStatus } from '../../src/modules/identity/index.js';
import type { Role } from '../../src/core/roles.js';
import { loadConfig, type Environment } from '../../src/platform/config.js';
import { openDatabase } from '../../src/platform/db/database.js';
import { createTestDatabase } from './postgres.js';

export const TEST_PASSWORD = 'correct horse battery staple';

export interface Reply<T = any> {
  readonly status: number;
  readonly body: T;
  readonly text: string;
  readonly headers: Record<string, string | number | string[] | undefined>;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as is (for malformed JSON). */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface Customer {
  readonly userId: string;
  readonly username: string;
  readonly token: string;
}

export interface TestBank {
  readonly app: KoshApp;
  request<T = any>(method: string, url: string, options?: RequestOptions): Promise<Reply<T>>;
  /**
   * Registers a user (customer unless a role is given) and signs them in. Customers are KYC-verified
   * (the system actor's decision) unless `kyc` says otherwise, so that suites not about KYC tiers
   * get the ordinary limits.
   */
  user(username: string, role?: Role, options?: { kyc?: KycStatus }): Promise<Customer>;
  /** Opens an account for a customer and returns its body. */
  openAccount(customer: Customer, type?: 'savings' | 'checking' | 'wallet', currency?: string): Promise<any>;
  deposit(customer: Customer, accountId: string, amount: string): Promise<Reply>;
  balance(customer: Customer, accountId: string): Promise<string>;
  integrity(): Promise<unknown[]>;
  close(): Promise<void>;
}

export interface StartOptions {
  /** A PostgreSQL server URL: a fresh database is created on it. */
  readonly postgresUrl?: string;
  readonly env?: Partial<Record<keyof Environment, string>>;
  readonly now?: () => Date;
}

let counter = 0;

/**
 * Suites register and sign in many users from one address through inject, so the tests' banks
 * allow far more than the defaults; the rate-limit suite sets its own limits.
 */
/**
 * Test-bank defaults: limits that suites not about them would trip over (many sign-ins from one
 * address, large amounts without a PIN). Suites of these features set their own values.
 */
const TEST_DEFAULTS = {
  PIN_REQUIRED_ABOVE: 'off',
  AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '1000000',
  MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
  CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
};

export async function startTestBank(options: StartOptions = {}): Promise<TestBank> {
  const config = loadConfig({ LOG_LEVEL: 'silent', DATA_DIR: 'memory://', NODE_ENV: 'test', ...TEST_DEFAULTS, ...options.env });
  // The "postgres" test project runs the API suites against the test PostgreSQL server.
  const postgresUrl = options.postgresUrl ?? (process.env.KOSH_TEST_DATABASE === 'postgres' ? inject('postgresUrl') : undefined);
  const databaseUrl = postgresUrl === undefined ? undefined : await createTestDatabase(postgresUrl, 'kosh_test');
  const database = await openDatabase({ databaseUrl, dataDir: 'memory://', poolMax: 40 });
  const app = await createApp({
    config: { ...config, DATABASE_URL: databaseUrl },
    database,
    logger: false,
    ephemeralSecrets: true,
    ...(options.now === undefined ? {} : { now: options.now }),
  });

  async function request<T = any>(method: string, url: string, requestOptions: RequestOptions = {}): Promise<Reply<T>> {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token !== undefined) headers.authorization = `Bearer ${requestOptions.token}`;
    let payload: string | undefined;
    if (requestOptions.rawBody !== undefined) payload = requestOptions.rawBody;
    else if (requestOptions.body !== undefined) payload = JSON.stringify(requestOptions.body);
    if (payload !== undefined && headers['content-type'] === undefined) headers['content-type'] = 'application/json';
    const response = await app.http.inject({ method: method as 'GET', url, headers, payload });
    let body: unknown;
    try {
      body = response.body === '' ? undefined : JSON.parse(response.body);
    } catch {
      body = undefined;
    }
    return { status: response.statusCode, body: body as T, text: response.body, headers: response.headers };
  }

  async function user(username: string, role: Role = 'customer', userOptions: { kyc?: KycStatus } = {}): Promise<Customer> {
    counter += 1;
    const created = await registerUser(app.context, {
      username,
      password: TEST_PASSWORD,
      email: `${username}.${counter}@example.in`,
      fullName: `Test ${username}`,
      role,
    });
    const kyc = userOptions.kyc ?? 'verified';
    if (role === 'customer' && kyc !== 'pending') {
      await setKycStatus(app.context, SYSTEM_ACTOR, { userId: created.id, status: kyc, reason: 'Test bank customer' });
    }
    const login = await request('POST', '/api/v1/auth/login', { body: { username, password: TEST_PASSWORD } });
    if (login.status !== 200) throw new Error(`login failed: ${login.text}`);
    return { userId: created.id, username, token: login.body.access_token };
  }

  return {
    app,
    request,
    user,
    async openAccount(customer, type = 'savings', currency) {
      const reply = await request('POST', '/api/v1/accounts', { token: customer.token, body: { type, ...(currency ? { currency } : {}) } });
      if (reply.status !== 201) throw new Error(`open account failed: ${reply.text}`);
      return reply.body;
    },
    async deposit(customer, accountId, amount) {
      return request('POST', '/api/v1/transactions/deposit', { token: customer.token, body: { account_id: accountId, amount } });
    },
    async balance(customer, accountId) {
      const reply = await request('GET', `/api/v1/accounts/${accountId}/balance`, { token: customer.token });
      if (reply.status !== 200) throw new Error(`balance failed: ${reply.text}`);
      return reply.body.balance;
    },
    async integrity() {
      const { checkIntegrity } = await import('../../src/modules/ledger/index.js');
      return checkIntegrity(app.context.db);
    },
    close: () => app.close(),
  };
}
