/**
 * Open-loop load generator for Kosh transfers: requests are sent at a fixed rate, evenly spaced,
 * whether or not earlier ones have been answered, and each latency is measured from the request's
 * SCHEDULED send time to the end of its response. A server that falls behind therefore shows its
 * queueing in the latencies instead of slowing the generator down (coordinated omission).
 *
 *   tsx bench/open-loop.ts --url http://127.0.0.1:8000 --data load.json --rate 500 \
 *     --duration 20 --warmup 3 [--sockets 512] [--nonce abc] [--timeout 30]
 *
 * Prints one JSON object on stdout (see OpenLoopResult). Latencies are over every response that
 * arrived (any status); failures without a response are counted in `errors`.
 */
import http from 'node:http';
import { readFileSync } from 'node:fs';
import { percentile, parseFlags, requiredFlag, uniformTransfer, type LoadData } from './support.js';

export interface OpenLoopResult {
  readonly targetRate: number;
  readonly durationS: number;
  readonly warmupS: number;
  readonly sockets: number;
  /** Requests scheduled in the measured window. */
  readonly scheduled: number;
  /** Responses received for them, by status. */
  readonly statuses: Record<string, number>;
  readonly ok: number;
  /** Requests without a response: socket errors and timeouts. */
  readonly errors: number;
  readonly errorKinds: Record<string, number>;
  /** 2xx responses per second of the measured window. */
  readonly achievedRate: number;
  readonly latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number } | null;
  /** How late the generator itself sent requests (ms after their scheduled time). */
  readonly sendLagMs: { p99: number; max: number };
  /** CPU used by the generator process, in % of one core. */
  readonly generatorCpuPercent: number;
}

const flags = parseFlags(process.argv.slice(2));
const url = new URL(requiredFlag(flags, 'url'));
const data = JSON.parse(readFileSync(requiredFlag(flags, 'data'), 'utf8')) as LoadData;
const rate = Number(requiredFlag(flags, 'rate'));
const durationS = Number(flags.get('duration') ?? '20');
const warmupS = Number(flags.get('warmup') ?? '3');
const sockets = Number(flags.get('sockets') ?? '512');
const timeoutS = Number(flags.get('timeout') ?? '30');
const nonce = flags.get('nonce') ?? Date.now().toString(36);
if (!(rate > 0) || !(durationS > 0) || !(warmupS >= 0)) throw new Error('--rate and --duration must be positive');

const agent = new http.Agent({ keepAlive: true, maxSockets: sockets, maxFreeSockets: sockets });
const intervalMs = 1000 / rate;
const total = Math.ceil(rate * (warmupS + durationS));
const firstMeasured = Math.ceil(rate * warmupS);

const latencies: number[] = [];
const sendLags: number[] = [];
const statuses: Record<string, number> = {};
const errorKinds: Record<string, number> = {};
let errors = 0;
let ok = 0;
let outstanding = 0;
let next = 0;
let t0 = 0;
let measuredEnd = 0;
let finish: () => void = () => undefined;
const finished = new Promise<void>((resolve) => {
  finish = resolve;
});

function send(index: number): void {
  const scheduledAt = t0 + index * intervalMs;
  const measured = index >= firstMeasured;
  if (measured) sendLags.push(performance.now() - scheduledAt);
  const { auth, body } = uniformTransfer(data);
  outstanding += 1;
  let settled = false;
  const settle = (status: number | undefined, error?: string) => {
    if (settled) return;
    settled = true;
    outstanding -= 1;
    if (measured) {
      const end = performance.now();
      measuredEnd = Math.max(measuredEnd, end);
      if (status !== undefined) {
        latencies.push(end - scheduledAt);
        statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
        if (status >= 200 && status < 300) ok += 1;
      } else {
        errors += 1;
        const kind = error ?? 'error';
        errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      }
    }
    if (next >= total && outstanding === 0) finish();
  };
  const request = http.request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      method: 'POST',
      path: '/api/v1/transfers',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(body),
        authorization: auth,
        'idempotency-key': `ol-${nonce}-${process.pid}-${index}-${Math.floor(Math.random() * 1e9)}`,
      },
      timeout: timeoutS * 1000,
    },
    (response) => {
      response.on('data', () => undefined);
      response.on('end', () => settle(response.statusCode));
      response.on('error', (error: NodeJS.ErrnoException) => settle(undefined, error.code ?? 'response_error'));
    },
  );
  request.on('timeout', () => {
    request.destroy();
    settle(undefined, 'timeout');
  });
  request.on('error', (error: NodeJS.ErrnoException) => settle(undefined, error.code ?? 'request_error'));
  request.end(body);
}

function tick(): void {
  const now = performance.now();
  while (next < total && t0 + next * intervalMs <= now) {
    send(next);
    next += 1;
  }
  if (next < total) {
    const wait = t0 + next * intervalMs - performance.now();
    setTimeout(tick, Math.max(0, Math.floor(wait)));
  } else if (outstanding === 0) {
    finish();
  }
}

const cpuStart = process.cpuUsage();
const wallStart = performance.now();
t0 = performance.now();
tick();
// Give the stragglers time to finish, then stop waiting for them.
const deadline = setTimeout(finish, (warmupS + durationS + timeoutS + 5) * 1000);
await finished;
clearTimeout(deadline);
const unfinished = outstanding;
if (unfinished > 0) {
  errors += unfinished;
  errorKinds.unfinished = unfinished;
}
const cpu = process.cpuUsage(cpuStart);
const cpuPercent = ((cpu.user + cpu.system) / 1000 / (performance.now() - wallStart)) * 100;
agent.destroy();

latencies.sort((a, b) => a - b);
sendLags.sort((a, b) => a - b);
const windowStart = t0 + firstMeasured * intervalMs;
const windowMs = Math.max(durationS * 1000, measuredEnd - windowStart);
const round = (value: number) => Math.round(value * 100) / 100;
const result: OpenLoopResult = {
  targetRate: rate,
  durationS,
  warmupS,
  sockets,
  scheduled: total - firstMeasured,
  statuses,
  ok,
  errors,
  errorKinds,
  achievedRate: round(ok / (windowMs / 1000)),
  latencyMs:
    latencies.length === 0
      ? null
      : {
          p50: round(percentile(latencies, 0.5)),
          p90: round(percentile(latencies, 0.9)),
          p99: round(percentile(latencies, 0.99)),
          p999: round(percentile(latencies, 0.999)),
          max: round(latencies[latencies.length - 1] as number),
          mean: round(latencies.reduce((sum, value) => sum + value, 0) / latencies.length),
        },
  sendLagMs: { p99: round(percentile(sendLags, 0.99) || 0), max: round(sendLags[sendLags.length - 1] ?? 0) },
  generatorCpuPercent: Math.round(cpuPercent * 10) / 10,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
