/**
 * `kosh worker`: refuses to run on the embedded database (it belongs to the server process); on
 * PostgreSQL it relays the events that API-only servers committed, runs their consumers, and
 * stops cleanly on SIGTERM.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestBank, type TestBank } from '../support/bank.js';

const KOSH = join(process.cwd(), 'bin', 'kosh.mjs');

describe('kosh worker', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-worker-'));
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: { JOBS_IN_PROCESS: 'false' } });
  });
  afterAll(async () => {
    await bank.app.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('needs DATABASE_URL', () => {
    const result = spawnSync(process.execPath, [KOSH, 'worker'], {
      env: { ...process.env, DATABASE_URL: '', DATA_DIR: dataDir },
      encoding: 'utf8',
      timeout: 60_000,
    });
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('kosh worker needs DATABASE_URL');
  });

  it('delivers what an API-only server committed and stops on SIGTERM', async () => {
    const customer = await bank.user('workercustomer');
    const account = await bank.openAccount(customer);
    expect((await bank.deposit(customer, account.id, '500.00')).status).toBe(201);
    const row = await sql<{ id: string }>`select id::text as id from outbox where topic = 'deposit.posted' and ${customer.userId}::uuid = any (user_ids)`.execute(
      bank.app.context.db,
    );
    const outboxId = row.rows[0]?.id as string;
    expect(outboxId).toBeDefined();
    const state = async () =>
      (await sql<{ state: string }>`select state from jobs where singleton_key = ${`notify:${outboxId}`}`.execute(bank.app.context.db)).rows[0]?.state;
    expect(await state()).toBeUndefined();

    const child = spawn(process.execPath, [KOSH, 'worker'], {
      env: {
        ...process.env,
        DATABASE_URL: bank.app.context.config.DATABASE_URL,
        DATA_DIR: dataDir,
        LOG_LEVEL: 'warn',
        JOBS_POLL_INTERVAL_MS: '100',
        NODE_ENV: 'production',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      const deadline = Date.now() + 90_000;
      while ((await state()) !== 'completed') {
        if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the worker did not deliver: ${output}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(output).toMatch(/worker running queues .*outbox\.notify/);
      expect(output).toContain(`mail to ${join(dataDir, 'mail')}`);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  }, 180_000);
});
