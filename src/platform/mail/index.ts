/**
 * E-mail. With SMTP_URL set, messages go over SMTP (nodemailer; `smtp://user:pass@host:port` or
 * `smtps://` for TLS from the first byte) from MAIL_FROM. Without it, each message is written as
 * an .eml file under <dataDir>/mail and a log line names it, so that a new installation can read
 * what Kosh would have sent.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';

export interface MailMessage {
  readonly to: string;
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** A stable id: the Message-ID header's local part and the .eml file's name. */
  readonly id: string;
}

export interface Mailer {
  /** Sends one message; throws when the server refuses it or cannot be reached (the job retries). */
  send(message: MailMessage): Promise<void>;
  /** Where messages go, for logs and the admin console: 'smtp://host:port' or the .eml directory. */
  readonly destination: string;
  close(): void;
}

export interface MailerOptions {
  readonly smtpUrl?: string | undefined;
  readonly from: string;
  /** Where .eml files go (under mail/) without SMTP; null for an in-memory installation (tests),
   *  whose messages are only logged. */
  readonly dataDir: string | null;
  readonly log?: (line: string) => void;
}

/** A Message-ID from the message's stable id and the sender's domain. */
function messageId(message: MailMessage, from: string): string {
  const domain = /@([^>\s]+)>?\s*$/.exec(from)?.[1] ?? 'kosh.local';
  return `<${message.id.replace(/[^A-Za-z0-9._:-]/g, '-')}@${domain}>`;
}

function fileName(id: string): string {
  // Only safe characters, and no leading dot: the name never leaves the directory nor hides.
  const safe = id.replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[.-]+/, '').slice(0, 120);
  return `${safe === '' ? 'message' : safe}.eml`;
}

/** What nodemailer needs to build the message, whichever transport carries it. */
function mailOptions(message: MailMessage, from: string) {
  return { from, to: message.to, subject: message.subject, text: message.text, html: message.html, messageId: messageId(message, from) };
}

export function createMailer(options: MailerOptions): Mailer {
  const log = options.log ?? (() => undefined);
  if (options.smtpUrl !== undefined) {
    const transport = nodemailer.createTransport(options.smtpUrl);
    const url = new URL(options.smtpUrl);
    return {
      destination: `${url.protocol}//${url.host}`,
      async send(message) {
        await transport.sendMail(mailOptions(message, options.from));
      },
      close: () => transport.close(),
    };
  }
  if (options.dataDir === null) {
    return {
      destination: 'the log (in-memory data directory)',
      async send(message) {
        log(`mail to ${message.to} not stored (in-memory data directory): ${message.subject}`);
      },
      close: () => undefined,
    };
  }
  const directory = join(options.dataDir, 'mail');
  // The stream transport builds the complete RFC 5322 message without sending it anywhere.
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  // Created once, on the first message (a failure is tried again with the next one).
  let created: Promise<unknown> | undefined;
  const createDirectory = () => {
    created ??= mkdir(directory, { recursive: true }).catch((error: unknown) => {
      created = undefined;
      throw error;
    });
    return created;
  };
  return {
    destination: directory,
    async send(message) {
      const info = (await transport.sendMail(mailOptions(message, options.from))) as { message: Buffer };
      await createDirectory();
      const path = join(directory, fileName(message.id));
      await writeFile(path, info.message);
      log(`mail to ${message.to} written to ${path} (no SMTP_URL configured): ${message.subject}`);
    },
    close: () => transport.close(),
  };
}
