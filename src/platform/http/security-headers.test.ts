import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import helmet from 'helmet';
import { describe, expect, it } from 'vitest';
import { helmetHeaders } from './security-headers.js';

const OPTIONS = {
  contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
  xFrameOptions: { action: 'deny' },
  strictTransportSecurity: { maxAge: 31_536_000, includeSubDomains: true },
} as const;

/** The headers helmet's own middleware puts on a real response. */
async function headersFromMiddleware(): Promise<IncomingHttpHeaders> {
  const middleware = helmet(OPTIONS);
  const server = createServer((req, res) => {
    res.setHeader('X-Powered-By', 'something');
    middleware(req, res, () => res.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const { port } = server.address() as AddressInfo;
    return await new Promise((resolve, reject) => {
      request({ host: '127.0.0.1', port, path: '/' }, (res) => {
        res.resume();
        resolve(res.headers);
      })
        .on('error', reject)
        .end();
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
}

describe('helmetHeaders', () => {
  it('gives the headers helmet sets on a response, and none it removes', async () => {
    const computed = new Map(helmetHeaders(OPTIONS));
    const real = await headersFromMiddleware();
    const fromHelmet = Object.fromEntries(Object.entries(real).filter(([name]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name)));
    expect(Object.fromEntries(computed)).toEqual(fromHelmet);
    expect(computed.get('content-security-policy')).toBe("default-src 'none';frame-ancestors 'none'");
    expect(computed.get('x-frame-options')).toBe('DENY');
    expect(computed.has('x-powered-by')).toBe(false);
  });
});
