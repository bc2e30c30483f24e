// ESLint flat config. Besides the TypeScript rules it enforces the architecture's boundaries:
// - src/core is pure domain code: it imports no I/O (no node I/O modules, no database, no HTTP) and
//   nothing from modules, platform or cli;
// - a module reaches another module only through that module's index.ts;
// - platform does not depend on modules (the app assembly and the CLI wire modules together).
import tseslint from 'typescript-eslint';

const ioModules = [
  'fs', 'fs/promises', 'net', 'http', 'https', 'http2', 'child_process', 'dgram', 'dns', 'tls',
  'worker_threads', 'cluster', 'os', 'readline', 'process', 'stream', 'v8', 'vm',
];
const ioPackages = ['pg', 'kysely', '@electric-sql/pglite', 'fastify', 'pino', 'prom-client', 'jose'];

export default tseslint.config(
  { ignores: ['node_modules/**', 'data/**', 'dist/**', 'tmp/**', 'web/dist/**', 'bench/results/**', 'coverage/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
      eqeqeq: ['error', 'always'],
      'no-console': 'off',
    },
  },
  {
    // Tests read loosely typed JSON replies.
    files: ['test/**/*.ts', 'bench/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: [
          ...ioModules.flatMap((name) => [name, `node:${name}`]).map((name) => ({
            name, message: 'src/core is pure: no I/O imports.',
          })),
          ...ioPackages.map((name) => ({ name, message: 'src/core is pure: no I/O imports.' })),
        ],
        patterns: [{
          regex: '^(\\.\\./)+(modules|platform|cli)(/|$)',
          message: 'src/core must not depend on modules, platform or cli.',
        }],
      }],
    },
  },
  {
    files: ['src/modules/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [
          {
            regex: '^\\.\\./(?!\\.\\.)[^/]+/(?!index\\.js$).+',
            message: 'Reach another module only through its index.ts.',
          },
          {
            regex: '^(\\.\\./){2,}modules/[^/]+/(?!index\\.js$).+',
            message: 'Reach another module only through its index.ts.',
          },
          { regex: '^(\\.\\./)+cli(/|$)', message: 'Modules must not depend on the CLI.' },
        ],
      }],
    },
  },
  {
    files: ['src/platform/**/*.ts'],
    ignores: ['src/platform/http/app.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: '^(\\.\\./)+(modules|cli)(/|$)', message: 'platform must not depend on modules or cli.' }],
      }],
    },
  },
);
