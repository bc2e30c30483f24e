/**
 * Prometheus metrics. Each application instance has its own registry (tests run several apps in
 * one process).
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PoolStats } from './db/database.js';

export interface Metrics {
  readonly registry: Registry;
  readonly httpRequestDuration: Histogram<'method' | 'route' | 'status_code'>;
  readonly moneyMovements: Counter<'type' | 'outcome'>;
  readonly transactionRetries: Counter<'sqlstate'>;
  readonly engineBatchSize: Histogram;
  readonly engineBatchDuration: Histogram;
}

/** Background work not done yet, read from the database when /metrics is scraped. */
export interface Backlog {
  readonly outboxPending: number;
  readonly jobs: readonly { readonly queue: string; readonly state: string; readonly count: number }[];
}

/** How long one reading of the backlog serves scrapes (two gauges share it). */
const BACKLOG_TTL_MS = 1000;

export function createMetrics(options: { poolStats: () => PoolStats; backlog?: () => Promise<Backlog>; defaultMetrics?: boolean }): Metrics {
  const registry = new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry, prefix: 'kosh_' });
  const httpRequestDuration = new Histogram({
    name: 'kosh_http_request_duration_seconds',
    help: 'HTTP request latency by route and status.',
    labelNames: ['method', 'route', 'status_code'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const moneyMovements = new Counter({
    name: 'kosh_money_movements_total',
    help: 'Deposits, withdrawals, transfers and reversals by outcome.',
    labelNames: ['type', 'outcome'] as const,
    registers: [registry],
  });
  const transactionRetries = new Counter({
    name: 'kosh_db_transaction_retries_total',
    help: 'Database transactions retried after a serialization failure or deadlock, by SQLSTATE.',
    labelNames: ['sqlstate'] as const,
    registers: [registry],
  });
  const engineBatchSize = new Histogram({
    name: 'kosh_engine_batch_size',
    help: 'Money movements per batch posted by the transfer engine.',
    buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000],
    registers: [registry],
  });
  const engineBatchDuration = new Histogram({
    name: 'kosh_engine_batch_duration_seconds',
    help: 'Time to post one batch (one database transaction).',
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
    registers: [registry],
  });
  const poolGauge = (name: string, help: string, pick: (stats: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(pick(options.poolStats()));
      },
    });
  poolGauge('kosh_db_pool_connections', 'Open database connections.', (stats) => stats.total);
  poolGauge('kosh_db_pool_idle_connections', 'Idle database connections.', (stats) => stats.idle);
  poolGauge('kosh_db_pool_waiting_requests', 'Requests waiting for a database connection.', (stats) => stats.waiting);
  if (options.backlog !== undefined) registerBacklogGauges(registry, options.backlog);
  return { registry, httpRequestDuration, moneyMovements, transactionRetries, engineBatchSize, engineBatchDuration };
}

function registerBacklogGauges(registry: Registry, read: () => Promise<Backlog>): void {
  let reading: { at: number; backlog: Promise<Backlog | null> } | undefined;
  // A database that cannot answer leaves the gauges empty rather than failing the scrape.
  const backlog = () => {
    const now = Date.now();
    if (reading === undefined || now - reading.at > BACKLOG_TTL_MS) reading = { at: now, backlog: read().catch(() => null) };
    return reading.backlog;
  };
  new Gauge({
    name: 'kosh_outbox_pending_events',
    help: 'Committed outbox events not yet handed to their consumers.',
    registers: [registry],
    async collect() {
      const current = await backlog();
      if (current === null) this.reset();
      else this.set(current.outboxPending);
    },
  });
  new Gauge({
    name: 'kosh_jobs',
    help: 'Background jobs not completed, by queue and state (created, retry, active, failed: dead-lettered).',
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      const current = await backlog();
      this.reset();
      for (const row of current?.jobs ?? []) this.set({ queue: row.queue, state: row.state }, row.count);
    },
  });
}
