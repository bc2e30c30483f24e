/**
 * Security headers from helmet, worked out once per policy. The headers depend only on the
 * options, never on the request, so the server computes each set at start and copies it onto every
 * answer; building helmet's middleware again for each request (what a per-request plugin does)
 * parsed the same policy thousands of times a second.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';

/** Header names (lower case, as Node keeps them) and values, in the order helmet sets them. */
export type HeaderList = readonly (readonly [string, string])[];

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

/**
 * An onRequest hook that puts the headers on the answer. The server adds one for every request;
 * a route with a policy of its own (a documentation page) adds another, whose headers replace them.
 */
export function setSecurityHeaders(headers: HeaderList) {
  return function securityHeaders(_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  };
}
