#!/usr/bin/env node
// The project's test command. It runs the type checker, the linter (which also enforces the module
// boundaries) and every Vitest suite, then prints one summary line: "N passed, N failed, N skipped".
// Each of the type check and the lint counts as one test, so a type or boundary error fails the run.
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
  } else {
    failed += 1;
    process.stdout.write(`== ${name}: FAILED (exit ${result.status ?? result.signal})\n`);
  }
}

if (!onlyVitest) {
  runCheck('typecheck', 'npx', ['tsc', '-p', 'tsconfig.json']);
  runCheck('lint', 'npx', ['eslint', '--max-warnings=0', '.']);
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
rmSync(reportDir, { recursive: true, force: true });

process.stdout.write(`\n${passed} passed, ${failed} failed${skipped > 0 ? `, ${skipped} skipped` : ''}\n`);
process.exit(failed > 0 ? 1 : 0);
