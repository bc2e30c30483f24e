/**
 * SMS through a driver: `console` (a log line), `file` (one line of JSON per message under
 * <dataDir>/sms/outbox.jsonl) or `http`, a generic gateway driver that POSTs a form or JSON body
 * with configurable field names and credentials, which fits the usual Indian and global SMS
 * gateways. Texts are kept to one 160-character segment where possible by the templates; the
 * driver sends what it is given.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface SmsMessage {
  /** E.164, such as +919876543210. */
  readonly to: string;
  readonly text: string;
  /** A stable id (the gateway's reference where it takes one). */
  readonly id: string;
}

export interface SmsSender {
  /** Sends one message; throws when the gateway refuses it or cannot be reached (the job retries). */
  send(message: SmsMessage): Promise<void>;
  readonly driver: SmsDriverName;
}

export type SmsDriverName = 'console' | 'file' | 'http';

export interface HttpSmsOptions {
  readonly url: string;
  readonly format: 'form' | 'json';
  /** Sent as the Authorization header as is ('Bearer …', 'Basic …'); none when absent. */
  readonly authorization?: string | undefined;
  readonly toField: string;
  readonly textField: string;
  readonly idField?: string | undefined;
  readonly senderField?: string | undefined;
  readonly sender?: string | undefined;
  /** Extra fixed fields (an API key field some gateways want in the body), as name=value&… */
  readonly extraFields?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
}

export interface SmsOptions {
  readonly driver: SmsDriverName;
  readonly dataDir: string;
  readonly http?: HttpSmsOptions;
  readonly log?: (line: string) => void;
}

export class SmsDeliveryError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The message's E.164 number, or an error: gateways reject anything else, and retrying will not help. */
function checkNumber(to: string): void {
  if (!/^\+[1-9][0-9]{6,14}$/.test(to)) throw new SmsDeliveryError(`not an E.164 phone number: ${JSON.stringify(to)}`);
}

function httpSender(options: HttpSmsOptions): (message: SmsMessage) => Promise<void> {
  return async (message) => {
    const fields: Record<string, string> = { ...options.extraFields, [options.toField]: message.to, [options.textField]: message.text };
    if (options.idField !== undefined) fields[options.idField] = message.id;
    if (options.senderField !== undefined && options.sender !== undefined) fields[options.senderField] = options.sender;
    const headers: Record<string, string> = {
      'content-type': options.format === 'json' ? 'application/json' : 'application/x-www-form-urlencoded',
    };
    if (options.authorization !== undefined) headers.authorization = options.authorization;
    const body = options.format === 'json' ? JSON.stringify(fields) : new URLSearchParams(fields).toString();
    const response = await fetch(options.url, { method: 'POST', headers, body, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    // The body is read (and dropped) so that the connection can be reused.
    await response.arrayBuffer().catch(() => undefined);
    if (!response.ok) throw new SmsDeliveryError(`SMS gateway answered ${response.status}`, response.status);
  };
}

export function createSmsSender(options: SmsOptions): SmsSender {
  const log = options.log ?? (() => undefined);
  let deliver: (message: SmsMessage) => Promise<void>;
  switch (options.driver) {
    case 'console':
      deliver = async (message) => log(`sms to ${message.to}: ${message.text}`);
      break;
    case 'file': {
      const directory = join(options.dataDir, 'sms');
      deliver = async (message) => {
        await mkdir(directory, { recursive: true });
        await appendFile(join(directory, 'outbox.jsonl'), `${JSON.stringify({ id: message.id, to: message.to, text: message.text, at: new Date().toISOString() })}\n`);
      };
      break;
    }
    case 'http':
      if (options.http === undefined) throw new Error('SMS_DRIVER=http needs SMS_HTTP_URL');
      deliver = httpSender(options.http);
      break;
  }
  return {
    driver: options.driver,
    async send(message) {
      checkNumber(message.to);
      await deliver(message);
    },
  };
}
