/**
 * The lint rules that hold the architecture together must actually catch violations: core code
 * importing I/O, a module reaching into another module's internals, platform depending on modules.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const eslint = new ESLint({ cwd: process.cwd() });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('module boundaries', () => {
  it('refuses I/O imports in src/core', async () => {
    expect(await boundaryErrors('src/core/example.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n")).toHaveLength(1);
    expect(await boundaryErrors('src/core/example.ts', "import { Kysely } from 'kysely';\nexport const x = Kysely;\n")).toHaveLength(1);
    expect(await boundaryErrors('src/core/example.ts', "import { x } from '../platform/config.js';\nexport const y = x;\n")).toHaveLength(1);
    expect(await boundaryErrors('src/core/example.ts', "import { x } from '../modules/ledger/index.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it('allows pure imports in src/core', async () => {
    expect(await boundaryErrors('src/core/example.ts', "import { formatAmount } from './money.js';\nexport const x = formatAmount;\n")).toEqual([]);
  });

  it("refuses a module reaching into another module's files", async () => {
    expect(await boundaryErrors('src/modules/payments/example.ts', "import { x } from '../ledger/store.js';\nexport const y = x;\n")).toHaveLength(1);
    expect(await boundaryErrors('src/modules/payments/example.ts', "import { x } from '../../modules/ledger/store.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it("allows a module to use another module's index and its own files", async () => {
    expect(await boundaryErrors('src/modules/payments/example.ts', "import { x } from '../ledger/index.js';\nexport const y = x;\n")).toEqual([]);
    expect(await boundaryErrors('src/modules/payments/example.ts', "import { x } from './store.js';\nexport const y = x;\n")).toEqual([]);
  });

  it('refuses platform code depending on modules', async () => {
    expect(await boundaryErrors('src/platform/http/example.ts', "import { x } from '../../modules/ledger/index.js';\nexport const y = x;\n")).toHaveLength(1);
  });

  it('finds no violation in the source tree', async () => {
    const results = await eslint.lintFiles(['src']);
    const violations = results.flatMap((result) =>
      result.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => `${result.filePath}: ${message.message}`),
    );
    expect(violations).toEqual([]);
  });
});
