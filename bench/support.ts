/**
 * Small helpers shared by the benchmark harness and its load generators: percentiles, process
 * sampling through /proc, the data file the generators read, and argument parsing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Kosh settings of the benchmark server: rate limits off. Its customers all sign in from one address
 * and each sends far more transfers a minute than a person would, and the benchmark measures the
 * engine, not the limits.
 */
export const BENCH_SERVER_SETTINGS: Readonly<Record<string, string>> = {
  AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
  LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '0',
  MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '0',
};

/** What the load generators need to build transfer requests (written by bench/run.ts). */
export interface LoadData {
  /** Customers that send transfers; `index` is 1-based (it matches `owners`). */
  readonly customers: readonly { readonly index: number; readonly auth: string; readonly accounts: readonly string[] }[];
  /** Every destination account: number, owner's customer index and account id, by position. */
  readonly numbers: readonly string[];
  readonly owners: readonly number[];
  readonly ids: readonly string[];
  /** Account number of the merchant (hot account), or '' when there is none. */
  readonly merchant: string;
}

/** The same data as a Lua table literal for wrk (`dofile` returns it). */
export function luaDataFile(data: LoadData): string {
  // JSON string literals of ASCII text are valid Lua string literals.
  const str = (value: string) => JSON.stringify(value);
  const lines: string[] = ['return {', `  merchant = ${str(data.merchant)},`, '  customers = {'];
  for (const customer of data.customers) {
    lines.push(`    { index = ${customer.index}, auth = ${str(customer.auth)}, accounts = { ${customer.accounts.map(str).join(', ')} } },`);
  }
  lines.push('  },');
  lines.push(`  numbers = { ${data.numbers.map(str).join(', ')} },`);
  lines.push(`  owners = { ${data.owners.join(', ')} },`);
  lines.push(`  ids = { ${data.ids.map(str).join(', ')} },`);
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

/**
 * A uniform random transfer, the same distribution as bench/wrk/transfers.lua: a random customer,
 * a random own source account, a random destination among all accounts (by id when it is the
 * customer's own, by number otherwise), an amount between 1.00 and 9.99.
 */
export function uniformTransfer(data: LoadData, random: () => number = Math.random): { auth: string; body: string } {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const customer = pick(data.customers);
  const from = pick(customer.accounts);
  const amount = `${1 + Math.floor(random() * 9)}.${String(Math.floor(random() * 100)).padStart(2, '0')}`;
  for (;;) {
    const d = Math.floor(random() * data.numbers.length);
    const toId = data.ids[d] as string;
    if (toId === from) continue;
    const body =
      data.owners[d] === customer.index
        ? { from_account_id: from, to_account_id: toId, amount }
        : { from_account_id: from, to_account_number: data.numbers[d], amount };
    return { auth: customer.auth, body: JSON.stringify(body) };
  }
}

/** Nearest-rank percentile of an ascending array (q in 0..1); NaN when empty. */
export function percentile(sorted: ArrayLike<number>, q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil(q * sorted.length)));
  return sorted[rank - 1] as number;
}

/** Parses `--name value` pairs. */
export function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i] as string;
    if (!arg.startsWith('--')) throw new Error(`unexpected argument ${arg}`);
    const value = argv[i + 1];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    flags.set(arg.slice(2), value);
    i += 1;
  }
  return flags;
}

export function requiredFlag(flags: Map<string, string>, name: string): string {
  const value = flags.get(name);
  if (value === undefined) throw new Error(`--${name} is required`);
  return value;
}

let clockTicks: number | undefined;

/** Kernel clock ticks per second (the unit of CPU times in /proc/<pid>/stat). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    const result = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const value = Number(result.stdout?.trim());
    clockTicks = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return clockTicks;
}

/** Resident set size of a process in kB, or undefined when it is gone. */
export function readRssKb(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] === undefined ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
}

/** User plus system CPU time of a process in seconds, or undefined when it is gone. */
export function readCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) may contain spaces; fields after it start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, 12 and 13 after the name.
    return (Number(fields[11]) + Number(fields[12])) / clockTicksPerSecond();
  } catch {
    return undefined;
  }
}

/** Busy and total jiffies of the whole machine, from the first line of /proc/stat. */
export function readMachineTicks(): { busy: number; total: number } | undefined {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const values = line.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user).
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = values;
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    return { busy: total - idle - iowait, total };
  } catch {
    return undefined;
  }
}

/** How busy the whole machine is over the next `ms` milliseconds, in % of all cores. */
export async function measureMachineBusy(ms: number): Promise<number | null> {
  const start = readMachineTicks();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const end = readMachineTicks();
  if (start === undefined || end === undefined || end.total === start.total) return null;
  return Math.round(((end.busy - start.busy) / (end.total - start.total)) * 1000) / 10;
}

export interface SampleSummary {
  /** Largest VmRSS seen of the watched process, in MB (1 MB = 1024 kB). */
  readonly maxRssMb: number | null;
  /** CPU used by the watched process, in % of one core. */
  readonly processCpuPercent: number | null;
  /** CPU used by the whole machine, in % of all cores. */
  readonly machineCpuPercent: number | null;
}

/**
 * Samples a process every 250 ms while a phase runs: its VmRSS (the maximum is kept) and its CPU
 * time, plus the machine's CPU use.
 */
export class ProcessSampler {
  private maxRssKb: number | undefined;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = performance.now();
  private readonly cpuStart: number | undefined;
  /** The last CPU time read and when; a process that has exited keeps its last reading. */
  private cpuLast: { seconds: number; at: number } | undefined;
  private readonly machineStart = readMachineTicks();

  constructor(private readonly pid: number, intervalMs = 250) {
    this.cpuStart = readCpuSeconds(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
  }

  private sample(): void {
    const rss = readRssKb(this.pid);
    if (rss !== undefined) this.maxRssKb = Math.max(this.maxRssKb ?? 0, rss);
    const cpu = readCpuSeconds(this.pid);
    if (cpu !== undefined) this.cpuLast = { seconds: cpu, at: performance.now() };
  }

  stop(): SampleSummary {
    clearInterval(this.timer);
    this.sample();
    const seconds = ((this.cpuLast?.at ?? performance.now()) - this.startedAt) / 1000;
    const cpuEnd = this.cpuLast?.seconds;
    const machineEnd = readMachineTicks();
    const round1 = (value: number) => Math.round(value * 10) / 10;
    return {
      maxRssMb: this.maxRssKb === undefined ? null : round1(this.maxRssKb / 1024),
      processCpuPercent:
        this.cpuStart === undefined || cpuEnd === undefined || seconds <= 0 ? null : round1(((cpuEnd - this.cpuStart) / seconds) * 100),
      machineCpuPercent:
        this.machineStart === undefined || machineEnd === undefined || machineEnd.total === this.machineStart.total
          ? null
          : round1(((machineEnd.busy - this.machineStart.busy) / (machineEnd.total - this.machineStart.total)) * 100),
    };
  }
}
