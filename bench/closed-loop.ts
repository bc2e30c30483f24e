/**
 * A closed-loop HTTP load generator in Node (node:http, keep-alive): `connections` loops, each
 * sending the next GET as soon as the previous response ended. It exists only to check whether a
 * load generator written in Node keeps up with the server, compared with wrk at the same
 * concurrency on the same cheap endpoint (see bench/README.md).
 *
 *   tsx bench/closed-loop.ts --url http://127.0.0.1:8000/healthz --connections 64 --duration 5
 *
 * Prints one JSON object on stdout (see ClosedLoopResult).
 */
import http from 'node:http';
import { percentile, parseFlags, requiredFlag } from './support.js';

export interface ClosedLoopResult {
  readonly connections: number;
  readonly durationS: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly statuses: Record<string, number>;
  readonly errors: number;
  readonly latencyMs: { p50: number; p99: number; max: number } | null;
  /** CPU used by the generator process, in % of one core. */
  readonly generatorCpuPercent: number;
}

const flags = parseFlags(process.argv.slice(2));
const url = new URL(requiredFlag(flags, 'url'));
const connections = Number(flags.get('connections') ?? '64');
const durationS = Number(flags.get('duration') ?? '5');

const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections });
const statuses: Record<string, number> = {};
const latencies: number[] = [];
let errors = 0;
let requests = 0;
const cpuStart = process.cpuUsage();
const start = performance.now();
const stopAt = start + durationS * 1000;

function loop(): Promise<void> {
  return new Promise((resolve) => {
    const once = () => {
      if (performance.now() >= stopAt) {
        resolve();
        return;
      }
      const sentAt = performance.now();
      const request = http.get({ agent, host: url.hostname, port: url.port, path: url.pathname + url.search }, (response) => {
        response.on('data', () => undefined);
        response.on('end', () => {
          const end = performance.now();
          if (end <= stopAt) {
            requests += 1;
            latencies.push(end - sentAt);
            statuses[String(response.statusCode)] = (statuses[String(response.statusCode)] ?? 0) + 1;
          }
          once();
        });
      });
      request.on('error', () => {
        errors += 1;
        setTimeout(once, 10);
      });
    };
    once();
  });
}

await Promise.all(Array.from({ length: connections }, () => loop()));
const elapsedMs = performance.now() - start;
const cpu = process.cpuUsage(cpuStart);
agent.destroy();
latencies.sort((a, b) => a - b);
const round = (value: number) => Math.round(value * 100) / 100;
const result: ClosedLoopResult = {
  connections,
  durationS,
  requests,
  requestsPerSecond: round(requests / (Math.min(elapsedMs, durationS * 1000) / 1000)),
  statuses,
  errors,
  latencyMs:
    latencies.length === 0
      ? null
      : { p50: round(percentile(latencies, 0.5)), p99: round(percentile(latencies, 0.99)), max: round(latencies[latencies.length - 1] as number) },
  generatorCpuPercent: Math.round((((cpu.user + cpu.system) / 1000) / elapsedMs) * 1000) / 10,
};
process.stdout.write(`${JSON.stringify(result)}\n`);
process.exit(0);
