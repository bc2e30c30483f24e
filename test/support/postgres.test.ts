/**
 * Tests for the PostgreSQL test harness itself: the shared server provided by
 * the global setup, and the lifecycle (crash and restart) of a private server.
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTestDatabase, startPostgres, type PostgresServer } from './postgres.js';

/** OID of PostgreSQL's int8 (bigint) type. */
const INT8_OID = 20;

describe('shared server from the global setup', () => {
  it('creates a test database that accepts queries', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'harness_selftest');
    expect(url).toMatch(/\/harness_selftest_[0-9a-f]+$/);

    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      const result = await client.query<{ x: number }>('select 1 as x');
      expect(result.rows).toEqual([{ x: 1 }]);
      const db = await client.query<{ name: string }>('select current_database() as name');
      expect(url.endsWith(`/${db.rows[0]?.name}`)).toBe(true);
    } finally {
      await client.end();
    }
  });

  it('parses int8 as bigint with a per-client type parser', async () => {
    const url = await createTestDatabase(inject('postgresUrl'), 'harness_int8');
    // A per-client parser, unlike pg.types.setTypeParser(), does not change
    // how every other pg client in the process parses int8.
    const client = new pg.Client({
      connectionString: url,
      types: {
        getTypeParser: (oid, format) =>
          oid === INT8_OID && format !== 'binary'
            ? (value: string) => BigInt(value)
            : pg.types.getTypeParser(oid, format),
      },
    });
    await client.connect();
    try {
      // 2^63 - 1 is not representable as a JavaScript number, so only a
      // bigint parser returns it exactly.
      const result = await client.query<{ big: bigint; small: number }>(
        'select 9223372036854775807::int8 as big, 42::int4 as small',
      );
      expect(result.rows[0]?.big).toBe(9223372036854775807n);
      // Other types must keep their default parsers.
      expect(result.rows[0]?.small).toBe(42);
    } finally {
      await client.end();
    }
  });
});

describe('private server lifecycle', () => {
  let server: PostgresServer | undefined;

  afterAll(async () => {
    await server?.destroy();
  });

  async function queryOnce(url: string): Promise<number> {
    // A short connection timeout keeps the "server is down" check quick.
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    await client.connect();
    try {
      const result = await client.query<{ x: number }>('select 1 as x');
      return result.rows[0]!.x;
    } finally {
      await client.end();
    }
  }

  it('survives an immediate stop (crash) and a restart', { timeout: 60_000 }, async () => {
    server = await startPostgres();
    expect(server.url).toBe(`postgres://postgres@127.0.0.1:${server.port}/postgres`);

    // Commit a row before the crash to check that crash recovery keeps it.
    const dbUrl = await server.createDatabase('crash_test');
    const before = new pg.Client({ connectionString: dbUrl });
    await before.connect();
    try {
      await before.query('create table t (id int primary key)');
      await before.query('insert into t values (1)');
    } finally {
      await before.end();
    }
    expect(await queryOnce(server.url)).toBe(1);

    await server.stop('immediate');
    await expect(queryOnce(server.url)).rejects.toThrow();
    // Stopping an already stopped server must be harmless.
    await server.stop();

    await server.start();
    expect(await queryOnce(server.url)).toBe(1);
    const after = new pg.Client({ connectionString: dbUrl });
    await after.connect();
    try {
      const rows = await after.query<{ id: number }>('select id from t');
      expect(rows.rows).toEqual([{ id: 1 }]);
    } finally {
      await after.end();
    }

    const { dataDir } = server;
    await server.destroy();
    server = undefined;
    expect(existsSync(dataDir)).toBe(false);
  });
});
