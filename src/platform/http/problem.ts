/**
 * RFC 9457 problem details. This file is the one place where errors become HTTP responses: typed
 * domain errors map by kind to a status, framework errors (malformed JSON, oversized bodies, schema
 * validation) to their own stable codes, database errors that mean "try again later" to 503, and
 * anything else to a 500 whose details stay in the log. No stack trace ever reaches a client.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { DomainError, type DomainErrorKind, type FieldIssue } from '../../core/errors.js';
import { sqlState } from '../db/transaction.js';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: FieldIssue[];
}

const STATUS_BY_KIND: Record<DomainErrorKind, number> = {
  validation: 422,
  bad_request: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  insufficient_funds: 402,
  limit_exceeded: 429,
  rate_limited: 429,
  precondition_required: 428,
  unavailable: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export function statusOf(error: DomainError): number {
  return STATUS_BY_KIND[error.kind];
}

export function problem(options: { status: number; code: string; detail: string; instance?: string; errors?: FieldIssue[] }): Problem {
  const body: Problem = {
    type: `urn:kosh:problem:${options.code}`,
    title: TITLES[options.status] ?? 'Error',
    status: options.status,
    detail: options.detail,
    code: options.code,
  };
  if (options.instance !== undefined) body.instance = options.instance;
  if (options.errors !== undefined && options.errors.length > 0) body.errors = options.errors;
  return body;
}

export function problemFromDomainError(error: DomainError, instance?: string): Problem {
  return problem({
    status: statusOf(error),
    code: error.code,
    detail: error.message,
    ...(instance === undefined ? {} : { instance }),
    errors: [...error.issues],
  });
}

interface MappedError {
  problem: Problem;
  retryAfterSeconds?: number;
  log: 'none' | 'warn' | 'error';
}

const UNAVAILABLE_NODE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND']);

function isDatabaseUnavailable(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined && (state.startsWith('08') || state === '57P01' || state === '57P02' || state === '57P03' || state === '53300')) {
    return true;
  }
  const nodeCode = (error as { code?: unknown } | null)?.code;
  if (typeof nodeCode === 'string' && UNAVAILABLE_NODE_CODES.has(nodeCode)) return true;
  const message = String((error as { message?: unknown } | null)?.message ?? '');
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|driver has already been destroyed|Cannot use a pool after calling end/i.test(message);
}

function fromValidation(error: FastifyError, instance: string): Problem {
  const issues: FieldIssue[] = (error.validation ?? []).map((issue) => {
    const path = issue.instancePath.replace(/^\//, '').replaceAll('/', '.');
    const context = error.validationContext ?? 'body';
    const params = issue.params as { issue?: { code?: string; keys?: string[] } } | undefined;
    const extraKeys = params?.issue?.code === 'unrecognized_keys' ? params.issue.keys ?? [] : [];
    const field = [context, path, ...(extraKeys.length === 1 ? extraKeys : [])].filter((part) => part !== '').join('.');
    return { field, message: issue.message ?? 'is invalid' };
  });
  return problem({
    status: 422,
    code: 'validation_failed',
    detail: issues.length > 0 ? `The request is not valid: ${issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ')}` : 'The request is not valid.',
    instance,
    errors: issues,
  });
}

/** Maps any thrown value to a problem. */
export function mapError(error: unknown, instance: string): MappedError {
  if (error instanceof DomainError) {
    return { problem: problemFromDomainError(error, instance), retryAfterSeconds: error.retryAfterSeconds, log: 'none' };
  }
  const fastifyError = error as FastifyError;
  if (fastifyError?.validation !== undefined) return { problem: fromValidation(fastifyError, instance), log: 'none' };
  switch (fastifyError?.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { problem: problem({ status: 400, code: 'malformed_json', detail: 'The request body is not valid JSON.', instance }), log: 'none' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return { problem: problem({ status: 413, code: 'body_too_large', detail: 'The request body is too large.', instance }), log: 'none' };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return {
        problem: problem({ status: 415, code: 'unsupported_media_type', detail: 'Send the request body as application/json.', instance }),
        log: 'none',
      };
    default:
      break;
  }
  if (typeof fastifyError?.statusCode === 'number' && fastifyError.statusCode >= 400 && fastifyError.statusCode < 500) {
    return {
      problem: problem({ status: fastifyError.statusCode, code: 'bad_request', detail: 'The request could not be processed.', instance }),
      log: 'warn',
    };
  }
  if (sqlState(error) === '22003') {
    return {
      problem: problem({ status: 422, code: 'amount_out_of_range', detail: 'The resulting amount is out of the supported range.', instance }),
      log: 'warn',
    };
  }
  if (sqlState(error) === '57014' || isDatabaseUnavailable(error)) {
    return {
      problem: problem({ status: 503, code: 'service_unavailable', detail: 'The service is temporarily unavailable; try again shortly.', instance }),
      retryAfterSeconds: 1,
      log: 'warn',
    };
  }
  return {
    problem: problem({ status: 500, code: 'internal_error', detail: 'An unexpected error occurred. It has been logged.', instance }),
    log: 'error',
  };
}

export function sendProblem(reply: FastifyReply, body: Problem, retryAfterSeconds?: number): FastifyReply {
  if (retryAfterSeconds !== undefined) reply.header('retry-after', String(Math.max(1, Math.ceil(retryAfterSeconds))));
  return reply.code(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}

export function errorHandler(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const mapped = mapError(error, request.url.split('?')[0] ?? request.url);
  if (mapped.log === 'error') request.log.error({ err: error }, 'request failed');
  else if (mapped.log === 'warn') request.log.warn({ err: error }, 'request failed');
  return sendProblem(reply, mapped.problem, mapped.retryAfterSeconds);
}

export function notFoundHandler(request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendProblem(
    reply,
    problem({ status: 404, code: 'route_not_found', detail: `No route ${request.method} ${request.url.split('?')[0]}.`, instance: request.url.split('?')[0] ?? '' }),
  );
}
