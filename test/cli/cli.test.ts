/**
 * The `kosh` command as a user runs it: serve on an embedded database with demo data, refuse a
 * second process on the same data directory, shut down cleanly on SIGTERM, verify the books (and
 * notice when they have been tampered with), migrate.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/platform/db/database.js';

const KOSH = join(process.cwd(), 'bin', 'kosh.mjs');
const dataDir = mkdtempSync(join(tmpdir(), 'kosh-cli-'));
const env = { ...process.env, DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info' };

function startServer(): { child: ChildProcess; address: Promise<string>; exit: Promise<number | null>; output: () => string } {
  const child = spawn(process.execPath, [KOSH, 'serve'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const address = new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /"address":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) resolve(match[1]);
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.on('exit', () => reject(new Error(`server exited before listening:\n${output}`)));
  });
  address.catch(() => undefined);
  const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, address, exit, output: () => output };
}

function kosh(...args: string[]) {
  return spawnSync(process.execPath, [KOSH, ...args], { env, encoding: 'utf8', timeout: 60_000 });
}

afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('kosh CLI', () => {
  it('serves with demo data, refuses a second process, stops cleanly and verifies the books', async () => {
    const server = startServer();
    try {
      const address = await server.address;
      expect((await fetch(`${address}/readyz`)).status).toBe(200);
      const login = await fetch(`${address}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username: 'arjun', password: 'kosh-demo-2026' }),
      });
      expect(login.status).toBe(200);
      const { access_token: token } = (await login.json()) as { access_token: string };
      const accounts = (await (await fetch(`${address}/api/v1/accounts`, { headers: { authorization: `Bearer ${token}` } })).json()) as {
        items: { balance: string }[];
      };
      expect(accounts.items.map((account) => account.balance).sort()).toEqual(['15000.00', '35000.00']);
      expect(existsSync(join(dataDir, 'kosh.lock'))).toBe(true);

      const second = kosh('serve');
      expect(second.status).toBe(2);
      expect(second.stderr).toMatch(/in use by another Kosh process/);
    } finally {
      server.child.kill('SIGTERM');
    }
    expect(await server.exit).toBe(0);
    expect(server.output()).toMatch(/SIGTERM: shutting down/);
    expect(existsSync(join(dataDir, 'kosh.lock'))).toBe(false);

    const verify = kosh('verify');
    expect(verify.stdout).toMatch(/no integrity problems/);
    expect(verify.stdout).toMatch(/The audit chain is intact: [1-9][0-9]* row\(s\), head [0-9]+ [0-9a-f]{64}\./);
    expect(verify.status).toBe(0);
    expect(kosh('migrate').status).toBe(0);
    expect(kosh('seed').stdout).toMatch(/already has users/);
  }, 120_000);

  it('kosh verify reports books that were tampered with behind the ledger', async () => {
    // Tamper as a superuser would: switch off the guard and change a balance directly.
    const database = await openDatabase({ dataDir });
    await sql`alter table ledger_accounts disable trigger ledger_accounts_guard_balance`.execute(database.db);
    await sql`update ledger_accounts set balance_minor = balance_minor + 100 where category = 'savings'`.execute(database.db);
    await database.close();
    const verify = kosh('verify');
    expect(verify.status).toBe(1);
    expect(verify.stdout).toMatch(/balance_mismatch/);
  }, 60_000);

  it('kosh verify names the audit row a superuser edited', async () => {
    const database = await openDatabase({ dataDir });
    await sql`alter table audit_log disable trigger audit_log_append_only`.execute(database.db);
    const { rows } = await sql<{ seq: string }>`
      update audit_log set actor_role = 'admin' where seq = (select min(seq) + 2 from audit_log) returning seq::text as seq`.execute(database.db);
    await database.close();
    const verify = kosh('verify');
    expect(verify.status).toBe(1);
    expect(verify.stdout).toContain(`The audit chain is broken at row ${rows[0]?.seq}: hash_mismatch`);
  }, 60_000);

  it('explains itself', () => {
    const help = kosh('help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/serve.*\n.*migrate.*\n.*seed.*\n.*verify/s);
    expect(kosh('frobnicate').status).toBe(2);
  });

  it('rotates the signing key kept in the data directory', () => {
    const before = readFileSync(join(dataDir, 'secrets.json'), 'utf8');
    const rotated = kosh('rotate-keys');
    expect(rotated.status, rotated.stderr).toBe(0);
    expect(rotated.stdout).toMatch(/New signing key \S+ in /);
    const after = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8')) as { jwt_secret: string; jwt_retired: { secret: string }[] };
    expect(after.jwt_retired.map((item) => item.secret)).toContain((JSON.parse(before) as { jwt_secret: string }).jwt_secret);
    const refused = spawnSync(process.execPath, [KOSH, 'rotate-keys'], { env: { ...env, JWT_SECRET: 'x'.repeat(40) }, encoding: 'utf8', timeout: 60_000 });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/JWT_PREVIOUS_SECRETS/);
  });
});
