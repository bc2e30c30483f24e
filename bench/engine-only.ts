/**
 * The transfer engine without HTTP: `concurrency` callers in one process, each preparing a
 * uniform transfer (the same choice of accounts and amounts as the HTTP phases) and submitting
 * it to the engine, then the next as soon as the answer comes. Each transfer carries an
 * idempotency key and goes through everything the route does after authentication and body
 * parsing: preparing (ownership, recipient, amount) and the engine (locks, limits, funds, every
 * write). It measures what the engine and PostgreSQL can do on this machine when no request has
 * to be parsed, authenticated or answered.
 *
 *   DATABASE_URL=... DATA_DIR=... JWT_SECRET=... tsx bench/engine-only.ts --data load.json \
 *     --concurrency 512 --duration 15 --warmup 5 --nonce abc
 *
 * The data file is the JSON load data of the HTTP phases; callers act as the customers whose
 * tokens it holds. Prints one JSON object on stdout (see EngineOnlyResult).
 */
import { readFileSync } from 'node:fs';
import { decodeJwt } from 'jose';
import { createContext, openConfiguredDatabase } from '../src/app.js';
import { prepareTransfer } from '../src/modules/payments/move-money.js';
import { engineFor } from '../src/modules/payments/engine.js';
import { transactionView } from '../src/modules/payments/views.js';
import { loadConfig } from '../src/platform/config.js';
import type { Principal } from '../src/platform/http/auth.js';
import { requestFingerprint } from '../src/platform/http/idempotency.js';
import { parseFlags, readMachineTicks, requiredFlag, uniformTransfer, type LoadData } from './support.js';

export interface EngineOnlyResult {
  readonly concurrency: number;
  readonly durationS: number;
  readonly warmupS: number;
  /** Answers in the measured window: the engine's status code, or `refused: <code>` when preparing refused. */
  readonly statuses: Record<string, number>;
  /** Answered 201 per second. */
  readonly perSecond: number;
  /** CPU of this process (the engine and its callers), in % of one core. */
  readonly processCpuPercent: number;
  /** CPU of the whole machine, in % of all cores. */
  readonly machineCpuPercent: number | null;
}

const PATH = '/api/v1/transfers';
const flags = parseFlags(process.argv.slice(2));
const data = JSON.parse(readFileSync(requiredFlag(flags, 'data'), 'utf8')) as LoadData;
const concurrency = Number(flags.get('concurrency') ?? '256');
const durationS = Number(flags.get('duration') ?? '10');
const warmupS = Number(flags.get('warmup') ?? '3');
const nonce = flags.get('nonce') ?? String(Date.now());

const config = loadConfig(process.env);
const database = await openConfiguredDatabase(config);
const context = await createContext({ config, database });
const engine = engineFor(context, transactionView);

const principals = new Map<string, Principal>();
function principalOf(auth: string): Principal {
  let principal = principals.get(auth);
  if (principal === undefined) {
    const claims = decodeJwt(auth.replace(/^Bearer /, ''));
    principal = { userId: String(claims.sub), role: 'customer', sessionId: String(claims.sid) };
    principals.set(auth, principal);
  }
  return principal;
}

interface Body {
  readonly from_account_id: string;
  readonly to_account_id?: string;
  readonly to_account_number?: string;
  readonly amount: string;
}

let counting = false;
let stopping = false;
let sequence = 0;
const statuses: Record<string, number> = {};

async function caller(): Promise<void> {
  while (!stopping) {
    const { auth, body: text } = uniformTransfer(data);
    sequence += 1;
    // As on a request: the audit row records where it came from.
    const principal: Principal = { ...principalOf(auth), origin: { ip: '127.0.0.1', userAgent: 'kosh-bench/engine-only', requestId: `${nonce}-${sequence}` } };
    const body = JSON.parse(text) as Body;
    const idempotency = { ref: { scope: principal.userId, key: `${nonce}-${sequence}` }, fingerprint: requestFingerprint({ method: 'POST', path: PATH, body }) };
    let status: string;
    try {
      const movement = await prepareTransfer(context, principal, {
        fromAccountId: body.from_account_id,
        toAccountId: body.to_account_id,
        toAccountNumber: body.to_account_number,
        amount: body.amount,
      });
      status = String((await engine.submit({ ...movement, idempotency, path: PATH })).statusCode);
    } catch (error) {
      status = error instanceof Error && 'code' in error ? `refused: ${String(error.code)}` : 'error';
    }
    if (counting) statuses[status] = (statuses[status] ?? 0) + 1;
  }
}

const callers = Array.from({ length: concurrency }, caller);
await new Promise((resolve) => setTimeout(resolve, warmupS * 1000));
counting = true;
const cpuStart = process.cpuUsage();
const machineStart = readMachineTicks();
const start = performance.now();
await new Promise((resolve) => setTimeout(resolve, durationS * 1000));
counting = false;
const seconds = (performance.now() - start) / 1000;
const cpu = process.cpuUsage(cpuStart);
const machineEnd = readMachineTicks();
stopping = true;
await Promise.allSettled(callers);
await engine.drain();
await database.close();

const round1 = (value: number) => Math.round(value * 10) / 10;
const result: EngineOnlyResult = {
  concurrency,
  durationS: round1(seconds),
  warmupS,
  statuses,
  perSecond: round1((statuses['201'] ?? 0) / seconds),
  processCpuPercent: round1(((cpu.user + cpu.system) / 1e6 / seconds) * 100),
  machineCpuPercent:
    machineStart === undefined || machineEnd === undefined || machineEnd.total === machineStart.total
      ? null
      : round1(((machineEnd.busy - machineStart.busy) / (machineEnd.total - machineStart.total)) * 100),
};
console.log(JSON.stringify(result));
process.exit(0);
