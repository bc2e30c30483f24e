/**
 * Crashes under load, on real PostgreSQL databases. Clients keep transferring money among six
 * accounts, each logical transfer with its own Idempotency-Key (and that key as its description);
 * a client counts a transfer as acknowledged only on a 2xx and, on anything else that is not a
 * definitive refusal (connection error, 5xx, 409 idempotency_key_in_use), sends the same request
 * with the same key again until it gets an answer. Meanwhile:
 *
 *   a. the Kosh server (`node bin/kosh.mjs serve`, a child process) is killed with SIGKILL at
 *      random moments, at least 20 times, and restarted on the same port and JWT secret;
 *   b. PostgreSQL itself is killed (immediate stop: crash recovery at the next start) at least 5
 *      times and restarted, while an in-process Kosh server must ride through with 503s.
 *
 * Afterwards every acknowledged transfer is in the table exactly once, no logical transfer was
 * applied twice or applied after a definitive refusal, the table holds exactly the transfers that
 * ended in 201, each balance is the replay of the acknowledged transfers, the total is unchanged,
 * and the books pass the integrity check.
 *
 * KOSH_CRASH_SEED replays the random choices (the timing of the crashes is still real time).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, afterEach, describe, expect, inject, it } from 'vitest';
import { currencyOf, formatAmount, parseAmount } from '../../src/core/money.js';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';
import { startPostgres, type PostgresServer } from '../support/postgres.js';
import { randomGenerator, sleep } from '../support/random.js';

const INR = currencyOf('INR');
const KOSH = join(process.cwd(), 'bin', 'kosh.mjs');
const CLIENTS = 16;
const FUNDING = ['30000.00', '20000.00', '15000.00', '10000.00', '5000.00', '2500.00'] as const;
const AMOUNT_MAX_MINOR = 250_000; // 2500.00: enough to be refused now and then
const SERVER_KILLS = 20;
const POSTGRES_KILLS = 6;
/** A logical transfer that has no answer after this long is reported (and abandoned). */
const LOGICAL_TRANSFER_BUDGET_MS = 60_000;
const NO_DAILY_LIMITS = { DAILY_LIMIT_SAVINGS: '9999999999999.99', DAILY_LIMIT_CHECKING: '9999999999999.99', DAILY_LIMIT_WALLET: '9999999999999.99' };
const PROBLEMS_SHOWN = 25;

interface AccountRef {
  readonly id: string;
  readonly number: string;
  readonly ownerIndex: number;
}

interface HttpReply {
  readonly status: number;
  readonly text: string;
  readonly body: any;
  readonly replayed: boolean;
}

interface LogicalTransfer {
  readonly key: string;
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  /** 201 with the transfer id, 402, or still open (a problem). */
  outcome: { status: 201; id: string; text: string } | { status: 402 } | { status: 'open'; last: string };
  attempts: number;
}

interface WorkloadResult {
  readonly transfers: LogicalTransfer[];
  readonly statuses: Map<string, number>;
  readonly problems: string[];
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return cause?.code ?? cause?.message ?? (error as Error).message;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function httpCall(url: string, init: { method: string; token?: string; body?: unknown; key?: string }): Promise<HttpReply> {
  const response = await fetch(url, {
    method: init.method,
    headers: {
      ...(init.token === undefined ? {} : { authorization: `Bearer ${init.token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(init.key === undefined ? {} : { 'idempotency-key': init.key }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, text, body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
}

/** Customers with two accounts each, funded by deposits through the in-process bank. */
async function openFundedAccounts(bank: TestBank, label: string): Promise<{ usernames: string[]; accounts: AccountRef[] }> {
  const customers: Customer[] = [];
  const accounts: AccountRef[] = [];
  for (let index = 0; index < FUNDING.length; index += 1) {
    const ownerIndex = Math.floor(index / 2);
    const customer = customers[ownerIndex] ?? (await bank.user(`${label}${ownerIndex}`));
    customers[ownerIndex] = customer;
    const account = await bank.openAccount(customer, 'savings');
    const deposit = await bank.deposit(customer, account.id, FUNDING[index] as string);
    expect(deposit.status, deposit.text).toBe(201);
    accounts.push({ id: account.id, number: account.number, ownerIndex });
  }
  return { usernames: customers.map((customer) => customer.username), accounts };
}

async function isReady(baseUrl: string): Promise<boolean> {
  try {
    const response = await fetch(`${baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function login(baseUrl: string, username: string): Promise<string> {
  const reply = await httpCall(`${baseUrl}/api/v1/auth/login`, { method: 'POST', body: { username, password: TEST_PASSWORD } });
  expect(reply.status, reply.text).toBe(200);
  return reply.body.access_token as string;
}

/**
 * The clients: each sends logical transfers one after another until `stop()` is true, retrying
 * each with its key until it gets a definitive answer.
 */
async function runClients(options: {
  readonly label: string;
  readonly seed: number;
  readonly baseUrl: string;
  readonly tokens: readonly string[];
  readonly accounts: readonly AccountRef[];
  readonly stop: () => boolean;
}): Promise<WorkloadResult> {
  const transfers: LogicalTransfer[] = [];
  const statuses = new Map<string, number>();
  const problems: string[] = [];
  const count = (label: string) => statuses.set(label, (statuses.get(label) ?? 0) + 1);
  const problem = (message: string) => {
    if (problems.length < 1000) problems.push(message);
  };

  async function settle(transfer: LogicalTransfer, token: string, body: Record<string, string>, random: () => number): Promise<void> {
    const deadline = Date.now() + LOGICAL_TRANSFER_BUDGET_MS;
    while (Date.now() < deadline) {
      transfer.attempts += 1;
      let reply: HttpReply;
      try {
        reply = await httpCall(`${options.baseUrl}/api/v1/transfers`, { method: 'POST', token, body, key: transfer.key });
      } catch (error) {
        // Connection refused or reset, or a timeout: the server is down or was killed mid-request.
        count(`fetch_error:${describeError(error)}`);
        transfer.outcome = { status: 'open', last: describeError(error) };
        await sleep(100 + random() * 150);
        continue;
      }
      count(reply.replayed ? `${reply.status} replayed` : String(reply.status));
      if (reply.status >= 200 && reply.status < 300) {
        const created = reply.body;
        if (
          reply.status !== 201 ||
          created?.type !== 'transfer' ||
          created.from_account_id !== transfer.from ||
          created.to_account_id !== transfer.to ||
          created.amount !== body.amount ||
          created.description !== transfer.key
        ) {
          problem(`${transfer.key}: 2xx does not match its request ${JSON.stringify(body)}: ${reply.status} ${reply.text}`);
        }
        transfer.outcome = { status: 201, id: created.id, text: reply.text };
        return;
      }
      if (reply.status === 402) {
        if (reply.body?.code !== 'insufficient_funds') problem(`${transfer.key}: 402 with ${reply.text}`);
        transfer.outcome = { status: 402 };
        return;
      }
      transfer.outcome = { status: 'open', last: `${reply.status} ${reply.text}` };
      if (reply.status === 409 && reply.body?.code === 'idempotency_key_in_use') {
        await sleep(20 + random() * 80);
        continue;
      }
      if (reply.status >= 500) {
        if (reply.status !== 503) problem(`${transfer.key}: ${reply.status} ${reply.text}`);
        await sleep(50 + random() * 150);
        continue;
      }
      problem(`${transfer.key}: unexpected ${reply.status} for ${JSON.stringify(body)}: ${reply.text}`);
      return;
    }
    problem(`${transfer.key}: no answer after ${LOGICAL_TRANSFER_BUDGET_MS} ms and ${transfer.attempts} attempts (last: ${JSON.stringify(transfer.outcome)})`);
  }

  async function client(clientIndex: number): Promise<void> {
    const random = randomGenerator(options.seed * 7919 + clientIndex);
    for (let sequence = 1; !options.stop(); sequence += 1) {
      const fromIndex = Math.floor(random() * options.accounts.length);
      let toIndex = Math.floor(random() * (options.accounts.length - 1));
      if (toIndex >= fromIndex) toIndex += 1;
      const from = options.accounts[fromIndex] as AccountRef;
      const to = options.accounts[toIndex] as AccountRef;
      const amountMinor = 1n + BigInt(Math.floor(random() * AMOUNT_MAX_MINOR));
      const key = `${options.label}-${options.seed}-${clientIndex}-${sequence}`;
      const transfer: LogicalTransfer = { key, from: from.id, to: to.id, amountMinor, outcome: { status: 'open', last: 'not sent' }, attempts: 0 };
      transfers.push(transfer);
      const body = {
        from_account_id: from.id,
        ...(from.ownerIndex === to.ownerIndex ? { to_account_id: to.id } : { to_account_number: to.number }),
        amount: formatAmount(amountMinor, INR),
        description: key,
      };
      await settle(transfer, options.tokens[from.ownerIndex] as string, body, random);
    }
  }

  await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));
  return { transfers, statuses, problems };
}

/** The checks after a run: every acknowledgement kept, nothing applied twice, the books right. */
async function checkAfterCrashes(bank: TestBank, accounts: readonly AccountRef[], result: WorkloadResult, context: string): Promise<void> {
  const { transfers, problems } = result;
  expect(problems.slice(0, PROBLEMS_SHOWN), `${problems.length} problem(s), ${context}`).toEqual([]);
  const open = transfers.filter((transfer) => transfer.outcome.status === 'open');
  expect(open.map((transfer) => `${transfer.key}: ${JSON.stringify(transfer.outcome)}`), context).toEqual([]);

  const db = bank.app.context.db;
  const rows = (
    await sql<{ id: string; description: string | null; from_account_id: string; to_account_id: string; amount_minor: bigint }>`
      select id, description, from_account_id, to_account_id, amount_minor from transfers where kind = 'transfer'`.execute(db)
  ).rows;
  const rowsById = new Map(rows.map((row) => [row.id, row]));
  const byKey = new Map(transfers.map((transfer) => [transfer.key, transfer]));

  // No logical transfer applied twice.
  const duplicated = await sql<{ description: string | null; n: bigint }>`
    select description, count(*) as n from transfers where kind = 'transfer' group by description having count(*) > 1`.execute(db);
  expect(duplicated.rows, `logical transfers applied more than once, ${context}`).toEqual([]);

  // Every acknowledged transfer is in the table (once: its id is the primary key), as acknowledged.
  const acknowledged = transfers.filter((transfer) => transfer.outcome.status === 201);
  const missing: string[] = [];
  for (const transfer of acknowledged) {
    const outcome = transfer.outcome as { status: 201; id: string };
    const row = rowsById.get(outcome.id);
    if (row === undefined) {
      missing.push(`${transfer.key} -> ${outcome.id}`);
      continue;
    }
    expect([row.description, row.from_account_id, row.to_account_id, row.amount_minor], transfer.key).toEqual([
      transfer.key,
      transfer.from,
      transfer.to,
      transfer.amountMinor,
    ]);
  }
  expect(missing, `acknowledged transfers missing from the table, ${context}`).toEqual([]);

  // Nothing else is in the table: no row without a logical transfer, none for a refused one.
  const strays = rows.filter((row) => {
    const transfer = row.description === null ? undefined : byKey.get(row.description);
    return transfer === undefined || transfer.outcome.status !== 201 || transfer.outcome.id !== row.id;
  });
  expect(
    strays.map((row) => `${row.id} ${row.description} (${JSON.stringify(row.description === null ? null : byKey.get(row.description)?.outcome.status)})`),
    `rows that are not an acknowledged transfer, ${context}`,
  ).toEqual([]);
  expect(rows.length, context).toBe(acknowledged.length);
  const entries = await sql<{ n: bigint }>`select count(*) as n from journal_entries where kind = 'transfer'`.execute(db);
  expect(entries.rows[0]?.n, context).toBe(BigInt(acknowledged.length));

  // Balances: the total is unchanged and each balance is the replay of the acknowledged transfers.
  const ids = accounts.map((account) => account.id);
  const balanceRows = await sql<{ id: string; balance_minor: bigint }>`
    select id, balance_minor from ledger_accounts where id = any(${ids}::uuid[])`.execute(db);
  const balances = Object.fromEntries(balanceRows.rows.map((row) => [row.id, row.balance_minor]));
  const derived = new Map(accounts.map((account, index) => [account.id, parseAmount(FUNDING[index] as string, INR)]));
  for (const transfer of acknowledged) {
    derived.set(transfer.from, (derived.get(transfer.from) ?? 0n) - transfer.amountMinor);
    derived.set(transfer.to, (derived.get(transfer.to) ?? 0n) + transfer.amountMinor);
  }
  const total = Object.values(balances).reduce((sum, value) => sum + value, 0n);
  const funded = FUNDING.reduce((sum, amount) => sum + parseAmount(amount, INR), 0n);
  expect(formatAmount(total, INR), context).toBe(formatAmount(funded, INR));
  expect(balances, context).toEqual(Object.fromEntries(derived));
  for (const [id, balance] of Object.entries(balances)) expect(balance >= 0n, `${id} holds ${balance}`).toBe(true);

  expect(await bank.integrity(), context).toEqual([]);
}

function summarize(variant: string, seed: number, result: WorkloadResult, extra: Record<string, unknown>): string {
  const ended201 = result.transfers.filter((transfer) => transfer.outcome.status === 201).length;
  const ended402 = result.transfers.filter((transfer) => transfer.outcome.status === 402).length;
  const retried = result.transfers.filter((transfer) => transfer.attempts > 1).length;
  return JSON.stringify({
    variant,
    seed,
    logical_transfers: result.transfers.length,
    ended_201: ended201,
    ended_402: ended402,
    retried_logical_transfers: retried,
    ...extra,
    statuses: Object.fromEntries([...result.statuses].sort()),
  });
}

/**
 * Runs `node bin/kosh.mjs serve` on a fixed port. Exits that the test did not cause are recorded
 * with the tail of that process's output, and the server is restarted (as a service manager would),
 * so that the clients can still settle and the books can still be checked.
 */
class KoshProcess {
  readonly baseUrl: string;
  /** Exits the test did not ask for: exit code or signal and the end of the output. */
  readonly unexpectedExits: string[] = [];
  spawned = 0;
  private current: { child: ChildProcess; exited: Promise<void>; output: string; killedOnPurpose: boolean } | undefined;
  private closed = false;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.baseUrl = `http://${env.HOST}:${env.PORT}`;
  }

  start(): void {
    this.spawned += 1;
    const child = spawn(process.execPath, [KOSH, 'serve'], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
    const state = { child, exited: Promise.resolve(), output: '', killedOnPurpose: false };
    const keep = (chunk: Buffer) => {
      state.output = (state.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    state.exited = new Promise<void>((resolve) =>
      child.once('exit', (code, signal) => {
        if (!state.killedOnPurpose && !this.closed) {
          this.unexpectedExits.push(`kosh serve (process ${this.spawned}) exited with ${code ?? signal}; its output ends:\n${state.output.slice(-4_000)}`);
          if (this.current === state) setTimeout(() => this.current === state && !this.closed && this.start(), 250);
        }
        resolve();
      }),
    );
    this.current = state;
  }

  get running(): boolean {
    const child = this.current?.child;
    return child !== undefined && child.exitCode === null && child.signalCode === null;
  }

  /** Kills the current process on purpose and waits for it to be gone. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    const state = this.current;
    if (state === undefined) return;
    state.killedOnPurpose = true;
    if (state.child.exitCode === null && state.child.signalCode === null) state.child.kill(signal);
    await state.exited;
  }

  /** Polls /readyz until it answers 200; returns how long that took. */
  async waitReady(timeoutMs = 30_000): Promise<number> {
    const startedAt = Date.now();
    while (Date.now() - startedAt < timeoutMs) {
      try {
        const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2_000) });
        await response.arrayBuffer();
        if (response.status === 200) return Date.now() - startedAt;
      } catch {
        // not listening yet
      }
      await sleep(25);
    }
    throw new Error(`kosh serve was not ready after ${timeoutMs} ms; its output ends:\n${this.current?.output.slice(-4_000)}`);
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.kill('SIGKILL');
  }
}

/** The environment of a child server: PostgreSQL, a fixed port, a JWT secret shared by restarts, no rate limits. */
function serverEnvironment(databaseUrl: string, port: number, dataDir: string): NodeJS.ProcessEnv {
  return {
    ...process.env,
    ...NO_DAILY_LIMITS,
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    HOST: '127.0.0.1',
    JWT_SECRET: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'warn',
    SEED_ON_EMPTY: 'false',
    DATA_DIR: dataDir,
    NODE_ENV: 'production',
    // A few customers send thousands of requests: rate limits are not under test here.
    MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '0',
    AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
    LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '0',
  };
}

describe('crashes under load (PostgreSQL)', () => {
  let bank: TestBank | undefined;
  let kosh: KoshProcess | undefined;
  let postgres: PostgresServer | undefined;
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-crash-'));

  afterEach(async () => {
    await kosh?.close();
    kosh = undefined;
    await bank?.close().catch(() => undefined);
    bank = undefined;
    await postgres?.destroy();
    postgres = undefined;
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it(`keeps every acknowledged transfer exactly once across ${SERVER_KILLS} SIGKILLs of the Kosh server`, { timeout: 240_000 }, async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: NO_DAILY_LIMITS });
    const testBank = bank;
    const databaseUrl = testBank.app.context.config.DATABASE_URL as string;
    expect(databaseUrl).toMatch(/^postgres/);
    const { usernames, accounts } = await openFundedAccounts(testBank, 'killed');

    kosh = new KoshProcess(serverEnvironment(databaseUrl, await freePort(), dataDir));
    const server = kosh;
    server.start();
    const startMs: number[] = [await server.waitReady()];
    // Tokens from the child server (signed with JWT_SECRET), valid across its restarts.
    const tokens: string[] = [];
    for (const username of usernames) tokens.push(await login(server.baseUrl, username));

    const seed = Number(process.env.KOSH_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = randomGenerator(seed);
    let chaosOver = false;
    const workload = runClients({ label: 'kill', seed, baseUrl: server.baseUrl, tokens, accounts, stop: () => chaosOver });

    let killedWhileStarting = 0;
    const startedAt = performance.now();
    try {
      for (let kill = 1; kill <= SERVER_KILLS; kill += 1) {
        if (kill % 5 === 0) {
          // Now and then, kill it while it is still starting (the previous one was not waited for).
          await sleep(random() * 600);
          if (!(await isReady(server.baseUrl))) killedWhileStarting += 1;
        } else {
          // Otherwise let it serve for a random while under load.
          await sleep(250 + random() * 1_250);
        }
        await server.kill('SIGKILL');
        server.start();
        if (kill % 5 !== 4) startMs.push(await server.waitReady());
      }
      startMs.push(await server.waitReady());
      // The last server stays up: the clients settle their last transfers on it.
      chaosOver = true;
      const result = await workload;
      const seconds = (performance.now() - startedAt) / 1000;

      const summary = summarize('kill kosh', seed, result, {
        kills: SERVER_KILLS,
        killed_while_starting: killedWhileStarting,
        processes: server.spawned,
        unexpected_exits: server.unexpectedExits.length,
        seconds: Number(seconds.toFixed(1)),
        logical_transfers_per_second: Math.round(result.transfers.length / seconds),
        ready_after_ms: { min: Math.min(...startMs), median: startMs.sort((a, b) => a - b)[Math.floor(startMs.length / 2)], max: Math.max(...startMs) },
      });
      console.log(`crash workload: ${summary}`);
      expect.soft(server.unexpectedExits, 'the Kosh server exited without being killed').toEqual([]);
      expect(server.spawned, summary).toBeGreaterThanOrEqual(SERVER_KILLS + 1);
      expect(result.statuses.get('201') ?? 0, summary).toBeGreaterThan(100);
      // Kills show up as retried transfers; without any, the crashes hit nothing.
      expect(result.transfers.filter((transfer) => transfer.attempts > 1).length, summary).toBeGreaterThan(0);
      await checkAfterCrashes(testBank, accounts, result, summary);
    } finally {
      chaosOver = true;
      await workload.catch(() => undefined);
    }
  });

  it(`keeps every acknowledged transfer exactly once across ${POSTGRES_KILLS} crashes of PostgreSQL, and Kosh rides through`, { timeout: 180_000 }, async () => {
    postgres = await startPostgres();
    const database = postgres;
    bank = await startTestBank({ postgresUrl: database.url, env: NO_DAILY_LIMITS });
    const testBank = bank;
    const { usernames, accounts } = await openFundedAccounts(testBank, 'pgkill');
    const countRows = async () =>
      Number((await sql<{ n: bigint }>`select count(*) as n from transfers where kind = 'transfer'`.execute(testBank.app.context.db)).rows[0]?.n);

    kosh = new KoshProcess(serverEnvironment(testBank.app.context.config.DATABASE_URL as string, await freePort(), dataDir));
    const server = kosh;
    server.start();
    await server.waitReady();
    const tokens: string[] = [];
    for (const username of usernames) tokens.push(await login(server.baseUrl, username));

    const seed = Number(process.env.KOSH_CRASH_SEED ?? Date.now() % 1_000_000);
    const random = randomGenerator(seed);
    let chaosOver = false;
    const workload = runClients({ label: 'pgkill', seed, baseUrl: server.baseUrl, tokens, accounts, stop: () => chaosOver });

    // Probes /readyz throughout, to see that Kosh answers (rather than hangs or dies) while PostgreSQL is down.
    const readiness = new Map<string, number>();
    let probing = true;
    const prober = (async () => {
      while (probing) {
        let label: string;
        try {
          const response = await fetch(`${server.baseUrl}/readyz`, { signal: AbortSignal.timeout(5_000) });
          await response.arrayBuffer();
          label = String(response.status);
        } catch (error) {
          label = `error:${describeError(error)}`;
        }
        readiness.set(label, (readiness.get(label) ?? 0) + 1);
        await sleep(100);
      }
    })();

    const downMs: number[] = [];
    const startedAt = performance.now();
    try {
      for (let crash = 1; crash <= POSTGRES_KILLS; crash += 1) {
        await sleep(1_000 + random() * 1_500);
        const stoppedAt = performance.now();
        await database.stop('immediate');
        await sleep(300 + random() * 1_500);
        await database.start();
        downMs.push(Math.round(performance.now() - stoppedAt));
      }
      // Run on for a while after the last crash: Kosh must have recovered.
      const rowsAfterLastRestart = await countRows();
      await sleep(2_000);
      chaosOver = true;
      const result = await workload;
      const seconds = (performance.now() - startedAt) / 1000;
      probing = false;
      await prober;

      const summary = summarize('kill postgres', seed, result, {
        crashes: POSTGRES_KILLS,
        down_ms: downMs,
        kosh_processes: server.spawned,
        unexpected_exits: server.unexpectedExits.length,
        seconds: Number(seconds.toFixed(1)),
        logical_transfers_per_second: Math.round(result.transfers.length / seconds),
        readyz: Object.fromEntries(readiness),
      });
      console.log(`crash workload: ${summary}`);
      // Kosh stayed up: the same process served throughout, no request failed at the connection
      // level, and it said 503 while the database was down. (Soft, so that the books are checked too.)
      expect.soft(server.unexpectedExits, `the Kosh server died when PostgreSQL did, ${summary}`).toEqual([]);
      expect.soft([...result.statuses.keys()].filter((status) => status.startsWith('fetch_error')), summary).toEqual([]);
      expect.soft([...readiness.keys()].filter((status) => status.startsWith('error')), summary).toEqual([]);
      expect.soft(result.statuses.get('503') ?? 0, `no 503 while PostgreSQL was down, ${summary}`).toBeGreaterThan(0);
      expect.soft(readiness.get('503') ?? 0, `/readyz never said 503, ${summary}`).toBeGreaterThan(0);
      // Whatever happened to the process, no money may be lost or moved twice.
      await checkAfterCrashes(testBank, accounts, result, summary);
      // And it recovered: transfers succeeded after the last restart.
      expect(await countRows(), `no transfer after the last restart, ${summary}`).toBeGreaterThan(rowsAfterLastRestart);
      expect(await isReady(server.baseUrl)).toBe(true);
    } finally {
      chaosOver = true;
      probing = false;
      await workload.catch(() => undefined);
      await prober;
    }
  });
});
