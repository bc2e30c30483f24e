/**
 * Security headers from helmet, worked out once per policy. The headers depend only on the
 * options, never on the request, so the server computes each set at start and copies it onto every
 * answer; building helmet's middleware again for each request (what a per-request plugin does)
 * parsed the same policy thousands of times a second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet, { type HelmetOptions } from 'helmet';

/** Header names (lower case, as Node keeps them) and values, in the order helmet sets them. */
export type HeaderList = readonly (readonly [string, string])[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route's own security headers instead of the API's (a documentation page's policy). */
    securityHeaders?: HeaderList;
  }
}

/** The headers helmet sets for these options (it reads nothing from the request for static options). */
export function helmetHeaders(options: Readonly<HelmetOptions>): HeaderList {
  const headers = new Map<string, readonly [string, string]>();
  const response = {
    setHeader(name: string, value: string | number | readonly string[]) {
      headers.set(name.toLowerCase(), [name.toLowerCase(), Array.isArray(value) ? value.join(', ') : String(value)]);
      return response;
    },
    removeHeader(name: string) {
      headers.delete(name.toLowerCase());
    },
  };
  let finished = false;
  helmet(options)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    if (error !== undefined && error !== null) throw error instanceof Error ? error : new Error(String(error));
    finished = true;
  });
  if (!finished) throw new Error('helmet did not set its headers synchronously');
  return [...headers.values()];
}
