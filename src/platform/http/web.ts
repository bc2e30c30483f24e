/**
 * Serves the web app (the Vite build in web/dist) at `/`, next to the API under /api/v1. Files
 * under /assets carry a content hash in their names and are cached for a year; every other path
 * that a browser asks for as a page (Accept: text/html) gets index.html, never cached, so that the
 * app's router can show it. API paths and requests that do not ask for HTML keep the problem+json
 * 404. The pages get their own Content-Security-Policy: scripts only from this server, styles also
 * inline (the component kit injects a style element), images also from data: URLs (QR codes),
 * connections only to this server, no framing; the API keeps its own policy that lets nothing load.
 * The routes are hidden from the OpenAPI document. Without a build, `/` answers 503 with a short
 * text that says how to build it.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export const WEB_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
  "form-action 'self'",
].join(';');

const NOT_BUILT =
  'The Kosh web app is not built yet. Run `npm run build:web` (or `npm start`, which builds it) and reload this page.\n' +
  'The API is available under /api/v1 and its documentation at /docs.\n';

/**
 * The build folder: web/dist at the project root, found from this file whether it runs from the
 * sources (src/platform/http) or from the compiled output (dist/src/platform/http).
 */
export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [resolve(here, '../../../web/dist'), resolve(here, '../../../../web/dist')];
  return candidates.find((candidate) => existsSync(join(candidate, '..', 'index.html'))) ?? candidates[0]!;
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function acceptsHtml(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  return typeof accept === 'string' && accept.includes('text/html');
}

/** The file under root that a request path names, or undefined for anything outside it. */
function fileUnder(root: string, path: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return undefined;
  }
  if (decoded.includes('\u0000')) return undefined;
  const file = normalize(join(root, decoded));
  return file.startsWith(root + sep) ? file : undefined;
}

export async function registerWebApp(app: FastifyInstance, options: { apiPrefix: string; root?: string }): Promise<void> {
  const { apiPrefix, root = defaultWebRoot() } = options;
  await app.register(fastifyStatic, { serve: false, root });
  const sendIndex = (reply: FastifyReply) => {
    if (!isFile(join(root, 'index.html'))) {
      return reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT);
    }
    return reply
      .header('content-security-policy', WEB_CSP)
      .header('cache-control', 'no-cache').type('text/html; charset=utf-8').sendFile('index.html', root, { cacheControl: false });
  };
  // Only what is served as the web app gets its policy; refusals keep the API's.
  const webRoute = { schema: { hide: true } };
  app.get('/', webRoute, async (_request, reply) => sendIndex(reply));
  app.get('/*', webRoute, async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    if (path === apiPrefix || path.startsWith(`${apiPrefix}/`)) return reply.callNotFound();
    const file = fileUnder(root, path);
    if (file !== undefined && isFile(file)) {
      const hashed = path.startsWith('/assets/');
      reply.header('content-security-policy', WEB_CSP).header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache');
      return reply.sendFile(file.slice(root.length + 1), root, { cacheControl: false });
    }
    if (acceptsHtml(request)) return sendIndex(reply);
    return reply.callNotFound();
  });
}
