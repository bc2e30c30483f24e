/**
 * Typed domain errors. Every error a use case can return is a DomainError with a stable machine
 * `code` and a `kind`; the HTTP layer maps kinds to status codes in exactly one place
 * (src/platform/http/problem.ts), so domain code never speaks HTTP.
 */
export type DomainErrorKind =
  | 'validation' // 422: the request is well-formed but its values are not acceptable
  | 'bad_request' // 400: the request cannot be parsed
  | 'unauthenticated' // 401
  | 'forbidden' // 403
  | 'not_found' // 404: also for another customer's objects
  | 'conflict' // 409: state forbids the change (frozen, closed, already reversed, key in use)
  | 'insufficient_funds' // 402
  | 'limit_exceeded' // 429 with Retry-After
  | 'rate_limited' // 429 with Retry-After
  | 'precondition_required' // 428
  | 'unavailable'; // 503 with Retry-After

export interface FieldIssue {
  /** Dotted path of the offending field, for example `amount` or `body.to_account_id`. */
  readonly field: string;
  readonly message: string;
}

export class DomainError extends Error {
  readonly code: string;
  readonly kind: DomainErrorKind;
  readonly issues: readonly FieldIssue[];
  /** Seconds after which a retry may succeed (limits, rate limits, overload). */
  readonly retryAfterSeconds: number | undefined;

  constructor(options: {
    code: string;
    kind: DomainErrorKind;
    message: string;
    issues?: readonly FieldIssue[];
    retryAfterSeconds?: number;
  }) {
    super(options.message);
    this.name = 'DomainError';
    this.code = options.code;
    this.kind = options.kind;
    this.issues = options.issues ?? [];
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

export function validationError(code: string, message: string, field?: string): DomainError {
  return new DomainError({
    code,
    kind: 'validation',
    message,
    issues: field === undefined ? [] : [{ field, message }],
  });
}

export function notFound(code: string, message: string): DomainError {
  return new DomainError({ code, kind: 'not_found', message });
}

export function conflict(code: string, message: string): DomainError {
  return new DomainError({ code, kind: 'conflict', message });
}

export function forbidden(code: string, message: string): DomainError {
  return new DomainError({ code, kind: 'forbidden', message });
}
