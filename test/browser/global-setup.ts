/**
 * Starts a real Kosh server for the browser suite: PGlite in a fresh temporary folder, a free
 * port, demo data, generous rate limits (every test signs in from one address). The server's base
 * URL reaches the tests through KOSH_BASE_URL. The web app must have been built (npm test and
 * npm run test:browser build it first).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../../', import.meta.url).pathname;

/** Environment of the test server, also read by tests that depend on a value. */
export const BROWSER_SERVER_ENV = {
  LOG_LEVEL: 'warn',
  NODE_ENV: 'test',
  SEED_ON_EMPTY: 'true',
  AUTH_RATE_LIMIT_PER_IP_PER_MINUTE: '1000000',
  LOGIN_RATE_LIMIT_PER_USERNAME_PER_MINUTE: '1000000',
  MONEY_RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
  CREDENTIAL_RATE_LIMIT_PER_USER_PER_MINUTE: '1000000',
};

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(baseUrl: string, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`The Kosh server exited (${child.exitCode}):\n${output()}`);
    try {
      const response = await fetch(`${baseUrl}/readyz`);
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`The Kosh server did not become ready in time:\n${output()}`);
}

export default async function globalSetup(): Promise<() => Promise<void>> {
  if (!existsSync(join(root, 'web/dist/index.html'))) {
    throw new Error('The web app is not built: run `npm run build:web` first.');
  }
  const dataDir = mkdtempSync(join(tmpdir(), 'kosh-browser-'));
  const port = await freePort();
  const baseUrl = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(process.execPath, [join(root, 'bin/kosh.mjs'), 'serve'], {
    cwd: root,
    env: { ...process.env, ...BROWSER_SERVER_ENV, DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const keep = (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-20_000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  await waitUntilReady(baseUrl, child, () => log);
  process.env.KOSH_BASE_URL = baseUrl;
  return async () => {
    if (child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
}
