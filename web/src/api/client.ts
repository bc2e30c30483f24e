/**
 * The typed API client, generated from Kosh's OpenAPI document (schema.d.ts is written at build
 * time, so an endpoint that changes shape breaks the build). Sessions are cookie sessions: the
 * tokens live in httpOnly cookies the scripts never see; every write repeats the readable CSRF
 * cookie in the X-CSRF-Token header. A 401 on an ordinary call refreshes the session once (one
 * refresh at a time, shared by concurrent calls) and retries; if that fails the session is over.
 */
import createClient from 'openapi-fetch';
import type { paths } from './schema';
import { ApiError, type ProblemBody } from './problem';
import { session } from '../auth/session-store';

export type { paths, components } from './schema';

const CSRF_COOKIE = '__Host-kosh_csrf';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function csrfToken(): string | undefined {
  for (const pair of document.cookie.split(';')) {
    const [name, ...value] = pair.trim().split('=');
    if (name === CSRF_COOKIE) return decodeURIComponent(value.join('='));
  }
  return undefined;
}

function withSessionHeaders(request: Request): Request {
  const headers = new Headers(request.headers);
  headers.set('X-Kosh-Client', 'web');
  const token = csrfToken();
  if (!SAFE_METHODS.has(request.method) && token !== undefined) headers.set('X-CSRF-Token', token);
  return new Request(request, { headers, credentials: 'same-origin' });
}

let refreshing: Promise<boolean> | undefined;

/** Refreshes the cookie session; true when it is alive again. One refresh runs at a time. */
export function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    try {
      const response = await fetch('/api/v1/auth/refresh', {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'X-Kosh-Client': 'web', 'X-CSRF-Token': csrfToken() ?? '' },
      });
      if (!response.ok) return false;
      const body = (await response.json()) as { expires_in: number; refresh_expires_in: number };
      session.started(body.expires_in, body.refresh_expires_in);
      return true;
    } catch {
      return false;
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

const NO_RETRY = ['/api/v1/auth/login', '/api/v1/auth/refresh', '/api/v1/auth/register', '/api/v1/auth/logout'];

async function sessionFetch(input: Request): Promise<Response> {
  const retry = input.clone();
  let response: Response;
  try {
    response = await fetch(withSessionHeaders(input));
  } catch {
    throw new ApiError(0, { title: 'No connection' });
  }
  const path = new URL(input.url).pathname;
  if (response.status !== 401 || NO_RETRY.includes(path)) {
    if (response.ok) session.touched();
    return response;
  }
  if (!(await refreshSession())) {
    session.ended('expired');
    return response;
  }
  return fetch(withSessionHeaders(retry));
}

export const api = createClient<paths>({ baseUrl: '', fetch: sessionFetch });

/** Turns an openapi-fetch result into its data, or throws an ApiError with the problem. */
export async function unwrap<T>(promise: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const result = await promise;
  if (result.response.ok) return result.data as T;
  const retryAfter = Number(result.response.headers.get('retry-after'));
  const problem = (typeof result.error === 'object' && result.error !== null ? result.error : {}) as ProblemBody;
  throw new ApiError(result.response.status, problem, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter : undefined);
}

/** A new idempotency key for one confirmed money operation (reused when that operation is retried). */
export function newIdempotencyKey(): string {
  return crypto.randomUUID();
}
