#!/usr/bin/env node
// The project's test command. It runs the type checker, the linter (which also enforces the module
// boundaries), the web app's client generation, type check and build, every Vitest suite and the
// browser suite, then prints one summary line: "N passed, N failed, N skipped". Each of the checks
// counts as one test, so a type or boundary error fails the run.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extraArgs = process.argv.slice(2);
const onlyVitest = extraArgs.length > 0;
let passed = 0;
let failed = 0;
let skipped = 0;

function runCheck(name, command, args) {
  process.stdout.write(`\n== ${name}: ${command} ${args.join(' ')}\n`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status === 0) {
    passed += 1;
    process.stdout.write(`== ${name}: passed\n`);
    return true;
  }
  failed += 1;
  process.stdout.write(`== ${name}: FAILED (exit ${result.status ?? result.signal})\n`);
  return false;
}

let webBuilt = false;
if (!onlyVitest) {
  runCheck('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
  runCheck('lint', 'npx', ['eslint', '--max-warnings=0', '.']);
  // The web app: its API client is generated from the OpenAPI document, so an endpoint that changed
  // shape fails the web type check; the build is what the browser suite and `npm start` serve.
  const client = runCheck('web api client', 'npm', ['run', '--silent', 'web:api']);
  const typed = client && runCheck('web typecheck', 'npx', ['tsc', '-p', 'web']);
  webBuilt = typed && runCheck('web build', 'npx', ['vite', 'build', '--config', 'web/vite.config.ts', '--logLevel', 'warn']);
}

const reportDir = mkdtempSync(join(tmpdir(), 'kosh-test-'));
const reportFile = join(reportDir, 'vitest.json');
process.stdout.write('\n== vitest\n');
const vitest = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${reportFile}`, ...extraArgs],
  { stdio: 'inherit' },
);
try {
  const report = JSON.parse(readFileSync(reportFile, 'utf8'));
  passed += report.numPassedTests;
  failed += report.numFailedTests;
  skipped += report.numPendingTests + report.numTodoTests;
  // A suite that fails to load has no tests in the counts; count it as a failure.
  for (const suite of report.testResults ?? []) {
    if (suite.status === 'failed' && (suite.assertionResults ?? []).length === 0) failed += 1;
  }
} catch {
  failed += 1;
  process.stdout.write(`vitest produced no report (exit ${vitest.status ?? vitest.signal})\n`);
}
if (vitest.status !== 0 && failed === 0) failed += 1;

// The browser suite: Playwright driving Debian's Chromium against a real server it starts. Each
// test counts; a suite that cannot run (no build, no browser) counts as one failure.
if (!onlyVitest) {
  process.stdout.write('\n== browser suite\n');
  const browserReport = join(reportDir, 'playwright.json');
  if (!webBuilt) {
    failed += 1;
    process.stdout.write('browser suite not run: the web app did not build\n');
  } else {
    const browser = spawnSync('npx', ['playwright', 'test', '-c', 'test/browser/playwright.config.ts'], {
      stdio: 'inherit',
      env: { ...process.env, KOSH_PLAYWRIGHT_JSON: browserReport },
    });
    try {
      const { stats, errors } = JSON.parse(readFileSync(browserReport, 'utf8'));
      passed += stats.expected + stats.flaky;
      failed += stats.unexpected + ((errors ?? []).length > 0 && stats.unexpected === 0 ? 1 : 0);
      skipped += stats.skipped;
    } catch {
      failed += 1;
      process.stdout.write(`the browser suite produced no report (exit ${browser.status ?? browser.signal})\n`);
    }
  }
}
rmSync(reportDir, { recursive: true, force: true });

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
