/**
 * E-mail over a real SMTP exchange with a server started by the test (smtp-server): sender,
 * recipient, subject, both bodies, the stable Message-ID and authentication; a refused recipient
 * fails the send (so the job retries); without SMTP the message is written as an .eml file.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailer, type MailMessage } from './index.js';

interface Received {
  readonly from: string;
  readonly to: string[];
  readonly user: string | undefined;
  readonly raw: string;
}

const message: MailMessage = {
  id: 'outbox-42-notify',
  to: 'priya@example.in',
  subject: 'Money received: INR 5,000.00',
  text: 'Hello Priya, you received INR 5,000.00 from Arjun.',
  html: '<p>Hello Priya, you received <b>INR 5,000.00</b> from Arjun.</p>',
};

describe('mailer over SMTP', () => {
  const received: Received[] = [];
  let server: SMTPServer;
  let port: number;

  beforeAll(async () => {
    server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      authMethods: ['PLAIN', 'LOGIN'],
      onAuth(auth, _session, callback) {
        if (auth.username === 'kosh' && auth.password === 's3cret') callback(null, { user: auth.username });
        else callback(new Error('Invalid username or password'));
      },
      onRcptTo(address, _session, callback) {
        if (address.address.endsWith('@refused.example')) callback(new Error('Mailbox unavailable'));
        else callback();
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address,
            to: session.envelope.rcptTo.map((address) => address.address),
            user: session.user as string | undefined,
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
      logger: false,
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.server.address() as AddressInfo).port;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  it('delivers with the configured sender, the recipient, subject, text and HTML bodies and a stable Message-ID', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://kosh:s3cret@127.0.0.1:${port}`, from: 'Kosh Bank <alerts@kosh.example>', dataDir: '/nonexistent' });
    try {
      await mailer.send(message);
    } finally {
      mailer.close();
    }
    expect(received).toHaveLength(1);
    const mail = received[0] as Received;
    expect(mail.from).toBe('alerts@kosh.example');
    expect(mail.to).toEqual(['priya@example.in']);
    expect(mail.user).toBe('kosh');
    expect(mail.raw).toMatch(/^From: Kosh Bank <alerts@kosh\.example>$/m);
    expect(mail.raw).toMatch(/^To: priya@example\.in$/m);
    expect(mail.raw).toMatch(/^Subject: Money received: INR 5,000\.00$/m);
    expect(mail.raw).toMatch(/^Message-ID: <outbox-42-notify@kosh\.example>$/m);
    expect(mail.raw).toContain('Content-Type: text/plain');
    expect(mail.raw).toContain('Hello Priya, you received INR 5,000.00 from Arjun.');
    expect(mail.raw).toContain('Content-Type: text/html');
    expect(mail.raw).toContain('<b>INR 5,000.00</b>');
    expect(mailer.destination).toBe(`smtp://127.0.0.1:${port}`);
  });

  it('fails the send when the server refuses the recipient or the credentials', async () => {
    const mailer = createMailer({ smtpUrl: `smtp://kosh:s3cret@127.0.0.1:${port}`, from: 'alerts@kosh.example', dataDir: '/nonexistent' });
    const wrong = createMailer({ smtpUrl: `smtp://kosh:wrong@127.0.0.1:${port}`, from: 'alerts@kosh.example', dataDir: '/nonexistent' });
    try {
      const before = received.length;
      await expect(mailer.send({ ...message, to: 'nobody@refused.example' })).rejects.toThrow(/Mailbox unavailable/);
      await expect(wrong.send(message)).rejects.toThrow(/Invalid username or password/);
      expect(received.length).toBe(before);
    } finally {
      mailer.close();
      wrong.close();
    }
  });

  it('fails the send when no server listens (the job retries later)', async () => {
    const closed = new SMTPServer({ logger: false });
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const deadPort = (closed.server.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const mailer = createMailer({ smtpUrl: `smtp://127.0.0.1:${deadPort}`, from: 'alerts@kosh.example', dataDir: '/nonexistent' });
    try {
      await expect(mailer.send(message)).rejects.toThrow(/ECONNREFUSED/);
    } finally {
      mailer.close();
    }
  });
});

describe('mailer without SMTP', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-mail-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('writes each message as an .eml file named by its id under <dataDir>/mail and logs a line', async () => {
    const lines: string[] = [];
    const mailer = createMailer({ from: 'Kosh Bank <no-reply@kosh.local>', dataDir, log: (line) => lines.push(line) });
    await mailer.send(message);
    await mailer.send({ ...message, id: '../../escape attempt', subject: 'Second' });
    const files = readdirSync(join(dataDir, 'mail')).sort();
    expect(files).toEqual(['escape-attempt.eml', 'outbox-42-notify.eml']);
    const eml = readFileSync(join(dataDir, 'mail', 'outbox-42-notify.eml'), 'utf8');
    expect(eml).toMatch(/^From: Kosh Bank <no-reply@kosh\.local>$/m);
    expect(eml).toMatch(/^To: priya@example\.in$/m);
    expect(eml).toMatch(/^Subject: Money received: INR 5,000\.00$/m);
    expect(eml).toMatch(/^Message-ID: <outbox-42-notify@kosh\.local>$/m);
    expect(eml).toContain('Hello Priya, you received INR 5,000.00 from Arjun.');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toContain('priya@example.in');
    expect(lines[0]).toContain(join(dataDir, 'mail', 'outbox-42-notify.eml'));
    // The same id again overwrites its file: a retried job leaves one message, not two.
    await mailer.send(message);
    expect(readdirSync(join(dataDir, 'mail'))).toHaveLength(2);
  });
});

describe('mailer of an in-memory installation', () => {
  it('only logs the message (no file in the working directory)', async () => {
    const lines: string[] = [];
    const mailer = createMailer({ from: 'Kosh Bank <no-reply@kosh.local>', dataDir: null, log: (line) => lines.push(line) });
    await mailer.send(message);
    expect(lines).toEqual(['mail to priya@example.in not stored (in-memory data directory): Money received: INR 5,000.00']);
  });
});
