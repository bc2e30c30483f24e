/**
 * Vitest global setup: provides one PostgreSQL server for the whole test run.
 *
 * Starting a server costs a second or two (initdb plus startup), so it is
 * done once here, in the main Vitest process, rather than per test file.
 * Test files isolate themselves from each other by creating their own
 * database on this server with createTestDatabase(inject('postgresUrl'), ...).
 *
 * Set TEST_DATABASE_URL to run the tests against an existing server instead
 * (for example a managed PostgreSQL in CI); nothing is started then. The URL
 * must allow CREATE DATABASE, because every test file creates its own.
 */
import type { TestProject } from 'vitest/node';
import { startPostgres, type PostgresServer } from './postgres.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of a PostgreSQL server (its maintenance database) for the tests. */
    postgresUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const externalUrl = process.env.TEST_DATABASE_URL;
  let server: PostgresServer | undefined;

  if (externalUrl !== undefined && externalUrl !== '') {
    project.provide('postgresUrl', externalUrl);
  } else {
    server = await startPostgres();
    project.provide('postgresUrl', server.url);
  }

  return async () => {
    // Only a server this setup started is ours to stop; a server given
    // through TEST_DATABASE_URL belongs to the user.
    await server?.destroy();
  };
}
