/**
 * Opens the database: PGlite under the data directory by default, or a PostgreSQL server when
 * DATABASE_URL is set. Both speak the same SQL through Kysely, and both return `int8` as `bigint`.
 */
import { join } from 'node:path';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { PGliteDialect } from './pglite-dialect.js';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import { PreparedStatements, type ScriptSession } from './script.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Db = Kysely<any>;

export type DatabaseKind = 'pglite' | 'postgres';

export interface PoolStats {
  readonly total: number;
  readonly idle: number;
  readonly waiting: number;
  /** When a caller last had to wait for a connection (ms since the epoch; 0: never or unknown). */
  readonly contendedAtMs?: number;
}

export interface Database {
  readonly db: Db;
  /**
   * Runs work on a connection reserved for the transfer engine's batches, so that a batch never
   * queues behind the reads of hundreds of requests (PostgreSQL: a pool of its own; PGlite: the
   * one session), through scripts of several statements each.
   */
  writeSession<T>(work: (session: ScriptSession) => Promise<T>): Promise<T>;
  readonly kind: DatabaseKind;
  poolStats(): PoolStats;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL URL; when absent, PGlite is used. */
  readonly databaseUrl?: string | undefined;
  /** Where PGlite keeps its files; `memory://` keeps them in memory (tests). */
  readonly dataDir: string;
  readonly poolMax?: number;
  /** Size of the writer pool (PostgreSQL). */
  readonly writerPoolMax?: number;
  readonly statementTimeoutMs?: number;
  /** PGlite's shared_buffers in MB (default 16). */
  readonly pgliteSharedBuffersMb?: number;
  /** Lock the data directory against a second process (default true for a file-backed PGlite). */
  readonly lockDataDir?: boolean;
  /** How long to wait for a PostgreSQL server that is starting or recovering; default 60 s. */
  readonly connectTimeoutMs?: number;
}

const INT8_OID = 20;

/**
 * Requests that wait because no connection is free. node-postgres queues every request, even one
 * an idle connection will take on the next tick, so its waitingCount alone reads as contention on
 * an idle pool; requests beyond the idle connections are the ones that really wait.
 */
function waitingFor(pool: pg.Pool): number {
  return Math.max(0, pool.waitingCount - pool.idleCount);
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  if (options.databaseUrl !== undefined) return openPostgres(options.databaseUrl, options);
  return openPGlite(options);
}

function createPool(databaseUrl: string, options: OpenDatabaseOptions, max: number, name: string): pg.Pool {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max,
    application_name: name,
    statement_timeout: options.statementTimeoutMs ?? 15_000,
    idle_in_transaction_session_timeout: 60_000,
    connectionTimeoutMillis: 10_000,
    // Per-pool type parsers, so nothing global is changed: int8 becomes bigint.
    types: {
      getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
        oid === INT8_OID ? (value: string) => BigInt(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
    },
  });
  // A connection that dies (the server restarted or crashed) must not crash the process: the
  // query running on it fails on its own, and the pool opens a new connection next time. The pool
  // listens to idle clients; clients checked out need their own listener.
  pool.on('error', () => undefined);
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  return pool;
}

async function openPostgres(databaseUrl: string, options: OpenDatabaseOptions): Promise<Database> {
  const pool = createPool(databaseUrl, options, options.poolMax ?? 20, 'kosh');
  const writerPool = createPool(databaseUrl, options, options.writerPoolMax ?? 5, 'kosh-writer');
  const db = new Kysely({ dialect: new PostgresDialect({ pool }) });
  await waitForServer(db, options.connectTimeoutMs ?? 60_000);
  // What each write connection has prepared, for as long as the connection lives.
  const preparedByClient = new WeakMap<pg.PoolClient, PreparedStatements>();
  return {
    db,
    async writeSession(work) {
      const client = await writerPool.connect();
      let prepared = preparedByClient.get(client);
      if (prepared === undefined) {
        prepared = new PreparedStatements();
        preparedByClient.set(client, prepared);
      }
      let broken = false;
      try {
        return await work({
          prepared,
          async script(text) {
            try {
              const result = (await client.query(text)) as unknown as pg.QueryResult | pg.QueryResult[];
              return (Array.isArray(result) ? result : [result]).map((item) => item.rows as unknown[]);
            } catch (error) {
              // A lost connection must not go back to the pool.
              if (typeof (error as { code?: unknown }).code !== 'string' || !/^[0-9A-Z]{5}$/.test((error as { code: string }).code)) broken = true;
              throw error;
            }
          },
        });
      } finally {
        client.release(broken);
      }
    },
    kind: 'postgres',
    poolStats: () => ({
      total: pool.totalCount + writerPool.totalCount,
      idle: pool.idleCount + writerPool.idleCount,
      waiting: waitingFor(pool) + waitingFor(writerPool),
    }),
    close: async () => {
      await Promise.all([db.destroy(), writerPool.end()]);
    },
  };
}

/**
 * Waits until the server accepts queries: a server that is starting up or recovering from a crash
 * refuses connections for a while, and Kosh should not give up on it at once.
 */
async function waitForServer(db: Db, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      await sql`select 1`.execute(db);
      return;
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      const transient = code === '57P03' || code === 'ECONNREFUSED' || code === 'ECONNRESET' || code === '08006' || code === '08001';
      if (!transient || Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
    }
  }
}

async function openPGlite(options: OpenDatabaseOptions): Promise<Database> {
  const inMemory = options.dataDir.startsWith('memory://');
  let lock: DataDirLock | undefined;
  if (!inMemory && options.lockDataDir !== false) lock = lockDataDir(options.dataDir);
  try {
    // Loaded only when used, so a server on PostgreSQL does not carry PGlite in memory.
    const { PGlite, types: pgliteTypes } = await import('@electric-sql/pglite');
    const client = await PGlite.create(inMemory ? options.dataDir : join(options.dataDir, 'pglite'), {
      parsers: { [pgliteTypes.INT8]: (value: string) => BigInt(value) },
      // PostgreSQL's default of 128 MB of shared buffers would sit in the WebAssembly heap for the
      // life of the process; the files are cached by the operating system as well.
      startParams: [...PGlite.defaultStartParams, '-c', `shared_buffers=${options.pgliteSharedBuffersMb ?? 16}MB`],
    });
    const dialect = new PGliteDialect(client);
    const db = new Kysely({ dialect });
    const prepared = new PreparedStatements();
    return {
      db,
      writeSession: (work) =>
        dialect.exclusive((session) =>
          work({
            prepared,
            async script(text) {
              return (await session.exec(text)).map((result) => result.rows as unknown[]);
            },
          }),
        ),
      kind: 'pglite',
      poolStats: () => ({ total: 1, idle: 1, waiting: dialect.waiting, contendedAtMs: dialect.contendedAtMs }),
      close: async () => {
        try {
          await db.destroy();
        } finally {
          lock?.release();
        }
      },
    };
  } catch (error) {
    lock?.release();
    throw error;
  }
}
