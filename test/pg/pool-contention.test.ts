/**
 * The pool's contention signal, on a real PostgreSQL server: background work yields to requests
 * only while requests really wait for a connection. node-postgres queues every request for a tick
 * even when an idle connection will take it, which must not read as contention.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../../src/platform/db/database.js';
import { createTestDatabase } from '../support/postgres.js';

describe('database pool contention (PostgreSQL)', () => {
  let database: Database;

  beforeAll(async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'kosh_pool_contention');
    database = await openDatabase({ databaseUrl: url, dataDir: 'memory://', poolMax: 3 });
  });
  afterAll(async () => database.close());

  it('counts no waiting while idle connections can serve every request', async () => {
    // Three connections, then idle.
    await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(database.db)));
    expect(database.poolStats().idle).toBe(3);
    const running = [1, 2].map(() => sql`select 1`.execute(database.db));
    // Both requests are queued for a tick, with idle connections ready for them.
    expect(database.poolStats().waiting).toBe(0);
    await Promise.all(running);
  });

  it('counts the requests that wait because every connection is taken', async () => {
    const busy = [1, 2, 3].map(() => sql`select pg_sleep(0.3)`.execute(database.db));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const waiting = [1, 2].map(() => sql`select 1`.execute(database.db));
    expect(database.poolStats().waiting).toBe(2);
    await Promise.all([...busy, ...waiting]);
    expect(database.poolStats().waiting).toBe(0);
  });
});
