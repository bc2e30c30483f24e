/**
 * The Kosh benchmark (`npm run bench`). In one run it measures:
 *
 *   1. a PostgreSQL baseline: pgbench TPC-B on the same server, best tps over a few client counts;
 *   2. uniform transfers over HTTP (wrk, one thread, a Lua script) against `kosh serve` on that
 *      server, best 2xx/s over a few connection counts;
 *   3. a hot account (every transfer credits one merchant account), then a drift check;
 *   4. latency at 50% of the best uniform rate with an open-loop generator (bench/open-loop.ts);
 *   5. a check that a Node-based generator would not do as well as wrk (GET /healthz);
 *   6. the transfer engine without HTTP (bench/engine-only.ts): the same uniform transfers
 *      submitted in-process, as a reference for what the HTTP layer costs;
 *   7. uniform transfers against `kosh serve` on the embedded PGlite;
 *
 * and writes bench/results/<timestamp>.json, latest.json and latest.md. It only uses Kosh's HTTP
 * API, its CLI and the library functions createContext, registerUser, openAccount and deposit (to
 * prepare data), so it keeps working while the server's internals change; the engine-only
 * reference also calls prepareTransfer and the engine, as the transfer route does. Absolute
 * numbers never fail the run: the exit code is 0 unless something crashed. See bench/README.md
 * for the options.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { createContext, openConfiguredDatabase } from '../src/app.js';
import { openAccount } from '../src/modules/accounts/index.js';
import { SYSTEM_ACTOR } from '../src/modules/audit/index.js';
import { registerUser, setKycStatus } from '../src/modules/identity/index.js';
import { deposit } from '../src/modules/payments/index.js';
import { CONFIG_VARIABLES, loadConfig, type Config } from '../src/platform/config.js';
import { createTestDatabase, findPostgresBinDir, startPostgres, type PostgresServer } from '../test/support/postgres.js';
import type { ClosedLoopResult } from './closed-loop.js';
import type { EngineOnlyResult } from './engine-only.js';
import type { OpenLoopResult } from './open-loop.js';
import {
  renderMarkdown,
  ratio,
  type BackgroundDrain,
  type BenchResults,
  type DriftCheck,
  type PgbenchRun,
  type ServerLog,
  type Target,
  type ThroughputPhase,
  type WrkRun,
} from './report.js';
import { BENCH_SERVER_SETTINGS, luaDataFile, measureMachineBusy, ProcessSampler, type LoadData, type SampleSummary } from './support.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
// The server runs as `npm start` runs it: the compiled build, with the package's Node flags and
// glibc's fixed mmap threshold (see "Running it" in docs/ARCHITECTURE.md).
const KOSH_ENTRY = path.join(REPO, 'dist', 'src', 'cli', 'main.js');
const PACKAGE_CONFIG =
  (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { config?: { node_flags?: string; malloc_mmap_threshold?: string } }).config ?? {};
const NODE_FLAGS: string[] = (PACKAGE_CONFIG.node_flags ?? '').split(' ').filter((flag) => flag !== '');
const RESULTS_DIR = path.join(REPO, 'bench', 'results');
const WRK_SCRIPT = path.join(REPO, 'bench', 'wrk', 'transfers.lua');
const OPEN_LOOP = path.join(REPO, 'bench', 'open-loop.ts');
const CLOSED_LOOP = path.join(REPO, 'bench', 'closed-loop.ts');
const ENGINE_ONLY = path.join(REPO, 'bench', 'engine-only.ts');

/** A fixed signing secret shared by the data preparation and the server (48 characters). */
const JWT_SECRET = 'kosh-benchmark-fixed-jwt-signing-secret-'.padEnd(48, '0');
const PASSWORD = 'Kosh bench password 2026';
/** Kosh lets a customer hold at most 20 open accounts (OPEN_ACCOUNTS_MAX in the accounts module). */
const ACCOUNTS_PER_CUSTOMER = 20;
const FUNDING = '100000.00';
/** wrk gives up on a response after this long and counts a timeout. */
const WRK_TIMEOUT_S = 10;
/** Preparing a data set through the library counts as stalled after this long without progress. */
const PREPARATION_STALL_MS = 60_000;
const TARGETS = { uniformRatio: 1.0, hotRatio: 0.5, p99Ms: 25, pgliteTps: 800, rssMb: 300 };

// ---------------------------------------------------------------------------------------------
// Options

function envFlag(name: string): boolean {
  return ['1', 'true', 'yes'].includes((process.env[name] ?? '').toLowerCase());
}

function envNumber(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number, not ${JSON.stringify(raw)}`);
  return value;
}

function envList(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value <= 0)) throw new Error(`${name} must be a comma-separated list of positive integers`);
  return values;
}

function envFractions(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const values = raw.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !(value > 0 && value <= 2))) throw new Error(`${name} must be a comma-separated list of fractions such as 0.25,0.5,0.75`);
  return values;
}

const quick = envFlag('BENCH_QUICK');
const durationOverride = process.env.BENCH_DURATION_S === undefined || process.env.BENCH_DURATION_S === '' ? undefined : envNumber('BENCH_DURATION_S', 1);
const options = {
  quick,
  /** Seconds per wrk level. */
  durationS: durationOverride ?? (quick ? 5 : 15),
  pgbenchDurationS: durationOverride ?? (quick ? 5 : 20),
  latencyDurationS: durationOverride ?? (quick ? 5 : 20),
  latencyWarmupS: quick ? 1 : 3,
  /** Warm-up of each server before its first measured level. */
  warmupS: quick ? 2 : 5,
  pgbenchClients: envList('BENCH_PGBENCH_CLIENTS', quick ? [16] : [8, 16, 32]),
  connections: envList('BENCH_CONNECTIONS', quick ? [64] : [16, 64, 256, 512]),
  pgliteConnections: envList('BENCH_PGLITE_CONNECTIONS', quick ? [16] : [16, 64]),
  accounts: Math.floor(envNumber('BENCH_ACCOUNTS', quick ? 2_000 : 10_000)),
  pgliteAccounts: Math.floor(envNumber('BENCH_PGLITE_ACCOUNTS', 1_000)),
  /** Fractions of the best uniform rate for open-loop latency runs; 0.5 is always measured. */
  latencyFractions: envFractions('BENCH_LATENCY_FRACTIONS', [0.5]),
  generatorCheckConnections: 64,
  generatorCheckDurationS: quick ? 3 : 5,
  databaseUrl: process.env.BENCH_DATABASE_URL === '' ? undefined : process.env.BENCH_DATABASE_URL,
  skipPglite: envFlag('BENCH_SKIP_PGLITE'),
  skipGeneratorCheck: envFlag('BENCH_SKIP_GENERATOR_CHECK'),
  skipEngineOnly: envFlag('BENCH_SKIP_ENGINE_ONLY'),
  keepTmp: envFlag('BENCH_KEEP_TMP'),
};

// ---------------------------------------------------------------------------------------------
// Processes and cleanup

const children = new Set<ChildProcess>();
const cleanups: (() => Promise<void>)[] = [];
let cleaning: Promise<void> | undefined;

function onCleanup(work: () => Promise<void>): void {
  cleanups.push(work);
}

async function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function terminate(child: ChildProcess, graceMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  child.kill('SIGTERM');
  if (!(await waitForExit(child, graceMs))) {
    child.kill('SIGKILL');
    await waitForExit(child, 5_000);
  }
}

function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    await Promise.all([...children].map((child) => terminate(child, 5_000)));
    while (cleanups.length > 0) {
      const work = cleanups.pop() as () => Promise<void>;
      try {
        await work();
      } catch (error) {
        console.error('cleanup failed:', error);
      }
    }
  })();
  return cleaning;
}

/**
 * If the event loop runs dry while the harness awaits something (a promise that can never settle,
 * such as a deadlock inside the code under test), Node exits without running any finally block.
 * Kill the children and remove the temporary directory synchronously, and say what happened.
 */
const exitGuard = { finished: false, interrupted: false, tmpDirs: [] as string[] };
process.on('exit', () => {
  if (exitGuard.finished || exitGuard.interrupted) return;
  for (const child of children) if (child.pid !== undefined && child.exitCode === null) process.kill(child.pid, 'SIGKILL');
  if (!options.keepTmp) for (const dir of exitGuard.tmpDirs) rmSync(dir, { recursive: true, force: true });
  console.error('\nThe benchmark stopped: nothing was left to wait for (a promise that never settles, e.g. a deadlock in the code under test).');
});

/**
 * Runs `work`, which calls `progress()` as it advances, and rejects when it makes no progress for
 * `stallMs` (the timer also keeps the event loop alive, so a deadlock is reported, not hidden).
 */
async function withWatchdog<T>(work: (progress: () => void) => Promise<T>, stallMs: number, what: string): Promise<T> {
  let last = Date.now();
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (Date.now() - last > stallMs) reject(new Error(`${what} made no progress for ${Math.round(stallMs / 1000)} s: stalled (a deadlock?)`));
    }, 1_000);
  });
  try {
    return await Promise.race([
      work(() => {
        last = Date.now();
      }),
      stalled,
    ]);
  } finally {
    clearInterval(timer);
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exitGuard.interrupted) return;
    exitGuard.interrupted = true;
    console.error(`\n${signal}: stopping the benchmark and cleaning up (no results are written)`);
    void cleanupAll().finally(() => process.exit(130));
  });
}

interface CommandResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs a program to its end, collecting its output; the child is killed on cleanup. */
function runCommand(
  command: string,
  args: string[],
  settings: { env?: NodeJS.ProcessEnv; timeoutMs?: number; onSpawn?: (child: ChildProcess) => void } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: REPO, env: settings.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const timer = settings.timeoutMs === undefined ? undefined : setTimeout(() => void terminate(child, 5_000), settings.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      children.delete(child);
      reject(error);
    });
    child.once('spawn', () => settings.onSpawn?.(child));
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

function commandFailure(what: string, result: CommandResult): Error {
  const output = `${result.stdout}\n${result.stderr}`.trim().split('\n').slice(-20).join('\n');
  return new Error(`${what} failed (${result.signal ?? `exit ${result.code}`}):\n${output}`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function mapLimit<T, R>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await work(items[index] as T, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function log(message: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Tools

function commandExists(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: 'ignore' });
  return result.error === undefined;
}

function ensureWrk(): void {
  if (commandExists('wrk', ['-v'])) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  if (isRoot) {
    log('wrk is missing: apt-get install -y wrk');
    let install = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
    if (install.status !== 0) {
      spawnSync('apt-get', ['update'], { stdio: 'inherit' });
      install = spawnSync('apt-get', ['install', '-y', 'wrk'], { stdio: 'inherit' });
    }
    if (install.status === 0 && commandExists('wrk', ['-v'])) return;
  }
  throw new Error(
    'wrk is not installed. Install it (Debian/Ubuntu: `sudo apt-get install -y wrk`; macOS: `brew install wrk`) and run the benchmark again.',
  );
}

function findPgbench(): string {
  const binDir = findPostgresBinDir();
  if (binDir !== null && existsSync(path.join(binDir, 'pgbench'))) return path.join(binDir, 'pgbench');
  if (commandExists('pgbench', ['--version'])) return 'pgbench';
  throw new Error('pgbench is not installed (Debian/Ubuntu: `sudo apt-get install -y postgresql-contrib` or `postgresql`).');
}

function firstLine(command: string, args: string[]): string | null {
  const result = spawnSync(command, args, { encoding: 'utf8' });
  const text = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n')[0];
  return text === undefined || text === '' ? null : text;
}

function gitDescription(): string | null {
  const head = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO, encoding: 'utf8' });
  if (head.status !== 0) return null;
  const dirty = spawnSync('git', ['status', '--porcelain', '--', 'src', 'bin', 'package.json'], { cwd: REPO, encoding: 'utf8' });
  return `${head.stdout.trim()}${dirty.stdout.trim() === '' ? '' : ' + uncommitted changes in src/'}`;
}

// ---------------------------------------------------------------------------------------------
// PostgreSQL and the pgbench baseline

async function query<T>(url: string, text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function runPgbench(pgbench: string, url: string): Promise<{ scale: number; runs: PgbenchRun[]; best: PgbenchRun | null }> {
  const scale = Math.max(...options.pgbenchClients);
  log(`pgbench -i -s ${scale} (TPC-B tables, ${scale * 100_000} accounts)`);
  const init = await runCommand(pgbench, ['-i', '-s', String(scale), '-q', url], { timeoutMs: 30 * 60_000 });
  if (init.code !== 0) throw commandFailure('pgbench -i', init);
  const runs: PgbenchRun[] = [];
  for (const clients of options.pgbenchClients) {
    const jobs = Math.min(2, clients);
    log(`pgbench TPC-B -c ${clients} -j ${jobs} -T ${options.pgbenchDurationS}`);
    const result = await runCommand(pgbench, ['-c', String(clients), '-j', String(jobs), '-T', String(options.pgbenchDurationS), url], {
      timeoutMs: (options.pgbenchDurationS + 300) * 1000,
    });
    if (result.code !== 0) throw commandFailure(`pgbench -c ${clients}`, result);
    const tps = /tps = ([\d.]+) \(without initial connection time\)/.exec(result.stdout)?.[1];
    if (tps === undefined) throw commandFailure('reading the pgbench output', result);
    const latency = /latency average = ([\d.]+) ms/.exec(result.stdout)?.[1];
    const failed = /number of failed transactions: (\d+)/.exec(result.stdout)?.[1];
    runs.push({
      clients,
      jobs,
      durationS: options.pgbenchDurationS,
      tps: Math.round(Number(tps) * 10) / 10,
      latencyAverageMs: latency === undefined ? null : Number(latency),
      failedTransactions: failed === undefined ? null : Number(failed),
    });
    log(`  ${Number(tps).toFixed(1)} tps`);
  }
  const best = runs.reduce<PgbenchRun | null>((top, run) => (top === null || run.tps > top.tps ? run : top), null);
  return { scale, runs, best };
}

// ---------------------------------------------------------------------------------------------
// Data preparation through the library

interface PreparedCustomer {
  readonly username: string;
  readonly accounts: { id: string; number: string }[];
}

interface PreparedBank {
  readonly customers: PreparedCustomer[];
  readonly merchant: PreparedCustomer | null;
  readonly seconds: number;
}

/**
 * Registers customers, opens their accounts and funds them with deposits, through Kosh's library
 * functions, before the server starts (PGlite's data directory is locked while a server runs).
 */
async function prepareBank(
  config: Config,
  plan: { accounts: number; prefix: string; merchant: boolean },
  progress: () => void = () => undefined,
): Promise<PreparedBank> {
  const started = performance.now();
  const database = await openConfiguredDatabase(config);
  try {
    const context = await createContext({ config, database });
    const customerCount = Math.ceil(plan.accounts / ACCOUNTS_PER_CUSTOMER);
    const specs = Array.from({ length: customerCount }, (_, i) => ({
      username: `${plan.prefix}-${String(i + 1).padStart(4, '0')}`,
      accounts: Math.min(ACCOUNTS_PER_CUSTOMER, plan.accounts - i * ACCOUNTS_PER_CUSTOMER),
      funding: FUNDING as string | null,
    }));
    if (plan.merchant) specs.push({ username: `${plan.prefix}-merchant`, accounts: 1, funding: null });
    let done = 0;
    const prepared = await mapLimit(specs, 8, async (spec) => {
      const user = await registerUser(context, {
        username: spec.username,
        password: PASSWORD,
        email: `${spec.username}@bench.example`,
        fullName: `Bench ${spec.username}`,
      });
      // Verified customers get the ordinary limits (unverified ones are capped at KYC_UNVERIFIED_DAILY_LIMIT).
      await setKycStatus(context, SYSTEM_ACTOR, { userId: user.id, status: 'verified', reason: 'Benchmark customer' });
      progress();
      const principal = { userId: user.id, role: user.role, sessionId: 'bench-setup' };
      const accounts: { id: string; number: string }[] = [];
      for (let a = 0; a < spec.accounts; a += 1) {
        const account = await openAccount(context, principal, { type: 'checking', nickname: `Bench ${a + 1}` });
        const funding = spec.funding;
        if (funding !== null) {
          await deposit(context, principal, { accountId: account.record.id, amount: funding, description: 'Bench funding' });
        }
        accounts.push({ id: account.record.id, number: account.record.number });
        progress();
      }
      done += 1;
      if (done % 100 === 0) log(`  ${done} of ${specs.length} customers ready`);
      return { username: spec.username, accounts };
    });
    const merchant = plan.merchant ? (prepared.pop() as PreparedCustomer) : null;
    return { customers: prepared, merchant, seconds: Math.round((performance.now() - started) / 100) / 10 };
  } finally {
    await database.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The Kosh server as a child process

interface KoshServer {
  readonly child: ChildProcess;
  readonly pid: number;
  readonly url: string;
  readonly log: ServerLog;
  stop(): Promise<void>;
}

/** Environment variables passed through to the server from the caller's environment. */
function passedThroughKoshVariables(overridden: readonly string[]): string[] {
  return CONFIG_VARIABLES.filter((name) => !overridden.includes(name) && process.env[name] !== undefined && process.env[name] !== '');
}

function serverEnv(settings: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST']) delete env[name];
  return {
    ...env,
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SEED_ON_EMPTY: 'false',
    JWT_SECRET,
    // Tokens are obtained once per server; keep them valid for the whole run.
    ACCESS_TOKEN_TTL_SECONDS: '86400',
    ...(PACKAGE_CONFIG.malloc_mmap_threshold === undefined ? {} : { MALLOC_MMAP_THRESHOLD_: PACKAGE_CONFIG.malloc_mmap_threshold }),
    ...BENCH_SERVER_SETTINGS,
    ...settings,
  };
}

async function startKosh(settings: Record<string, string>): Promise<KoshServer> {
  const port = await findFreePort();
  const extraFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? '').split(' ').filter((flag) => flag !== '');
  const child = spawn(process.execPath, [...NODE_FLAGS, ...extraFlags, KOSH_ENTRY, 'serve'], {
    cwd: REPO,
    env: serverEnv({ ...settings, PORT: String(port) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const serverLog = { warnings: 0, errors: 0, otherLines: 0, samples: [] as string[] };
  let tail = '';
  let pending = '';
  const onLine = (line: string) => {
    tail = `${tail}${line}\n`.slice(-8_000);
    let level: number | undefined;
    let message = line;
    try {
      const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
      level = entry.level ?? 0;
      message = [entry.msg, entry.err?.message].filter(Boolean).join(': ');
    } catch {
      // Not a log entry: something written to the console (a Node.js warning, a stack trace).
    }
    if (level === undefined) serverLog.otherLines += 1;
    else if (level >= 50) serverLog.errors += 1;
    else if (level >= 40) serverLog.warnings += 1;
    const sample = message.slice(0, 300);
    if ((level === undefined || level >= 40) && serverLog.samples.length < 5 && !serverLog.samples.includes(sample)) serverLog.samples.push(sample);
  };
  const onData = (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) if (line.trim() !== '') onLine(line);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`kosh serve exited during start:\n${tail}`);
    try {
      const response = await fetch(`${url}/readyz`);
      if (response.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      await terminate(child);
      throw new Error(`kosh serve did not become ready within 180 s:\n${tail}`);
    }
    await sleep(200);
  }
  if (child.pid === undefined) throw new Error('kosh serve has no pid');
  return {
    child,
    pid: child.pid,
    url,
    log: serverLog,
    async stop() {
      await terminate(child);
    },
  };
}

async function signIn(url: string, usernames: readonly string[]): Promise<string[]> {
  return mapLimit(usernames, 8, async (username) => {
    const response = await fetch(`${url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });
    if (response.status !== 200) throw new Error(`login of ${username} answered ${response.status}: ${await response.text()}`);
    return ((await response.json()) as { access_token: string }).access_token;
  });
}

function loadDataFor(customers: readonly PreparedCustomer[], tokens: readonly string[], merchant: PreparedCustomer | null): LoadData {
  const numbers: string[] = [];
  const owners: number[] = [];
  const ids: string[] = [];
  customers.forEach((customer, i) => {
    for (const account of customer.accounts) {
      numbers.push(account.number);
      owners.push(i + 1);
      ids.push(account.id);
    }
  });
  return {
    customers: customers.map((customer, i) => ({ index: i + 1, auth: `Bearer ${tokens[i] as string}`, accounts: customer.accounts.map((a) => a.id) })),
    numbers,
    owners,
    ids,
    merchant: merchant?.accounts[0]?.number ?? '',
  };
}

async function writeLoadData(dir: string, name: string, data: LoadData): Promise<{ lua: string; json: string }> {
  const lua = path.join(dir, `${name}.lua`);
  const json = path.join(dir, `${name}.json`);
  await writeFile(lua, luaDataFile(data));
  await writeFile(json, JSON.stringify(data));
  return { lua, json };
}

// ---------------------------------------------------------------------------------------------
// Load generation

interface WrkLuaResult {
  duration_us: number;
  requests: number;
  errors: { connect: number; read: number; write: number; status: number; timeout: number };
  latency_us: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  statuses: Record<string, number>;
}

async function runWrk(
  server: KoshServer,
  settings: { connections: number; durationS: number; scriptArgs: string[]; onSpawn?: (child: ChildProcess) => void },
): Promise<WrkRun> {
  const args = [
    '-t1',
    `-c${settings.connections}`,
    `-d${settings.durationS}s`,
    '--timeout',
    `${WRK_TIMEOUT_S}s`,
    '-s',
    WRK_SCRIPT,
    server.url,
    '--',
    ...settings.scriptArgs,
  ];
  const sampler = new ProcessSampler(server.pid);
  let result: CommandResult;
  let sample: SampleSummary;
  try {
    result = await runCommand('wrk', args, { timeoutMs: (settings.durationS + WRK_TIMEOUT_S + 60) * 1000, onSpawn: settings.onSpawn });
  } finally {
    sample = sampler.stop();
  }
  const line = result.stdout.split('\n').find((l) => l.startsWith('KOSH_BENCH_RESULT '));
  if (result.code !== 0 || line === undefined) throw commandFailure(`wrk ${args.join(' ')}`, result);
  const parsed = JSON.parse(line.slice('KOSH_BENCH_RESULT '.length)) as WrkLuaResult;
  const ok = Object.entries(parsed.statuses).reduce((sum, [status, count]) => (status.startsWith('2') ? sum + count : sum), 0);
  const seconds = parsed.duration_us / 1e6;
  const ms = (us: number) => Math.round(us / 10) / 100;
  return {
    connections: settings.connections,
    durationS: Math.round(seconds * 100) / 100,
    requests: parsed.requests,
    ok,
    perSecond: Math.round((ok / seconds) * 10) / 10,
    statuses: parsed.statuses,
    socketErrors: { connect: parsed.errors.connect, read: parsed.errors.read, write: parsed.errors.write, timeout: parsed.errors.timeout },
    latencyMs: {
      p50: ms(parsed.latency_us.p50),
      p90: ms(parsed.latency_us.p90),
      p99: ms(parsed.latency_us.p99),
      p999: ms(parsed.latency_us.p999),
      max: ms(parsed.latency_us.max),
    },
    server: sample,
  };
}

function describeRun(run: WrkRun): string {
  const non2xx = run.requests - run.ok;
  const e = run.socketErrors;
  return (
    `c=${run.connections}: ${run.perSecond.toFixed(1)} transfers/s, ${non2xx} non-2xx ${JSON.stringify(run.statuses)}, ` +
    `socket errors ${e.connect + e.read + e.write + e.timeout}, p99 ${run.latencyMs.p99} ms, server CPU ${run.server.processCpuPercent}%, RSS ${run.server.maxRssMb} MB`
  );
}

const backgroundDrains: BackgroundDrain[] = [];
/** How long to wait for background work before measuring anyway. */
const DRAIN_LIMIT_MS = 15 * 60_000;

/** Outbox events not relayed plus outbox jobs waiting or running, from /metrics (null: not reported). */
async function backgroundBacklog(url: string): Promise<number | null> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let backlog: number | null = null;
  for (const line of text.split('\n')) {
    const match = /^kosh_outbox_pending_events (\d+)$/.exec(line) ?? /^kosh_jobs\{queue="outbox\.[^"]*",state="(?:created|retry|active)"\} (\d+)$/.exec(line);
    if (match !== null) backlog = (backlog ?? 0) + Number(match[1]);
  }
  return backlog;
}

/** Waits until the server's background work is done, so that the next measurement starts clean. */
async function drainBackground(server: KoshServer, before: string): Promise<void> {
  const started = performance.now();
  let atStart: number | null | undefined;
  let lastLog = started;
  let drained = false;
  for (;;) {
    const backlog = await backgroundBacklog(server.url);
    atStart ??= backlog;
    if (backlog === null || backlog === 0) {
      drained = true;
      break;
    }
    if (performance.now() - started > DRAIN_LIMIT_MS) {
      log(`  background work not done after ${DRAIN_LIMIT_MS / 60_000} min (${backlog} left); measuring anyway`);
      break;
    }
    if (performance.now() - lastLog > 10_000) {
      log(`  waiting for background work: ${backlog} outbox events and jobs left`);
      lastLog = performance.now();
    }
    await sleep(500);
  }
  const seconds = Math.round((performance.now() - started) / 100) / 10;
  backgroundDrains.push({ before, backlogAtStart: atStart ?? null, seconds, drained });
  if ((atStart ?? 0) > 0) log(`  background work before ${before}: ${atStart} items drained in ${seconds} s`);
}

async function throughputPhase(server: KoshServer, dataFile: string, mode: 'uniform' | 'hot', levels: number[], nonce: string, label: string = mode): Promise<ThroughputPhase> {
  const runs: WrkRun[] = [];
  for (const connections of levels) {
    await drainBackground(server, `${label}, ${connections} connections`);
    const run = await runWrk(server, { connections, durationS: options.durationS, scriptArgs: [dataFile, mode, `${nonce}-${mode}-c${connections}`] });
    log(`  ${mode} ${describeRun(run)}`);
    runs.push(run);
    // Let requests still in the server finish before the next level.
    await sleep(1_000);
  }
  const best = runs.reduce<WrkRun | null>((top, run) => (top === null || run.perSecond > top.perSecond ? run : top), null);
  return { levels: runs, best };
}

async function warmUp(server: KoshServer, dataFile: string, nonce: string, label: string): Promise<WrkRun> {
  await drainBackground(server, `${label} warm-up`);
  log(`warm-up: ${options.warmupS} s of uniform transfers at 64 connections (not counted)`);
  const run = await runWrk(server, { connections: 64, durationS: options.warmupS, scriptArgs: [dataFile, 'uniform', `${nonce}-warmup`] });
  log(`  warm-up ${describeRun(run)}`);
  await sleep(1_000);
  return run;
}

/** Runs a TypeScript script with tsx and parses the JSON object on its last line of output. */
async function runNodeScript<T>(
  script: string,
  args: string[],
  timeoutMs: number,
  settings: { nodeFlags?: readonly string[]; env?: NodeJS.ProcessEnv } = {},
): Promise<T> {
  const result = await runCommand(process.execPath, [...(settings.nodeFlags ?? []), '--import', 'tsx', script, ...args], { timeoutMs, env: settings.env });
  const line = result.stdout.trim().split('\n').pop();
  if (result.code !== 0 || line === undefined || !line.startsWith('{')) throw commandFailure(path.basename(script), result);
  return JSON.parse(line) as T;
}

// ---------------------------------------------------------------------------------------------
// Checks

function minorUnits(amount: string): bigint {
  const match = /^(-?)(\d+)(?:\.(\d{1,2}))?$/.exec(amount);
  if (match === null) throw new Error(`unexpected amount ${amount}`);
  const minor = BigInt(match[2] as string) * 100n + BigInt((match[3] ?? '0').padEnd(2, '0'));
  return match[1] === '-' ? -minor : minor;
}

async function accountBalance(url: string, token: string, accountId: string): Promise<bigint> {
  const response = await fetch(`${url}/api/v1/accounts`, { headers: { authorization: `Bearer ${token}` } });
  if (response.status !== 200) throw new Error(`GET /api/v1/accounts answered ${response.status}`);
  const body = (await response.json()) as { items: { id: string; balance: string }[] };
  const account = body.items.find((item) => item.id === accountId);
  if (account === undefined) throw new Error(`account ${accountId} not listed`);
  return minorUnits(account.balance);
}

async function driftCheck(databaseUrl: string, merchantId: string, creditedMinor: bigint, acknowledged: number): Promise<DriftCheck> {
  const problems = await query<{ problem: string; detail: string }>(databaseUrl, 'select problem, detail from ledger_integrity_problems');
  const [row] = await query<{ balance: string; total: string; kind: string }>(
    databaseUrl,
    `select a.balance_minor::text as balance, coalesce(sum(p.amount_minor), 0)::text as total, a.kind
       from ledger_accounts a left join postings p on p.account_id = a.id
      where a.id = $1
      group by a.id, a.balance_minor, a.kind`,
    [merchantId],
  );
  if (row === undefined) throw new Error('merchant ledger account not found');
  // Postings are signed debits-positive; a liability's (customer account's) balance is their negation.
  const sign = row.kind === 'asset' || row.kind === 'expense' ? 1n : -1n;
  const signedSum = sign * BigInt(row.total);
  const balance = BigInt(row.balance);
  const acknowledgedMinor = BigInt(acknowledged) * 100n; // every hot-phase transfer is 1.00
  const unacknowledged = creditedMinor - acknowledgedMinor;
  const reasons: string[] = [];
  if (balance !== signedSum) reasons.push(`the merchant's balance ${balance} differs from its postings ${signedSum}`);
  if (problems.length > 0) reasons.push(`${problems.length} integrity problem(s)`);
  if (unacknowledged < 0n) reasons.push(`the merchant was credited less than the 2xx responses acknowledged (${unacknowledged})`);
  return {
    integrityProblems: problems.length,
    integrityDetails: problems.slice(0, 5).map((p) => `${p.problem}: ${p.detail}`),
    merchantBalanceMinor: balance.toString(),
    merchantPostingsSumMinor: signedSum.toString(),
    merchantCreditedMinor: creditedMinor.toString(),
    acknowledgedMinor: acknowledgedMinor.toString(),
    unacknowledgedMinor: unacknowledged.toString(),
    drift: reasons.length > 0,
    explanation: reasons.length === 0 ? 'Balance equals the sum of its postings; ledger_integrity_problems is empty.' : `${reasons.join('; ')}.`,
  };
}

// ---------------------------------------------------------------------------------------------
// Targets and notes

function evaluate(r: BenchResults): Target[] {
  const baseline = r.baseline?.best?.tps;
  const uniform = r.uniform?.best?.perSecond;
  const hot = r.hot?.best?.perSecond;
  const p99 = r.latency?.latencyMs?.p99;
  const pglite = r.pglite?.best?.perSecond;
  const drift = r.hot?.drift ?? undefined;
  const base = (value: number | undefined) => (value === undefined ? 'not run' : `${value.toFixed(1)}/s = ${ratio(value, baseline)} pgbench`);
  const targets: Target[] = [
    {
      name: 'pgbench TPC-B baseline',
      target: '(reference)',
      value: baseline === undefined ? 'not run' : `${baseline.toFixed(1)} tps (c=${r.baseline?.best?.clients})`,
      pass: null,
      reference: true,
    },
    {
      name: 'Uniform transfers',
      target: `≥ ${TARGETS.uniformRatio.toFixed(1)}× pgbench`,
      value: `${base(uniform)}${r.uniform?.best ? ` (c=${r.uniform.best.connections})` : ''}`,
      pass: uniform === undefined || baseline === undefined ? null : uniform >= TARGETS.uniformRatio * baseline,
    },
    {
      name: 'Hot account',
      target: `≥ ${TARGETS.hotRatio.toFixed(1)}× pgbench, no drift`,
      value: `${base(hot)}${r.hot?.best ? ` (c=${r.hot.best.connections})` : ''}, ${drift === undefined ? 'drift not checked' : drift.drift ? 'DRIFT' : 'no drift'}`,
      pass: hot === undefined || baseline === undefined || drift === undefined ? null : hot >= TARGETS.hotRatio * baseline && !drift.drift,
    },
    {
      name: 'p99 latency at 50% of the max uniform rate (open loop)',
      target: `≤ ${TARGETS.p99Ms} ms`,
      value:
        r.latency === null
          ? 'not run'
          : `p99 ${p99 ?? '-'} ms (p50 ${r.latency.latencyMs?.p50 ?? '-'}, p99.9 ${r.latency.latencyMs?.p999 ?? '-'}) at ${r.latency.targetRate}/s, ${r.latency.errors} errors, ${Object.entries(r.latency.statuses).filter(([s]) => !s.startsWith('2')).reduce((n, [, c]) => n + c, 0)} non-2xx`,
      pass: p99 === undefined ? null : p99 <= TARGETS.p99Ms,
    },
    {
      name: 'Transfer engine without HTTP',
      target: '(reference)',
      value:
        r.engineOnly === null
          ? 'not run'
          : `${base(r.engineOnly.perSecond)} (${r.engineOnly.concurrency} callers in one process; machine CPU ${r.engineOnly.machineCpuPercent ?? '?'}%)`,
      pass: null,
      reference: true,
    },
    {
      name: 'PGlite transfers',
      target: `≥ ${TARGETS.pgliteTps} /s`,
      value: pglite === undefined ? 'not run' : `${pglite.toFixed(1)}/s (c=${r.pglite?.best?.connections})`,
      pass: pglite === undefined ? null : pglite >= TARGETS.pgliteTps,
    },
    {
      name: 'Max server RSS, PostgreSQL',
      target: `≤ ${TARGETS.rssMb} MB`,
      value: r.maxRssMb.postgres === null ? 'not run' : `${r.maxRssMb.postgres} MB`,
      pass: r.maxRssMb.postgres === null ? null : r.maxRssMb.postgres <= TARGETS.rssMb,
    },
    {
      name: 'Max server RSS, PGlite',
      target: `≤ ${TARGETS.rssMb} MB`,
      value: r.maxRssMb.pglite === null ? 'not run' : `${r.maxRssMb.pglite} MB`,
      pass: r.maxRssMb.pglite === null ? null : r.maxRssMb.pglite <= TARGETS.rssMb,
    },
  ];
  return targets;
}

function observations(r: BenchResults): string[] {
  const notes: string[] = [];
  const busy = r.machine.cpuBusyPercentAtStart as number | null | undefined;
  if (typeof busy === 'number' && busy > 15) {
    notes.push(`The machine was not idle at the start (${busy}% of all cores busy over 2 s before the run): other processes compete for the same cores and lower every figure.`);
  }
  const phases: [string, ThroughputPhase | null][] = [
    ['uniform', r.uniform],
    ['hot account', r.hot],
    ['PGlite', r.pglite],
  ];
  for (const [name, phase] of phases) {
    if (phase === null) continue;
    const totals: Record<string, number> = {};
    let timeouts = 0;
    for (const run of phase.levels) {
      for (const [status, count] of Object.entries(run.statuses)) if (!status.startsWith('2')) totals[status] = (totals[status] ?? 0) + count;
      timeouts += run.socketErrors.timeout;
    }
    const listed = Object.entries(totals).map(([status, count]) => `${count} × ${status}`);
    if (listed.length > 0) notes.push(`${name}: non-2xx responses over all levels: ${listed.join(', ')}.`);
    if (Object.keys(totals).some((status) => status.startsWith('5'))) notes.push(`${name}: the server answered 5xx under load (see the server log section).`);
    if (timeouts > 0) notes.push(`${name}: ${timeouts} requests got no answer within wrk's ${WRK_TIMEOUT_S} s timeout (queueing in the server).`);
    const best = phase.best;
    if (best !== null && best.server.processCpuPercent !== null && best.server.processCpuPercent >= 85) {
      notes.push(
        `${name}: at its best level the server process used ${best.server.processCpuPercent}% of a core: the single Node.js thread is (close to) saturated, so the server's own CPU work per transfer limits throughput.`,
      );
    }
    if (phase.levels.length > 1 && best === phase.levels[phase.levels.length - 1]) {
      notes.push(`${name}: the best rate was at the highest connection count (${best?.connections}); more connections might go higher (BENCH_CONNECTIONS).`);
    }
    if (phase.levels.length > 1) {
      const first = phase.levels[0] as WrkRun;
      const last = phase.levels[phase.levels.length - 1] as WrkRun;
      if (last.perSecond < first.perSecond * 0.9) {
        notes.push(`${name}: throughput falls as connections grow (${first.perSecond}/s at c=${first.connections}, ${last.perSecond}/s at c=${last.connections}): more concurrency only adds contention or queueing.`);
      }
    }
  }
  if (r.latency !== null) {
    const l = r.latency;
    if (l.sendLagMs.p99 > 5) notes.push(`Open loop: the generator itself sent late (p99 ${l.sendLagMs.p99} ms); latencies include that lag.`);
    if (l.achievedRate < l.targetRate * 0.95) notes.push(`Open loop: only ${l.achievedRate}/s of the ${l.targetRate}/s offered were answered with 2xx in the window.`);
  }
  if (r.generatorCheck !== null) {
    const g = r.generatorCheck;
    const share = g.node.requestsPerSecond / Math.max(1, g.wrk.requestsPerSecond);
    notes.push(
      `Generator check: on GET /healthz the Node closed-loop generator reached ${Math.round(share * 100)}% of wrk's rate ` +
        `(${g.node.requestsPerSecond.toFixed(0)} vs ${g.wrk.requestsPerSecond.toFixed(0)} requests/s) using ${g.node.generatorCpuPercent}% of a core against wrk's ${g.wrk.generatorCpuPercent ?? '?'}%.`,
    );
  }
  notes.push(
    `Kosh caps a customer at ${ACCOUNTS_PER_CUSTOMER} open accounts, so ${options.accounts.toLocaleString('en-US')} accounts need ${Math.ceil(options.accounts / ACCOUNTS_PER_CUSTOMER)} customers.`,
  );
  const passthrough = (r.options.serverEnvPassthrough as string[] | undefined) ?? [];
  if (passthrough.length > 0) notes.push(`Kosh settings passed to the server from the environment: ${passthrough.join(', ')}.`);
  return notes;
}

// ---------------------------------------------------------------------------------------------
// Main

async function writeResults(results: BenchResults): Promise<string> {
  results.targets = evaluate(results);
  results.notes = observations(results);
  await mkdir(RESULTS_DIR, { recursive: true });
  const json = `${JSON.stringify(results, null, 2)}\n`;
  const markdown = renderMarkdown(results);
  const stamp = results.startedAt.replace(/[:.]/g, '-');
  await writeFile(path.join(RESULTS_DIR, `${stamp}.json`), json);
  await writeFile(path.join(RESULTS_DIR, 'latest.json'), json);
  await writeFile(path.join(RESULTS_DIR, 'latest.md'), `${markdown}\n`);
  return markdown;
}

async function main(results: BenchResults): Promise<void> {
  ensureWrk();
  log('building the server (npm run build)');
  const build = spawnSync('npm', ['run', 'build', '--silent'], { cwd: REPO, stdio: 'inherit' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const pgbench = findPgbench();
  const nonce = randomBytes(4).toString('hex');
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'kosh-bench-'));
  exitGuard.tmpDirs.push(tmp);
  onCleanup(async () => {
    if (options.keepTmp) log(`kept ${tmp}`);
    else await rm(tmp, { recursive: true, force: true });
  });

  // 1. PostgreSQL and the baseline.
  let baseUrl: string;
  let createDatabase: (name: string) => Promise<string>;
  if (options.databaseUrl !== undefined) {
    baseUrl = options.databaseUrl;
    log(`using the PostgreSQL server of BENCH_DATABASE_URL`);
    createDatabase = async (name) => {
      const url = await createTestDatabase(baseUrl, `bench_${name}`);
      onCleanup(async () => {
        const database = new URL(url).pathname.slice(1);
        await query(baseUrl, `drop database if exists "${database}" with (force)`);
      });
      return url;
    };
  } else {
    log('starting a throw-away PostgreSQL server');
    const server: PostgresServer = await startPostgres();
    onCleanup(() => server.destroy());
    baseUrl = server.url;
    createDatabase = (name) => server.createDatabase(name);
  }
  const [version] = await query<{ version: string; settings: string }>(
    baseUrl,
    `select current_setting('server_version') as version,
            (select string_agg(name || '=' || current_setting(name), ', ' order by name) from pg_settings
              where name in ('fsync', 'synchronous_commit', 'full_page_writes', 'shared_buffers', 'max_connections')) as settings`,
  );
  results.machine.postgres = version?.version ?? null;
  results.machine.postgresSettings = version?.settings ?? null;

  const pgbenchUrl = await createDatabase('pgbench');
  results.baseline = await runPgbench(pgbench, pgbenchUrl);
  // The pgbench tables are not needed any more; free their memory and disk for Kosh.
  if (options.databaseUrl === undefined) await query(baseUrl, 'drop database pgbench with (force)');

  // 2. The Kosh data set, prepared through the library, then the server.
  const koshUrl = await createDatabase('kosh');
  const pgConfig = loadConfig({ DATABASE_URL: koshUrl, DATA_DIR: path.join(tmp, 'kosh-pg-data'), JWT_SECRET, SEED_ON_EMPTY: 'false', LOG_LEVEL: 'warn' });
  log(`preparing ${options.accounts} accounts over ${Math.ceil(options.accounts / ACCOUNTS_PER_CUSTOMER)} customers, plus a merchant (library: registerUser, openAccount, deposit)`);
  const bank = await withWatchdog(
    (progress) => prepareBank(pgConfig, { accounts: options.accounts, prefix: 'bc', merchant: true }, progress),
    PREPARATION_STALL_MS,
    'Preparing the PostgreSQL data set through the library',
  );
  const merchant = bank.merchant as PreparedCustomer;
  const merchantAccount = merchant.accounts[0] as { id: string; number: string };
  results.dataset = {
    customers: bank.customers.length,
    accounts: bank.customers.reduce((n, c) => n + c.accounts.length, 0),
    'merchant accounts': 1,
    'funding per account': FUNDING,
    'preparation seconds': bank.seconds,
  };
  log(`  prepared in ${bank.seconds} s`);

  log('starting kosh serve on PostgreSQL');
  const server = await startKosh({ DATABASE_URL: koshUrl, DATA_DIR: path.join(tmp, 'kosh-pg-data') });
  onCleanup(() => server.stop());
  results.serverLog = server.log;
  const rss: number[] = [];
  const track = (sample: SampleSummary) => {
    if (sample.maxRssMb !== null) rss.push(sample.maxRssMb);
    results.maxRssMb.postgres = rss.length === 0 ? null : Math.max(...rss);
  };

  log(`signing in ${bank.customers.length + 1} customers over HTTP`);
  const tokens = await signIn(server.url, [...bank.customers.map((c) => c.username), merchant.username]);
  const merchantToken = tokens.pop() as string;
  const data = loadDataFor(bank.customers, tokens, merchant);
  const files = await writeLoadData(tmp, 'postgres-load', data);

  results.warmup = await warmUp(server, files.lua, nonce, 'PostgreSQL');
  track(results.warmup.server);

  // 3. Uniform transfers.
  log(`uniform transfers: ${options.connections.join(', ')} connections, ${options.durationS} s each`);
  results.uniform = await throughputPhase(server, files.lua, 'uniform', options.connections, nonce);
  for (const run of results.uniform.levels) track(run.server);

  // 4. Hot account.
  log(`hot account: ${options.connections.join(', ')} connections, ${options.durationS} s each`);
  const before = await accountBalance(server.url, merchantToken, merchantAccount.id);
  const hot = await throughputPhase(server, files.lua, 'hot', options.connections, nonce);
  for (const run of hot.levels) track(run.server);
  await sleep(2_000);
  const after = await accountBalance(server.url, merchantToken, merchantAccount.id);
  const acknowledged = hot.levels.reduce((n, run) => n + run.ok, 0);
  results.hot = { ...hot, drift: await driftCheck(koshUrl, merchantAccount.id, after - before, acknowledged) };
  log(`  drift check: ${results.hot.drift?.drift ? 'DRIFT' : 'no drift'} (${results.hot.drift?.explanation})`);

  // 5. Latency, open loop, at half the best uniform rate (and at other fractions when asked).
  const bestUniform = results.uniform.best?.perSecond ?? 0;
  const fractions = [0.5, ...options.latencyFractions.filter((f) => f !== 0.5)].sort((a, b) => a - b);
  const curve: (OpenLoopResult & { fraction: number; server: SampleSummary })[] = [];
  for (const fraction of fractions) {
    const rate = Math.max(1, Math.round(bestUniform * fraction));
    log(`open-loop latency at ${rate} transfers/s (${Math.round(fraction * 100)}% of the best uniform rate) for ${options.latencyDurationS} s (after ${options.latencyWarmupS} s warm-up)`);
    await drainBackground(server, `open loop at ${Math.round(fraction * 100)}%`);
    const latencySampler = new ProcessSampler(server.pid);
    const openLoop = await runNodeScript<OpenLoopResult>(
      OPEN_LOOP,
      [
        '--url', server.url,
        '--data', files.json,
        '--rate', String(rate),
        '--duration', String(options.latencyDurationS),
        '--warmup', String(options.latencyWarmupS),
        '--sockets', '512',
        '--nonce', `${nonce}-ol${Math.round(fraction * 1000)}`,
      ],
      (options.latencyDurationS + options.latencyWarmupS + 120) * 1000,
    );
    const point = { ...openLoop, fraction, server: latencySampler.stop() };
    curve.push(point);
    if (fraction === 0.5) results.latency = point;
    track(point.server);
    log(
      `  p50 ${openLoop.latencyMs?.p50} ms, p99 ${openLoop.latencyMs?.p99} ms, p99.9 ${openLoop.latencyMs?.p999} ms; ` +
        `${openLoop.achievedRate}/s achieved, ${openLoop.errors} errors, statuses ${JSON.stringify(openLoop.statuses)}`,
    );
    await sleep(1_000);
  }
  if (curve.length > 1) results.latencyCurve = curve;

  // Is a Node generator good enough? Same endpoint, same concurrency, wrk vs node:http.
  if (!options.skipGeneratorCheck) {
    await sleep(1_000);
    const c = options.generatorCheckConnections;
    const d = options.generatorCheckDurationS;
    log(`generator check: GET /healthz, ${c} connections, ${d} s, wrk then node:http`);
    let wrkSampler: ProcessSampler | undefined;
    const wrkRun = await runWrk(server, {
      connections: c,
      durationS: d,
      scriptArgs: ['-', 'get', nonce, '/healthz'],
      onSpawn: (child) => {
        if (child.pid !== undefined) wrkSampler = new ProcessSampler(child.pid, 100);
      },
    });
    const wrkCpu = wrkSampler?.stop();
    track(wrkRun.server);
    await sleep(1_000);
    const nodeSampler = new ProcessSampler(server.pid);
    const nodeRun = await runNodeScript<ClosedLoopResult>(
      CLOSED_LOOP,
      ['--url', `${server.url}/healthz`, '--connections', String(c), '--duration', String(d)],
      (d + 60) * 1000,
    );
    const nodeServer = nodeSampler.stop();
    track(nodeServer);
    results.generatorCheck = {
      connections: c,
      durationS: d,
      wrk: {
        requestsPerSecond: wrkRun.requests / wrkRun.durationS,
        statuses: wrkRun.statuses,
        generatorCpuPercent: wrkCpu?.processCpuPercent ?? null,
        serverCpuPercent: wrkRun.server.processCpuPercent,
      },
      node: { ...nodeRun, serverCpuPercent: nodeServer.processCpuPercent },
    };
    log(
      `  wrk ${(wrkRun.requests / wrkRun.durationS).toFixed(0)} req/s (wrk CPU ${wrkCpu?.processCpuPercent}%), ` +
        `node ${nodeRun.requestsPerSecond.toFixed(0)} req/s (generator CPU ${nodeRun.generatorCpuPercent}%)`,
    );
  }

  await server.stop();
  log(`server log: ${server.log.warnings} warnings, ${server.log.errors} errors, ${server.log.otherLines} other lines`);

  // 6. The engine without HTTP, with the server stopped (so no background work runs meanwhile).
  if (!options.skipEngineOnly) {
    const concurrency = results.uniform?.best?.connections ?? Math.max(...options.connections);
    log(`transfer engine without HTTP: ${concurrency} callers in one process, ${options.durationS} s (after ${options.warmupS} s warm-up)`);
    results.engineOnly = await runNodeScript<EngineOnlyResult>(
      ENGINE_ONLY,
      [
        '--data', files.json,
        '--concurrency', String(concurrency),
        '--duration', String(options.durationS),
        '--warmup', String(options.warmupS),
        '--nonce', `${nonce}-engine`,
      ],
      (options.durationS + options.warmupS + 120) * 1000,
      { nodeFlags: NODE_FLAGS, env: serverEnv({ DATABASE_URL: koshUrl, DATA_DIR: path.join(tmp, 'kosh-pg-data') }) },
    );
    log(`  ${results.engineOnly.perSecond}/s (${JSON.stringify(results.engineOnly.statuses)}), process CPU ${results.engineOnly.processCpuPercent}%, machine ${results.engineOnly.machineCpuPercent}%`);
  }

  // 7. Embedded PGlite.
  if (!options.skipPglite) {
    const dataDir = path.join(tmp, 'kosh-pglite-data');
    const config = loadConfig({ DATA_DIR: dataDir, JWT_SECRET, SEED_ON_EMPTY: 'false', LOG_LEVEL: 'warn' });
    log(`PGlite: preparing ${options.pgliteAccounts} accounts over ${Math.ceil(options.pgliteAccounts / ACCOUNTS_PER_CUSTOMER)} customers in ${dataDir}`);
    const small = await withWatchdog(
      (progress) => prepareBank(config, { accounts: options.pgliteAccounts, prefix: 'pc', merchant: false }, progress),
      PREPARATION_STALL_MS,
      'Preparing the PGlite data set through the library',
    );
    log(`  prepared in ${small.seconds} s; starting kosh serve on PGlite`);
    const embedded = await startKosh({ DATA_DIR: dataDir });
    onCleanup(() => embedded.stop());
    const pgliteTokens = await signIn(embedded.url, small.customers.map((c) => c.username));
    const pgliteFiles = await writeLoadData(tmp, 'pglite-load', loadDataFor(small.customers, pgliteTokens, null));
    const warm = await warmUp(embedded, pgliteFiles.lua, `${nonce}-pglite`, 'PGlite');
    log(`PGlite uniform transfers: ${options.pgliteConnections.join(', ')} connections, ${options.durationS} s each`);
    const phase = await throughputPhase(embedded, pgliteFiles.lua, 'uniform', options.pgliteConnections, `${nonce}-pglite`, 'PGlite uniform');
    const pgliteRss = [warm, ...phase.levels].map((run) => run.server.maxRssMb).filter((value): value is number => value !== null);
    results.maxRssMb.pglite = pgliteRss.length === 0 ? null : Math.max(...pgliteRss);
    await embedded.stop();
    results.pglite = {
      ...phase,
      dataset: {
        customers: small.customers.length,
        accounts: small.customers.reduce((n, c) => n + c.accounts.length, 0),
        'funding per account': FUNDING,
        'preparation seconds': small.seconds,
      },
      serverLog: embedded.log,
    };
    log(`PGlite server log: ${embedded.log.warnings} warnings, ${embedded.log.errors} errors, ${embedded.log.otherLines} other lines`);
  }
  results.complete = true;
}

const startedAt = new Date();
const results: BenchResults = {
  version: 1,
  startedAt: startedAt.toISOString(),
  finishedAt: null,
  complete: false,
  error: null,
  mode: options.quick ? 'quick' : 'full',
  options: {
    ...options,
    databaseUrl: options.databaseUrl === undefined ? null : '(BENCH_DATABASE_URL)',
    wrkThreads: 1,
    wrkTimeoutS: WRK_TIMEOUT_S,
    serverEnvPassthrough: passedThroughKoshVariables(['DATABASE_URL', 'DATA_DIR', 'PORT', 'HOST', 'LOG_LEVEL', 'SEED_ON_EMPTY', 'JWT_SECRET', 'ACCESS_TOKEN_TTL_SECONDS']),
  },
  machine: {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
    wrk: firstLine('wrk', ['-v'])?.replace(/\s*Copyright.*$/, '') ?? null,
    pgbench: firstLine('pgbench', ['--version']),
    koshCommit: gitDescription(),
    label: process.env.BENCH_LABEL === '' ? undefined : process.env.BENCH_LABEL,
    loadAverageAtStart: os.loadavg().map((value) => Math.round(value * 100) / 100),
  },
  baseline: null,
  dataset: null,
  warmup: null,
  uniform: null,
  hot: null,
  latency: null,
  latencyCurve: null,
  generatorCheck: null,
  engineOnly: null,
  pglite: null,
  serverLog: null,
  maxRssMb: { postgres: null, pglite: null },
  drains: backgroundDrains,
  targets: [],
  notes: [],
};

let exitCode = 0;
try {
  log(`Kosh benchmark, ${results.mode} mode`);
  const busy = await measureMachineBusy(2_000);
  results.machine.cpuBusyPercentAtStart = busy;
  if (busy !== null && busy > 15) log(`warning: the machine is busy (${busy}% of all cores) before the run; figures will be lower`);
  await main(results);
} catch (error) {
  exitCode = 1;
  results.error = error instanceof Error ? error.message : String(error);
  if (!exitGuard.interrupted) console.error('\nThe benchmark stopped:', error);
} finally {
  await cleanupAll();
}
exitGuard.finished = true;
results.finishedAt = new Date().toISOString();
try {
  const markdown = await writeResults(results);
  console.log(`\n${markdown}`);
  log(`results written to ${path.relative(REPO, RESULTS_DIR)}/ (latest.md, latest.json, ${results.startedAt.replace(/[:.]/g, '-')}.json)`);
} catch (error) {
  exitCode = 1;
  console.error('could not write the results:', error);
}
process.exit(exitCode);
