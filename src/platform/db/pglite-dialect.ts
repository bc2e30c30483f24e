/**
 * A Kysely dialect for PGlite (PostgreSQL compiled to WebAssembly, running in this process).
 * Kysely 0.28, the last line that runs on Node 20, has no PGlite dialect of its own, and the
 * community package does not accept PGlite 0.5; the contract is small, so it lives here.
 *
 * PGlite is a single PostgreSQL session. The driver hands that one connection to one Kysely
 * "connection" holder at a time and queues the others, so two transactions never interleave.
 */
import type { PGlite } from '@electric-sql/pglite';
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type Dialect,
  type Driver,
  type Kysely,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

class PGliteConnection implements DatabaseConnection {
  constructor(private readonly client: PGlite) {}

  async executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    if (compiledQuery.parameters.length === 0) {
      // Without parameters use the simple protocol, which accepts several statements (migrations).
      const results = await this.client.exec(compiledQuery.sql);
      const last = results[results.length - 1];
      return {
        rows: (last?.rows ?? []) as R[],
        numAffectedRows: last?.affectedRows === undefined ? undefined : BigInt(last.affectedRows),
      };
    }
    const result = await this.client.query<R>(compiledQuery.sql, [...compiledQuery.parameters]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }

  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on PGlite');
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private busy = false;
  private readonly waiters: Array<() => void> = [];
  /** When a caller last had to wait for the session (ms since the epoch; 0: never). */
  contendedAtMs = 0;

  constructor(private readonly client: PGlite) {
    this.connection = new PGliteConnection(client);
  }

  async init(): Promise<void> {
    await this.client.waitReady;
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    if (this.busy) {
      this.contendedAtMs = Date.now();
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
    this.busy = true;
    return this.connection;
  }

  async releaseConnection(): Promise<void> {
    const next = this.waiters.shift();
    if (next === undefined) this.busy = false;
    else next();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const isolation = settings.isolationLevel === undefined ? '' : ` isolation level ${settings.isolationLevel}`;
    const access = settings.accessMode === undefined ? '' : ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(`begin${isolation}${access}`));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async destroy(): Promise<void> {
    if (!this.client.closed) await this.client.close();
  }

  /** How many callers wait for the single session (reported in /metrics). */
  get waiting(): number {
    return this.waiters.length;
  }

  /** Runs work with the session to itself, as a Kysely connection would have it. */
  async exclusive<T>(work: (client: PGlite) => Promise<T>): Promise<T> {
    await this.acquireConnection();
    try {
      return await work(this.client);
    } finally {
      await this.releaseConnection();
    }
  }
}

export class PGliteDialect implements Dialect {
  private driver: PGliteDriver | undefined;

  constructor(private readonly client: PGlite) {}

  createAdapter() {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    this.driver = new PGliteDriver(this.client);
    return this.driver;
  }

  createQueryCompiler() {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>) {
    return new PostgresIntrospector(db);
  }

  get waiting(): number {
    return this.driver?.waiting ?? 0;
  }

  /** When a caller last had to wait for the session (ms since the epoch; 0: never). */
  get contendedAtMs(): number {
    return this.driver?.contendedAtMs ?? 0;
  }

  /** Runs work with the PGlite session to itself (between Kysely's transactions). */
  exclusive<T>(work: (client: PGlite) => Promise<T>): Promise<T> {
    if (this.driver === undefined) throw new Error('the PGlite dialect has no driver yet');
    return this.driver.exclusive(work);
  }
}
