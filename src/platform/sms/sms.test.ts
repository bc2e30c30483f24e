/**
 * SMS drivers: the generic HTTP driver against a loopback gateway (form and JSON bodies, field
 * names, credentials, fixed extra fields; a refusal fails the send), the file driver, and the
 * refusal of numbers that are not E.164.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmsSender, SmsDeliveryError, type HttpSmsOptions } from './index.js';

interface GatewayRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

describe('SMS over the HTTP driver', () => {
  const requests: GatewayRequest[] = [];
  let server: Server;
  let url: string;

  beforeAll(async () => {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        requests.push({ method: request.method ?? '', url: request.url ?? '', headers: request.headers, body: Buffer.concat(chunks).toString('utf8') });
        const refuse = request.url === '/refuse';
        response.writeHead(refuse ? 400 : 200, { 'content-type': 'application/json' });
        response.end(refuse ? '{"error":"invalid sender"}' : '{"status":"queued"}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => new Promise<void>((resolve) => server.close(() => resolve())));

  const gateway = (overrides: Partial<HttpSmsOptions> = {}): HttpSmsOptions => ({
    url: `${url}/send`,
    format: 'form',
    toField: 'to',
    textField: 'text',
    ...overrides,
  });

  it('posts a form with the configured field names, sender, extra fields and credentials', async () => {
    const sms = createSmsSender({
      driver: 'http',
      dataDir: '/nonexistent',
      http: gateway({
        toField: 'numbers',
        textField: 'message',
        senderField: 'sender',
        sender: 'KOSHBK',
        idField: 'reference',
        authorization: 'Basic a29zaDpzM2NyZXQ=',
        extraFields: { apikey: 'k-123', route: 'transactional' },
      }),
    });
    await sms.send({ id: 'outbox-7', to: '+919876543210', text: 'Kosh Bank: INR 5,000.00 credited to A/c XX3210. Bal INR 12,000.00 & more' });
    const request = requests.at(-1) as GatewayRequest;
    expect(request.method).toBe('POST');
    expect(request.url).toBe('/send');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toBe('Basic a29zaDpzM2NyZXQ=');
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      apikey: 'k-123',
      route: 'transactional',
      numbers: '+919876543210',
      message: 'Kosh Bank: INR 5,000.00 credited to A/c XX3210. Bal INR 12,000.00 & more',
      reference: 'outbox-7',
      sender: 'KOSHBK',
    });
  });

  it('posts JSON without credentials when so configured', async () => {
    const sms = createSmsSender({ driver: 'http', dataDir: '/nonexistent', http: gateway({ format: 'json' }) });
    await sms.send({ id: 'outbox-8', to: '+14155550100', text: 'Your code is 123456 ₹' });
    const request = requests.at(-1) as GatewayRequest;
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.headers.authorization).toBeUndefined();
    expect(JSON.parse(request.body)).toEqual({ to: '+14155550100', text: 'Your code is 123456 ₹' });
  });

  it('fails the send when the gateway refuses or cannot be reached', async () => {
    const refusing = createSmsSender({ driver: 'http', dataDir: '/nonexistent', http: gateway({ url: `${url}/refuse` }) });
    await expect(refusing.send({ id: 'x', to: '+919876543210', text: 'hi' })).rejects.toThrow(SmsDeliveryError);
    await expect(refusing.send({ id: 'x', to: '+919876543210', text: 'hi' })).rejects.toMatchObject({ status: 400 });
    const unreachable = createSmsSender({ driver: 'http', dataDir: '/nonexistent', http: gateway({ url: 'http://127.0.0.1:1/send', timeoutMs: 2000 }) });
    await expect(unreachable.send({ id: 'x', to: '+919876543210', text: 'hi' })).rejects.toThrow();
  });

  it('refuses a number that is not E.164 without calling the gateway', async () => {
    const sms = createSmsSender({ driver: 'http', dataDir: '/nonexistent', http: gateway() });
    const before = requests.length;
    for (const to of ['9876543210', '+0123456789', '+91 98765 43210', '', '+1234567890123456']) {
      await expect(sms.send({ id: 'x', to, text: 'hi' })).rejects.toThrow(/E\.164/);
    }
    expect(requests.length).toBe(before);
  });

  it('needs a URL for the HTTP driver', () => {
    expect(() => createSmsSender({ driver: 'http', dataDir: '/nonexistent' })).toThrow(/SMS_HTTP_URL/);
  });
});

describe('SMS console and file drivers', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-sms-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('appends one JSON line per message to <dataDir>/sms/outbox.jsonl', async () => {
    const sms = createSmsSender({ driver: 'file', dataDir });
    await sms.send({ id: 'a', to: '+919876543210', text: 'first "quoted"\nline' });
    await sms.send({ id: 'b', to: '+919876543211', text: 'second' });
    const lines = readFileSync(join(dataDir, 'sms', 'outbox.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line));
    expect(lines).toMatchObject([
      { id: 'a', to: '+919876543210', text: 'first "quoted"\nline' },
      { id: 'b', to: '+919876543211', text: 'second' },
    ]);
  });

  it('logs a line with the console driver', async () => {
    const lines: string[] = [];
    const sms = createSmsSender({ driver: 'console', dataDir, log: (line) => lines.push(line) });
    await sms.send({ id: 'c', to: '+919876543210', text: 'hello' });
    expect(lines).toEqual(['sms to +919876543210: hello']);
  });
});
