import { defineConfig } from 'vitest/config';

// Two projects: everything on PGlite (the embedded default), and the API suites again on a real
// PostgreSQL server, so that every endpoint is proven on both databases.
export default defineConfig({
  test: {
    globalSetup: ['test/support/global-setup.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    projects: [
      {
        extends: true,
        test: { name: 'pglite', include: ['src/**/*.test.ts', 'test/**/*.test.ts'] },
      },
      {
        extends: true,
        test: { name: 'postgres', include: ['test/api/**/*.test.ts'], env: { KOSH_TEST_DATABASE: 'postgres' } },
      },
    ],
  },
});
