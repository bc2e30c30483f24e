/**
 * The outbox survives crashes (PostgreSQL, a real `kosh serve` child process killed with SIGKILL):
 *
 *   a. a transfer commits on a server that runs no workers (JOBS_IN_PROCESS=false), the server is
 *      killed before anything delivered its event, and a restarted server with workers sends the
 *      e-mails of that transfer: exactly one to the sender and one to the recipient;
 *   b. a server is killed in the middle of the SMTP exchange of a transfer's first e-mail (the
 *      test's SMTP server holds the DATA command unanswered), and after a restart the stalled job is
 *      taken again once its worker is deemed gone: again exactly one e-mail to each customer.
 *
 * The e-mails are the notification consumer's (transfer sent, money received), sent over a real
 * SMTP exchange to a server started by the test.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startTestBank, TEST_PASSWORD, type Customer, type TestBank } from '../support/bank.js';

const KOSH = join(process.cwd(), 'bin', 'kosh.mjs');

interface Mail {
  readonly to: string[];
  readonly raw: string;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as AddressInfo).port;
      server.close(() => resolve(port));
    });
  });
}

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

class KoshChild {
  private child: ChildProcess | undefined;
  private output = '';
  readonly baseUrl: string;

  constructor(private readonly env: NodeJS.ProcessEnv) {
    this.baseUrl = `http://127.0.0.1:${env.PORT}`;
  }

  async start(extra: NodeJS.ProcessEnv): Promise<void> {
    this.output = '';
    const child = spawn(process.execPath, [KOSH, 'serve'], { env: { ...this.env, ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    this.child = child;
    await until(async () => {
      if (child.exitCode !== null) throw new Error(`kosh serve exited: ${this.output}`);
      try {
        const response = await fetch(`${this.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) });
        await response.arrayBuffer();
        return response.status === 200;
      } catch {
        return false;
      }
    }, 'kosh serve to be ready', 120_000);
  }

  /** SIGKILL: no shutdown hook runs, nothing is flushed. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
  }

  async post(path: string, token: string, body: unknown): Promise<{ status: number; body: any }> {
    const response = await fetch(`${this.baseUrl}/api/v1${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: await response.json() };
  }

  async login(username: string): Promise<string> {
    const response = await fetch(`${this.baseUrl}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: TEST_PASSWORD }),
    });
    const body = (await response.json()) as { access_token: string };
    expect(response.status).toBe(200);
    return body.access_token;
  }
}

describe('outbox across crashes (PostgreSQL)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-outbox-crash-'));
  const received: Mail[] = [];
  let holdData = false;
  let heldExchanges = 0;
  let smtp: SMTPServer;
  let bank: TestBank;
  let kosh: KoshChild;
  let sender: Customer;
  let recipient: Customer;
  let fromAccountId: string;
  let toAccountNumber: string;
  const emails = new Map<string, string>();

  beforeAll(async () => {
    smtp = new SMTPServer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          if (holdData) {
            // Never answered: the client waits for the 250 until it is killed.
            heldExchanges += 1;
            return;
          }
          received.push({ to: session.envelope.rcptTo.map((address) => address.address), raw: Buffer.concat(chunks).toString('utf8') });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const smtpPort = (smtp.server.address() as AddressInfo).port;

    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: { JOBS_IN_PROCESS: 'false' } });
    sender = await bank.user('crashsender');
    recipient = await bank.user('crashrecipient');
    for (const customer of [sender, recipient]) {
      const row = await sql<{ email: string }>`select email from users where id = ${customer.userId}`.execute(bank.app.context.db);
      emails.set(customer.userId, row.rows[0]?.email ?? '');
    }
    const from = await bank.openAccount(sender);
    const to = await bank.openAccount(recipient);
    fromAccountId = from.id;
    toAccountNumber = to.number;
    expect((await bank.deposit(sender, from.id, '10000.00')).status).toBe(201);

    kosh = new KoshChild({
      ...process.env,
      DATABASE_URL: bank.app.context.config.DATABASE_URL,
      PORT: String(await freePort()),
      HOST: '127.0.0.1',
      JWT_SECRET: randomBytes(32).toString('hex'),
      LOG_LEVEL: 'warn',
      SEED_ON_EMPTY: 'false',
      DATA_DIR: dataDir,
      NODE_ENV: 'production',
      SMTP_URL: `smtp://127.0.0.1:${smtpPort}`,
      MAIL_FROM: 'Kosh Bank <alerts@kosh.example>',
      JOBS_POLL_INTERVAL_MS: '100',
      JOBS_ACTIVE_TIMEOUT_SECONDS: '10',
      AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '0',
      PIN_REQUIRED_ABOVE: 'off',
    });
  }, 180_000);

  afterAll(async () => {
    await kosh?.kill();
    await bank?.app.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** Marks every pending event as delivered, so that only the next transfer's e-mails are sent. */
  async function settleEarlierEvents(): Promise<void> {
    await sql`update outbox set relayed_at = now() where relayed_at is null`.execute(bank.app.context.db);
  }

  async function transferThrough(token: string, amount: string): Promise<string> {
    const reply = await kosh.post('/transfers', token, { from_account_id: fromAccountId, to_account_number: toAccountNumber, amount, description: `crash ${amount}` });
    expect(reply.status, JSON.stringify(reply.body)).toBe(201);
    const row = await sql<{ id: string }>`select id::text as id from outbox where topic = 'transfer.posted' and payload->>'transfer_id' = ${reply.body.id}`.execute(
      bank.app.context.db,
    );
    expect(row.rows).toHaveLength(1);
    return row.rows[0]?.id as string;
  }

  async function notifyJobState(outboxId: string): Promise<string | undefined> {
    const row = await sql<{ state: string }>`select state from jobs where singleton_key = ${`notify:${outboxId}`}`.execute(bank.app.context.db);
    return row.rows[0]?.state;
  }

  function mailsTo(userId: string, from: number): Mail[] {
    return received.slice(from).filter((mail) => mail.to.includes(emails.get(userId) as string));
  }

  it('delivers the e-mails of a transfer committed just before a kill exactly once after the restart', async () => {
    await kosh.start({ JOBS_IN_PROCESS: 'false' });
    const token = await kosh.login('crashsender');
    await settleEarlierEvents();
    const before = received.length;
    const outboxId = await transferThrough(token, '125.00');
    await kosh.kill();
    expect(received.length).toBe(before);
    const pending = await sql<{ relayed: boolean }>`select relayed_at is not null as relayed from outbox where id = ${outboxId}::bigint`.execute(bank.app.context.db);
    expect(pending.rows).toEqual([{ relayed: false }]);

    await kosh.start({ JOBS_IN_PROCESS: 'true' });
    await until(async () => (await notifyJobState(outboxId)) === 'completed', 'the notification job to complete');
    await kosh.kill();
    expect(mailsTo(sender.userId, before)).toHaveLength(1);
    expect(mailsTo(recipient.userId, before)).toHaveLength(1);
    expect(received.length - before).toBe(2);
    expect(mailsTo(recipient.userId, before)[0]?.raw).toContain('125');
  }, 240_000);

  it('delivers the e-mails of a transfer whose SMTP exchange a kill interrupted exactly once after the restart', async () => {
    await kosh.start({ JOBS_IN_PROCESS: 'true' });
    const token = await kosh.login('crashsender');
    await settleEarlierEvents();
    const before = received.length;
    holdData = true;
    const outboxId = await transferThrough(token, '75.00');
    await until(() => heldExchanges > 0, 'the first e-mail to reach the SMTP server');
    expect(await notifyJobState(outboxId)).toBe('active');
    await kosh.kill();
    holdData = false;
    expect(received.length).toBe(before);

    await kosh.start({ JOBS_IN_PROCESS: 'true' });
    await until(async () => (await notifyJobState(outboxId)) === 'completed', 'the stalled notification job to run again and complete');
    await kosh.kill();
    expect(mailsTo(sender.userId, before)).toHaveLength(1);
    expect(mailsTo(recipient.userId, before)).toHaveLength(1);
    expect(received.length - before).toBe(2);
    const job = await sql<{ retry_count: number }>`select retry_count from jobs where singleton_key = ${`notify:${outboxId}`}`.execute(bank.app.context.db);
    expect(job.rows[0]?.retry_count).toBe(1);
  }, 240_000);
});
