/**
 * Audit chain verification benchmark (`npm run bench:audit`): appends AUDIT_ROWS rows (default
 * 1,000,000) to the audit log of a throw-away PostgreSQL server through the real chaining trigger,
 * then times
 *
 *   1. the baseline: reading every row in the verifier's pages (canonical text and hash), without hashing;
 *   2. `verifyAuditChain`, the code behind `kosh verify` and GET /admin/audit-logs/verify.
 *
 * The target is at most 10 s for 1,000,000 rows. Results go to bench/results/audit-latest.json and
 * audit-latest.md. A figure never fails the run; a broken chain does (exit 1).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { sql } from 'kysely';
import { createContext } from '../src/app.js';
import { readChainPage, verifyAuditChain } from '../src/modules/audit/index.js';
import { loadConfig } from '../src/platform/config.js';
import { openDatabase } from '../src/platform/db/database.js';
import { startPostgres } from '../test/support/postgres.js';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const ROWS = Number(process.env.AUDIT_ROWS ?? 1_000_000);
const INSERT_BATCH = 20_000;
const TARGET_SECONDS_PER_MILLION = 10;

const log = (message: string) => console.error(`[bench:audit] ${message}`);

async function main(): Promise<number> {
  log('starting a throw-away PostgreSQL server');
  const server = await startPostgres();
  try {
    const url = await server.createDatabase('kosh_audit');
    const database = await openDatabase({ databaseUrl: url, dataDir: 'memory://', poolMax: 4 });
    try {
      const config = loadConfig({ DATABASE_URL: url, DATA_DIR: 'memory://', LOG_LEVEL: 'silent', SEED_ON_EMPTY: 'false' });
      await createContext({ config, database, ephemeralSecrets: true });
      const db = database.db;

      log(`appending ${ROWS.toLocaleString('en-IN')} audit rows through the chaining trigger`);
      const appendStart = performance.now();
      for (let done = 0; done < ROWS; done += INSERT_BATCH) {
        const count = Math.min(INSERT_BATCH, ROWS - done);
        // Rows shaped like a posted transfer's: ids, amounts, an IP, a browser user agent.
        await sql`
          insert into audit_log (id, actor_id, actor_role, action, target_type, target_id, after, ip, user_agent, request_id)
          select gen_random_uuid(), gen_random_uuid(), 'customer', 'transfer.posted', 'transfer', gen_random_uuid()::text,
                 jsonb_build_object('from_account_id', gen_random_uuid(), 'to_account_id', gen_random_uuid(),
                                    'amount', (i % 100000)::text || '.00', 'currency', 'INR', 'entry_id', gen_random_uuid(),
                                    'reversal_of', null, 'reason', null),
                 '10.0.' || (i % 250) || '.' || (i % 200),
                 'Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36',
                 gen_random_uuid()::text
            from generate_series(${done + 1}::int, ${done + count}::int) as i`.execute(db);
      }
      const appendSeconds = (performance.now() - appendStart) / 1000;
      await sql`vacuum analyze audit_log`.execute(db);

      log('baseline: reading every row in pages, without hashing');
      const readStart = performance.now();
      let read = 0;
      for (let after = 0n; ; ) {
        const rows = await readChainPage(db, String(after));
        if (rows.length === 0) break;
        read += rows.length;
        after = BigInt((rows.at(-1) as { seq: string }).seq);
      }
      const readSeconds = (performance.now() - readStart) / 1000;

      log('verifying the chain');
      const verifyStart = performance.now();
      const report = await verifyAuditChain(db);
      const verifySeconds = (performance.now() - verifyStart) / 1000;
      const perMillion = verifySeconds / (ROWS / 1_000_000);

      const results = {
        date: new Date().toISOString(),
        machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? null, node: process.version },
        rows: ROWS,
        appendSeconds,
        appendRowsPerSecond: ROWS / appendSeconds,
        baselineReadSeconds: readSeconds,
        baselineRowsRead: read,
        verifySeconds,
        verifyRowsPerSecond: report.rowsChecked / verifySeconds,
        verifyToReadRatio: verifySeconds / readSeconds,
        secondsPerMillionRows: perMillion,
        targetSecondsPerMillionRows: TARGET_SECONDS_PER_MILLION,
        targetMet: perMillion <= TARGET_SECONDS_PER_MILLION,
        chainValid: report.valid,
        rowsChecked: report.rowsChecked,
      };
      const fmt = (value: number) => value.toLocaleString('en-IN', { maximumFractionDigits: 2 });
      const markdown = [
        `# Audit chain verification — ${results.date}`,
        '',
        `Machine: ${results.machine.cpus} × ${results.machine.model ?? 'unknown CPU'}, Node ${results.machine.node}, PostgreSQL from test/support/postgres.ts.`,
        '',
        '| Measure | Value |',
        '| --- | --- |',
        `| Rows appended through the trigger | ${fmt(ROWS)} in ${fmt(appendSeconds)} s (${fmt(results.appendRowsPerSecond)} rows/s) |`,
        `| Baseline: paged read of every row, no hashing | ${fmt(readSeconds)} s |`,
        `| verifyAuditChain (kosh verify) | ${fmt(verifySeconds)} s (${fmt(results.verifyRowsPerSecond)} rows/s), ${fmt(results.verifyToReadRatio)}× the baseline |`,
        `| Seconds per 1,000,000 rows | ${fmt(perMillion)} (target ≤ ${TARGET_SECONDS_PER_MILLION}: ${results.targetMet ? 'met' : 'NOT met'}) |`,
        `| Chain | ${report.valid ? 'valid' : `BROKEN at ${report.firstBroken?.seq}`}, ${fmt(report.rowsChecked)} rows checked |`,
        '',
      ].join('\n');
      const dir = path.join(REPO, 'bench', 'results');
      await mkdir(dir, { recursive: true });
      await writeFile(path.join(dir, 'audit-latest.json'), `${JSON.stringify(results, null, 2)}\n`);
      await writeFile(path.join(dir, 'audit-latest.md'), markdown);
      console.log(markdown);
      return report.valid && report.rowsChecked === ROWS ? 0 : 1;
    } finally {
      await database.close();
    }
  } finally {
    await server.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
