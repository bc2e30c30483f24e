/**
 * The shape of a benchmark result (bench/results/*.json) and its Markdown summary.
 */
import type { ClosedLoopResult } from './closed-loop.js';
import type { EngineOnlyResult } from './engine-only.js';
import type { OpenLoopResult } from './open-loop.js';
import type { SampleSummary } from './support.js';

export interface WrkRun {
  readonly connections: number;
  readonly durationS: number;
  /** Responses of any status. */
  readonly requests: number;
  /** 2xx responses: completed transfers. */
  readonly ok: number;
  readonly perSecond: number;
  readonly statuses: Record<string, number>;
  readonly socketErrors: { connect: number; read: number; write: number; timeout: number };
  /** wrk's closed-loop latencies (informational; coordinated omission applies). */
  readonly latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number };
  readonly server: SampleSummary;
}

export interface ThroughputPhase {
  readonly levels: WrkRun[];
  /** The level with the most 2xx per second. */
  readonly best: WrkRun | null;
}

export interface PgbenchRun {
  readonly clients: number;
  readonly jobs: number;
  readonly durationS: number;
  readonly tps: number;
  readonly latencyAverageMs: number | null;
  readonly failedTransactions: number | null;
}

export interface DriftCheck {
  readonly integrityProblems: number;
  readonly integrityDetails: string[];
  /** The merchant's ledger balance and the (signed) sum of its postings, in minor units. */
  readonly merchantBalanceMinor: string;
  readonly merchantPostingsSumMinor: string;
  /** Balance change seen through the API over the hot phase, and what the 2xx responses imply. */
  readonly merchantCreditedMinor: string;
  readonly acknowledgedMinor: string;
  /** Credited minus acknowledged: transfers that committed but whose response wrk never counted. */
  readonly unacknowledgedMinor: string;
  readonly drift: boolean;
  readonly explanation: string;
}

export interface ServerLog {
  /** Log entries at warn and at error or fatal level. */
  readonly warnings: number;
  readonly errors: number;
  /** Output lines that are not log entries (Node.js warnings, stack traces). */
  readonly otherLines: number;
  readonly samples: string[];
}

export interface Target {
  readonly name: string;
  readonly target: string;
  readonly value: string;
  /** null when the phase did not run. */
  readonly pass: boolean | null;
  /** A reference figure, not a target. */
  readonly reference?: boolean;
}

export interface BackgroundDrain {
  readonly before: string;
  /** Outbox events not relayed plus outbox jobs waiting or running, when the wait began (null: not reported). */
  readonly backlogAtStart: number | null;
  readonly seconds: number;
  /** Whether the backlog reached zero (false: the wait gave up at its limit). */
  readonly drained: boolean;
}

export interface BenchResults {
  readonly version: 1;
  readonly startedAt: string;
  finishedAt: string | null;
  complete: boolean;
  error: string | null;
  readonly mode: 'full' | 'quick';
  readonly options: Record<string, unknown>;
  machine: Record<string, unknown>;
  baseline: { scale: number; runs: PgbenchRun[]; best: PgbenchRun | null } | null;
  dataset: Record<string, unknown> | null;
  warmup: WrkRun | null;
  uniform: ThroughputPhase | null;
  hot: (ThroughputPhase & { drift: DriftCheck | null }) | null;
  latency: (OpenLoopResult & { server: SampleSummary }) | null;
  /** Open-loop runs at several fractions of the best uniform rate (BENCH_LATENCY_FRACTIONS). */
  latencyCurve: (OpenLoopResult & { fraction: number; server: SampleSummary })[] | null;
  generatorCheck: {
    connections: number;
    durationS: number;
    wrk: { requestsPerSecond: number; statuses: Record<string, number>; generatorCpuPercent: number | null; serverCpuPercent: number | null };
    node: ClosedLoopResult & { serverCpuPercent: number | null };
  } | null;
  /** The transfer engine without HTTP, in one process (bench/engine-only.ts). */
  engineOnly: EngineOnlyResult | null;
  pglite: (ThroughputPhase & { dataset: Record<string, unknown>; serverLog: ServerLog | null }) | null;
  serverLog: ServerLog | null;
  maxRssMb: { postgres: number | null; pglite: number | null };
  /** Waits for background work (outbox events and their jobs) to finish before each measurement. */
  drains: BackgroundDrain[];
  targets: Target[];
  notes: string[];
}

const fixed = (value: number, digits = 0) => value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

export function ratio(value: number, baseline: number | undefined): string {
  return baseline === undefined || baseline <= 0 ? 'n/a' : `${(value / baseline).toFixed(2)}×`;
}

function statusList(statuses: Record<string, number>): string {
  const entries = Object.entries(statuses).sort(([a], [b]) => a.localeCompare(b));
  return entries.length === 0 ? 'none' : entries.map(([status, count]) => `${status}: ${fixed(count)}`).join(', ');
}

function non2xx(statuses: Record<string, number>): number {
  return Object.entries(statuses).reduce((sum, [status, count]) => (status.startsWith('2') ? sum : sum + count), 0);
}

function socketErrorText(run: WrkRun): string {
  const e = run.socketErrors;
  const total = e.connect + e.read + e.write + e.timeout;
  return total === 0 ? '0' : `${total} (connect ${e.connect}, read ${e.read}, write ${e.write}, timeout ${e.timeout})`;
}

function levelTable(phase: ThroughputPhase, baselineTps: number | undefined): string[] {
  const lines = [
    '| connections | transfers/s | × pgbench | 2xx | non-2xx | statuses | socket errors | p50 / p99 ms (closed loop) | server CPU | machine CPU | max RSS MB |',
    '|---:|---:|---:|---:|---:|---|---|---|---:|---:|---:|',
  ];
  for (const run of phase.levels) {
    lines.push(
      `| ${run.connections} | ${fixed(run.perSecond, 1)} | ${ratio(run.perSecond, baselineTps)} | ${fixed(run.ok)} | ${fixed(non2xx(run.statuses))} | ${statusList(run.statuses)} | ${socketErrorText(run)} | ${fixed(run.latencyMs.p50, 1)} / ${fixed(run.latencyMs.p99, 1)} | ${run.server.processCpuPercent ?? '?'}% | ${run.server.machineCpuPercent ?? '?'}% | ${run.server.maxRssMb ?? '?'} |`,
    );
  }
  return lines;
}

export function renderMarkdown(r: BenchResults): string {
  const baselineTps = r.baseline?.best?.tps;
  const m = r.machine;
  const out: string[] = [];
  out.push(`# Kosh benchmark, ${r.startedAt}`);
  out.push('');
  if (!r.complete) out.push(`**Incomplete run**: ${r.error ?? 'stopped early'}`, '');
  const load = Array.isArray(m.loadAverageAtStart) ? m.loadAverageAtStart.join(', ') : '?';
  out.push(
    `Mode **${r.mode}**. Machine: ${String(m.cpus)} × ${String(m.cpuModel)}, ${String(m.memoryGb)} GB, Linux ${String(m.kernel)}; ` +
      `Node ${String(m.node)}; PostgreSQL ${String(m.postgres ?? '?')} (${String(m.postgresSettings ?? '?')}); ${String(m.wrk ?? 'wrk ?')}. ` +
      `Kosh: ${String(m.koshCommit ?? '?')}${typeof m.label === 'string' ? ` (${m.label})` : ''}. CPU busy before the run: ${m.cpuBusyPercentAtStart ?? '?'}% of all cores; load average (1, 5, 15 min): ${load}.`,
  );
  out.push('');
  out.push('Everything (PostgreSQL, the Kosh server, the load generator) shares the same cores.');
  out.push('');
  out.push('## Targets');
  out.push('');
  out.push('| measure | value | target | result |');
  out.push('|---|---|---|---|');
  for (const t of r.targets) {
    out.push(`| ${t.name} | ${t.value} | ${t.target} | ${t.reference === true ? '' : t.pass === null ? 'not run' : t.pass ? 'PASS' : 'FAIL'} |`);
  }
  out.push('');

  if (r.baseline !== null) {
    out.push(`## Baseline: pgbench TPC-B (scale ${r.baseline.scale})`);
    out.push('');
    out.push('| clients | jobs | seconds | tps | avg latency ms | failed |');
    out.push('|---:|---:|---:|---:|---:|---:|');
    for (const run of r.baseline.runs) {
      out.push(`| ${run.clients} | ${run.jobs} | ${run.durationS} | ${fixed(run.tps, 1)} | ${run.latencyAverageMs ?? '?'} | ${run.failedTransactions ?? '?'} |`);
    }
    out.push('');
  }

  if (r.dataset !== null) {
    out.push(`Data set (PostgreSQL): ${Object.entries(r.dataset).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`);
    out.push('');
  }

  if (r.uniform !== null) {
    out.push('## Uniform transfers (wrk, 1 thread)');
    out.push('');
    out.push(...levelTable(r.uniform, baselineTps));
    out.push('');
  }

  if (r.hot !== null) {
    out.push('## Hot account: every transfer credits one merchant account (wrk, 1 thread)');
    out.push('');
    out.push(...levelTable(r.hot, baselineTps));
    out.push('');
    const d = r.hot.drift;
    if (d !== null) {
      out.push(
        `Drift check: ${d.drift ? '**DRIFT**' : 'no drift'}. ${d.explanation} Integrity problems: ${d.integrityProblems}. ` +
          `Merchant balance ${d.merchantBalanceMinor} minor units, signed sum of its postings ${d.merchantPostingsSumMinor}; ` +
          `credited during the phase ${d.merchantCreditedMinor}, acknowledged with 2xx ${d.acknowledgedMinor}, ` +
          `committed but not acknowledged (responses wrk did not count: timeouts, in flight at the end) ${d.unacknowledgedMinor}.`,
      );
      for (const detail of d.integrityDetails) out.push(`- ${detail}`);
      out.push('');
    }
  }

  if (r.latency !== null) {
    const l = r.latency;
    out.push(`## Latency, open loop at ${fixed(l.targetRate)} transfers/s (50% of the best uniform rate)`);
    out.push('');
    out.push(
      `Node open-loop generator (bench/open-loop.ts, ${l.sockets} keep-alive sockets), ${l.durationS} s after ${l.warmupS} s warm-up; ` +
        'latency from each request\'s scheduled send time to the end of its response. The generator shares the 2 cores with the server and PostgreSQL ' +
        `(it used ${l.generatorCpuPercent}% of a core; its own send lag p99 ${l.sendLagMs.p99} ms, max ${l.sendLagMs.max} ms).`,
    );
    out.push('');
    out.push('| scheduled | 2xx | achieved 2xx/s | statuses | errors | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | server CPU | max RSS MB |');
    out.push('|---:|---:|---:|---|---|---:|---:|---:|---:|---:|---:|---:|');
    const lat = l.latencyMs;
    const errors = l.errors === 0 ? '0' : `${l.errors} (${statusList(l.errorKinds)})`;
    out.push(
      `| ${fixed(l.scheduled)} | ${fixed(l.ok)} | ${fixed(l.achievedRate, 1)} | ${statusList(l.statuses)} | ${errors} | ${lat?.p50 ?? '-'} | ${lat?.p90 ?? '-'} | ${lat?.p99 ?? '-'} | ${lat?.p999 ?? '-'} | ${lat?.max ?? '-'} | ${l.server.processCpuPercent ?? '?'}% | ${l.server.maxRssMb ?? '?'} |`,
    );
    out.push('');
  }

  if (r.latencyCurve !== null) {
    out.push('### Latency curve (open loop)');
    out.push('');
    out.push('| % of best uniform rate | offered/s | achieved 2xx/s | errors | non-2xx | p50 ms | p90 ms | p99 ms | p99.9 ms | generator send lag p99 ms | server CPU |');
    out.push('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const point of r.latencyCurve) {
      const lat = point.latencyMs;
      out.push(
        `| ${Math.round(point.fraction * 100)}% | ${fixed(point.targetRate)} | ${fixed(point.achievedRate, 1)} | ${point.errors} | ${fixed(non2xx(point.statuses))} | ${lat?.p50 ?? '-'} | ${lat?.p90 ?? '-'} | ${lat?.p99 ?? '-'} | ${lat?.p999 ?? '-'} | ${point.sendLagMs.p99} | ${point.server.processCpuPercent ?? '?'}% |`,
      );
    }
    out.push('');
  }

  if (r.engineOnly !== null) {
    const e = r.engineOnly;
    out.push('## The transfer engine without HTTP (reference)');
    out.push('');
    out.push(
      `bench/engine-only.ts: ${e.concurrency} callers in one process prepare the same uniform transfers as the HTTP phases and submit them to the engine ` +
        `(ownership, recipient, amount, idempotency key, then locks, limits, funds and every write), with the server stopped. ` +
        `Nothing is parsed, authenticated or answered over HTTP, so the difference from the uniform phase is what the HTTP layer costs on these cores. ` +
        `${e.durationS} s after ${e.warmupS} s warm-up.`,
    );
    out.push('');
    out.push('| callers | transfers/s | × pgbench | statuses | process CPU | machine CPU |');
    out.push('|---:|---:|---:|---|---:|---:|');
    out.push(
      `| ${e.concurrency} | ${fixed(e.perSecond, 1)} | ${ratio(e.perSecond, baselineTps)} | ${statusList(e.statuses)} | ${e.processCpuPercent}% | ${e.machineCpuPercent ?? '?'}% |`,
    );
    out.push('');
  }

  if (r.pglite !== null) {
    out.push('## Embedded PGlite: uniform transfers (wrk, 1 thread)');
    out.push('');
    out.push(`Data set: ${Object.entries(r.pglite.dataset).map(([k, v]) => `${k} ${String(v)}`).join(', ')}.`);
    out.push('');
    out.push(...levelTable(r.pglite, baselineTps));
    out.push('');
  }

  if (r.generatorCheck !== null) {
    const g = r.generatorCheck;
    out.push(`## Load generator check: GET /healthz, ${g.connections} connections, ${g.durationS} s each`);
    out.push('');
    out.push('| generator | requests/s | generator CPU | server CPU | statuses |');
    out.push('|---|---:|---:|---:|---|');
    out.push(`| wrk -t1 (Lua status counting) | ${fixed(g.wrk.requestsPerSecond)} | ${g.wrk.generatorCpuPercent ?? '?'}% | ${g.wrk.serverCpuPercent ?? '?'}% | ${statusList(g.wrk.statuses)} |`);
    out.push(`| node:http closed loop | ${fixed(g.node.requestsPerSecond)} | ${g.node.generatorCpuPercent}% | ${g.node.serverCpuPercent ?? '?'}% | ${statusList(g.node.statuses)} |`);
    out.push('');
  }

  if (r.drains.length > 0) {
    out.push('## Background work between measurements');
    out.push('');
    out.push(
      'Every posted movement writes an outbox event, which becomes jobs (notifications, e-mails, webhooks) that the server runs in the background, yielding to requests. ' +
        'Before each measurement the harness waits until no outbox event or outbox job is left (read from `kosh_outbox_pending_events` and `kosh_jobs` in `/metrics`), ' +
        'so that a measurement carries its own background work, not the data preparation\'s or the previous level\'s. The backlog at each wait is what the previous step left behind.',
    );
    out.push('');
    out.push('| before | backlog | seconds to drain | drained |');
    out.push('|---|---:|---:|---|');
    for (const drain of r.drains) {
      out.push(`| ${drain.before} | ${drain.backlogAtStart === null ? 'not reported' : fixed(drain.backlogAtStart)} | ${fixed(drain.seconds, 1)} | ${drain.drained ? 'yes' : 'no (gave up)'} |`);
    }
    out.push('');
  }

  if (r.serverLog !== null || r.pglite?.serverLog) {
    out.push('## Server log (LOG_LEVEL=warn)');
    out.push('');
    for (const [name, log] of [['PostgreSQL server', r.serverLog], ['PGlite server', r.pglite?.serverLog ?? null]] as const) {
      if (log === null) continue;
      out.push(
        `- ${name}: ${log.warnings} warnings, ${log.errors} errors, ${log.otherLines} other output lines${log.samples.length > 0 ? '; for example:' : '.'}`,
      );
      for (const sample of log.samples) out.push(`  - \`${sample.replaceAll('`', "'")}\``);
    }
    out.push('');
  }

  if (r.notes.length > 0) {
    out.push('## Notes');
    out.push('');
    for (const note of r.notes) out.push(`- ${note}`);
    out.push('');
  }
  return out.join('\n');
}
