/**
 * The HTTP server: Fastify with Zod validation and serialization, the OpenAPI 3.1 document at
 * /openapi.json with Swagger UI at /docs and ReDoc at /redoc, /healthz, /readyz, /metrics,
 * problem+json errors for everything that goes wrong (including unknown routes), a body limit,
 * request latency metrics and redacted structured logs. Security headers come from helmet, worked
 * out once per policy (security-headers.ts): a Content-Security-Policy that lets nothing load for
 * the API's JSON and what the documentation pages need for them; CORS admits only the origins in
 * CORS_ORIGINS.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import fastifyCookie from '@fastify/cookie';
import fastifyCors from '@fastify/cors';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import Fastify, { LogController, type FastifyInstance, type FastifyBaseLogger, type RawServerDefault } from 'fastify';
import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../context.js';
import { pendingMigrations } from '../db/migrate.js';
import { authenticationHook, type SessionValidator } from './auth.js';
import { errorHandler, notFoundHandler, problem, sendProblem } from './problem.js';
import { DomainError, validationError } from '../../core/errors.js';
import { findImpreciseNumber } from './json-numbers.js';
import { rateLimitHook, type RouteRateLimit } from './rate-limit.js';
import { registerWebApp } from './web.js';
import { helmetHeaders, setSecurityHeaders, type HeaderList } from './security-headers.js';
import { lazyChildLogger } from './request-logger.js';

export type Api = FastifyInstance<RawServerDefault, IncomingMessage, ServerResponse, FastifyBaseLogger, ZodTypeProvider>;

export type RouteModule = (api: Api, context: AppContext) => void;

export const API_PREFIX = '/api/v1';

export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["idempotency-key"]',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.old_password',
  '*.new_password',
  '*.pin',
  '*.otp',
  '*.access_token',
  '*.refresh_token',
  '*.secret',
  '*.jwt_secret',
  '*.code',
  '*.recovery_codes',
  '*.qr_code',
  '*.otpauth_uri',
];

export interface ServerOptions {
  readonly context: AppContext;
  readonly routes: readonly RouteModule[];
  readonly sessionIsValid: SessionValidator;
  /** Per-route rate limits (in memory, per process), checked after authentication. */
  readonly rateLimits?: readonly RouteRateLimit[];
  readonly logger?: boolean | object;
  readonly version: string;
}

const require = createRequire(import.meta.url);

/** The path of the first string (key or value) holding a NUL character, if any. */
function findNulCharacter(value: unknown, path: string, depth = 0): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? path : undefined;
  if (value === null || typeof value !== 'object' || depth > 32) return undefined;
  for (const [key, item] of Object.entries(value)) {
    const itemPath = `${path}.${key}`;
    if (key.includes('\u0000')) return path;
    const found = findNulCharacter(item, itemPath, depth + 1);
    if (found !== undefined) return found;
  }
  return undefined;
}

/** The API answers with JSON that no browser should render, frame or let load anything. */
const API_CSP = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'none'"],
};

const HELMET_OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: API_CSP },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  crossOriginResourcePolicy: { policy: 'same-origin' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
} as const;

const API_SECURITY_HEADERS: HeaderList = helmetHeaders(HELMET_OPTIONS);

/** ReDoc's page: its bundle from this server, the styles it injects, the spec it fetches, its search worker. */
const REDOC_CSP = {
  ...API_CSP,
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", 'data:'],
  fontSrc: ["'self'", 'data:'],
  connectSrc: ["'self'"],
  workerSrc: ["'self'", 'blob:'],
};
const REDOC_SECURITY_HEADERS: HeaderList = helmetHeaders({ ...HELMET_OPTIONS, contentSecurityPolicy: { useDefaults: false, directives: REDOC_CSP } });

/** Headers that cross-origin scripts of allowed origins may read. */
const CORS_EXPOSED_HEADERS = ['Retry-After', 'X-Request-Id', 'Idempotent-Replayed', 'Content-Disposition'];

function redocPage(): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>Kosh API reference</title>
  </head>
  <body>
    <redoc spec-url="/openapi.json"></redoc>
    <script src="/redoc/redoc.standalone.js"></script>
  </body>
</html>`;
}

export async function buildServer(options: ServerOptions): Promise<Api> {
  const { context } = options;
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            level: context.config.LOG_LEVEL,
            redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
            ...(typeof options.logger === 'object' ? options.logger : {}),
          },
    bodyLimit: context.config.BODY_LIMIT_BYTES,
    trustProxy: context.config.TRUST_PROXY,
    requestIdHeader: false,
    genReqId: () => crypto.randomUUID(),
    childLoggerFactory: lazyChildLogger,
    ajv: undefined,
    return503OnClosing: true,
    logController: new LogController({ disableRequestLogging: true }),
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);

  // Only JSON bodies are accepted (besides no body at all).
  app.removeAllContentTypeParsers();
  // An empty body with a JSON content type counts as no body (some clients send the header on a
  // bodiless PATCH); prototype-poisoning keys (__proto__, constructor.prototype) are refused.
  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    const imprecise = findImpreciseNumber(text);
    if (imprecise !== undefined) {
      done(
        validationError('imprecise_number', `The number ${imprecise.slice(0, 40)} has more digits than a JSON number keeps exactly; send it as a string.`),
        undefined,
      );
      return;
    }
    parseJson(request, text, done);
  });

  // Helmet and CORS first, so that their headers are on every answer, refusals included.
  app.addHook('onRequest', setSecurityHeaders(API_SECURITY_HEADERS));
  const corsOrigins = new Set(context.config.CORS_ORIGINS);
  await app.register(fastifyCors, {
    // Only listed origins get CORS headers; any other (or none) gets none, and its preflight a 404.
    origin: (origin, callback) => callback(null, origin !== undefined && corsOrigins.has(origin)),
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
    exposedHeaders: CORS_EXPOSED_HEADERS,
    maxAge: 600,
  });
  app.addHook('onRequest', async (request, reply) => {
    // API requests count as activity until their response is finished or abandoned.
    if (request.url.startsWith(API_PREFIX)) reply.raw.once('close', context.requestActivity.begin());
    reply.header('x-request-id', request.id);
    reply.header('cache-control', 'no-store');
  });
  app.addHook('onRequest', authenticationHook(context.tokens, options.sessionIsValid));
  // Rate limits attach to the routes they cover when those are registered, so that other routes
  // pay nothing for them.
  const limitHooks = (options.rateLimits ?? []).flatMap((limit) => {
    const hook = rateLimitHook(limit, () => context.now().getTime());
    return hook === undefined ? [] : [{ limit, hook }];
  });
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    const hooks = limitHooks.filter(({ limit }) => methods.some((method) => limit.matches(method, route.url))).map(({ hook }) => hook);
    if (hooks.length === 0) return;
    const existing = route.onRequest === undefined ? [] : Array.isArray(route.onRequest) ? route.onRequest : [route.onRequest];
    route.onRequest = [...existing, ...hooks];
  });
  // PostgreSQL text cannot hold NUL characters; refuse them up front rather than fail in the database.
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [['body', request.body], ['query', request.query], ['params', request.params]] as const) {
      const field = findNulCharacter(value, part);
      if (field !== undefined) throw validationError('invalid_characters', `${field} contains a NUL character.`, field);
    }
  });
  // One access-log line per request (Fastify's own request logging writes two).
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    const seconds = reply.elapsedTime / 1000;
    context.metrics.httpRequestDuration.labels({ method: request.method, route, status_code: String(reply.statusCode) }).observe(seconds);
    request.log.info(
        { method: request.method, route, status: reply.statusCode, ms: Math.round(reply.elapsedTime * 10) / 10, user: request.principal?.userId },
      'request',
    );
  });

  // Cookies for the web app's sessions; no parsing hook (see cookies.ts), so bearer requests skip it.
  await app.register(fastifyCookie, { hook: false });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Kosh API',
        version: options.version,
        description:
          'Kosh, an open-source digital bank. Amounts are decimal strings with exactly the currency\'s decimals. ' +
          'Errors are RFC 9457 problem+json documents with a stable `code`. Money-moving POSTs accept an `Idempotency-Key` header.',
      },
      components: {
        securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      },
    },
    transform: jsonSchemaTransform,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI sets style attributes in its markup; allow them on its own pages only.
    transformStaticCSP: (header) => header.replace("style-src 'self' https:", "style-src 'self' https: 'unsafe-inline'"),
  });

  app.get('/openapi.json', { schema: { hide: true } }, async (_request, reply) => reply.type('application/json').send(app.swagger()));
  const redocBundle = readFileSync(require.resolve('redoc/bundles/redoc.standalone.js'));
  app.get('/redoc', { schema: { hide: true }, onRequest: setSecurityHeaders(REDOC_SECURITY_HEADERS) }, async (_request, reply) =>
    reply.type('text/html; charset=utf-8').send(redocPage()),
  );
  app.get('/redoc/redoc.standalone.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('application/javascript; charset=utf-8').header('cache-control', 'public, max-age=86400').send(redocBundle),
  );

  const healthSchema = z.object({ status: z.string() });
  app.get('/healthz', { schema: { tags: ['operations'], summary: 'Liveness: the process is up', response: { 200: healthSchema } } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['operations'], summary: 'Readiness: the database is reachable and migrated', response: { 200: healthSchema } } },
    async (_request, reply) => {
      try {
        const pending = await pendingMigrations(context.db, context.migrations);
        if (pending.length > 0) {
          return sendProblem(reply, problem({ status: 503, code: 'not_migrated', detail: `Pending migrations: ${pending.join(', ')}.` }), 5);
        }
        return { status: 'ready' };
      } catch {
        return sendProblem(reply, problem({ status: 503, code: 'database_unreachable', detail: 'The database is not reachable.' }), 5);
      }
    },
  );
  const metricsToken = context.config.METRICS_TOKEN === undefined ? undefined : digest(context.config.METRICS_TOKEN);
  app.get('/metrics', { schema: { hide: true }, config: { ownAuthorization: true } }, async (request, reply) => {
    if (metricsToken !== undefined) {
      const match = /^Bearer (.{1,512})$/.exec(request.headers.authorization ?? '');
      if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), metricsToken)) {
        reply.header('www-authenticate', 'Bearer realm="metrics"');
        throw new DomainError({ code: 'metrics_token_required', kind: 'unauthenticated', message: 'Send the metrics token (METRICS_TOKEN) as a bearer token.' });
      }
    }
    return reply.type(context.metrics.registry.contentType).send(await context.metrics.registry.metrics());
  });

  await app.register(
    async (api) => {
      for (const register of options.routes) register(api as Api, context);
    },
    { prefix: API_PREFIX },
  );
  // The web app at / (hidden from the OpenAPI document).
  await registerWebApp(app, { apiPrefix: API_PREFIX });
  return app as Api;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
