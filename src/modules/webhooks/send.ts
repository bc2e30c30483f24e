/**
 * One HTTP POST of a webhook delivery to a destination that passed the SSRF guard. The connection
 * goes to the checked addresses only (the request's DNS lookup is answered with them), so a second
 * DNS answer cannot steer the request elsewhere; https still verifies the certificate against the URL's host.
 * Redirects are not followed (a 3xx is a failed attempt). Only the first bytes of the response are
 * read, and the whole attempt is bounded by a time limit.
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Destination, ResolvedAddress } from './ssrf.js';

export const RESPONSE_EXCERPT_BYTES_MAX = 512;

export interface SendResult {
  readonly statusCode: number | null;
  readonly responseExcerpt: string | null;
  readonly error: string | null;
}

/**
 * A lookup that answers with the checked addresses only: all of them when the connection may try
 * several (Node's happy eyeballs), the first otherwise.
 */
function pinnedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    const [first] = addresses;
    if (options.all === true) callback(null, addresses.map(({ address, family }) => ({ address, family })));
    else if (first !== undefined) callback(null, first.address, first.family);
    else callback(Object.assign(new Error('no checked address'), { code: 'ENOTFOUND' }));
  }) as unknown as LookupFunction;
}

/** POSTs the body with the headers; resolves (never rejects) with what happened. */
export function postPinned(options: { destination: Destination; headers: Record<string, string>; body: string; timeoutMs: number }): Promise<SendResult> {
  const { url, addresses } = options.destination;
  if (addresses.length === 0) return Promise.resolve({ statusCode: null, responseExcerpt: null, error: 'no address to connect to' });
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: SendResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(result);
    };
    const request = transport.request(url, {
      method: 'POST',
      headers: { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) },
      lookup: pinnedLookup(addresses),
      // A fresh connection for every attempt: a pooled socket could lead to an address not checked now.
      agent: false,
    });
    const timer = setTimeout(() => finish({ statusCode: null, responseExcerpt: null, error: `timed out after ${options.timeoutMs} ms` }), options.timeoutMs);
    request.on('error', (error: NodeJS.ErrnoException) =>
      // PostgreSQL text holds no NUL characters.
      finish({ statusCode: null, responseExcerpt: null, error: (error.code ?? error.message).replace(/\u0000/g, '') }),
    );
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const done = () => {
        // PostgreSQL text holds no NUL characters; a cut multi-byte character is dropped.
        const text = Buffer.concat(chunks).subarray(0, RESPONSE_EXCERPT_BYTES_MAX).toString('utf8').replace(/\uFFFD+$/, '').replace(/\u0000/g, '');
        finish({ statusCode: response.statusCode ?? null, responseExcerpt: text === '' ? null : text, error: null });
      };
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= RESPONSE_EXCERPT_BYTES_MAX) done();
      });
      response.on('end', done);
      response.on('error', done);
    });
    request.end(options.body);
  });
}
