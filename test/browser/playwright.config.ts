/**
 * The browser suite: Playwright driving Debian's Chromium (/usr/bin/chromium; never a downloaded
 * browser) against a real Kosh server on PGlite that the global setup starts. One worker: the
 * tests share one server and the machines have two cores.
 */
import { defineConfig } from '@playwright/test';

const root = new URL('../../', import.meta.url).pathname;

export default defineConfig({
  testDir: '.',
  testMatch: '*.spec.ts',
  globalSetup: './global-setup.ts',
  outputDir: `${root}test-results/browser`,
  workers: 1,
  fullyParallel: false,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 10_000 },
  reporter: process.env.KOSH_PLAYWRIGHT_JSON === undefined ? 'list' : [['list'], ['json', { outputFile: process.env.KOSH_PLAYWRIGHT_JSON }]],
  use: {
    browserName: 'chromium',
    headless: true,
    locale: 'en-IN',
    timezoneId: 'Asia/Kolkata',
    viewport: { width: 1280, height: 860 },
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    },
    trace: 'off',
    screenshot: 'only-on-failure',
  },
});
