/**
 * Migrations. Each module owns the migrations of its own tables and exports them from its index;
 * the application gathers them into one list ordered by name and Kysely's Migrator applies the
 * missing ones, under its own lock, at start and with `kosh migrate`.
 *
 * Names are `YYYY-MM-DD-NNNN-module-what`, with NNNN one sequence across all modules: a new
 * migration, whatever its module, takes the next number, so that it sorts after every migration
 * a database may already have applied (the Migrator refuses out-of-order history).
 */
import { Migrator, type Migration } from 'kysely';
import type { Db } from './database.js';

export type Migrations = Readonly<Record<string, Migration>>;

export function mergeMigrations(...groups: Migrations[]): Migrations {
  const merged: Record<string, Migration> = {};
  for (const group of groups) {
    for (const [name, migration] of Object.entries(group)) {
      if (name in merged) throw new Error(`duplicate migration name ${name}`);
      merged[name] = migration;
    }
  }
  return merged;
}

export async function migrateToLatest(db: Db, migrations: Migrations): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
  const { error, results } = await migrator.migrateToLatest();
  if (error !== undefined) {
    const failed = results?.find((result) => result.status === 'Error');
    throw new Error(`Migration ${failed?.migrationName ?? '(unknown)'} failed: ${String((error as Error).message ?? error)}`, {
      cause: error,
    });
  }
  return (results ?? []).filter((result) => result.status === 'Success').map((result) => result.migrationName);
}

/** Names of the known migrations that have not been applied (empty when the schema is current). */
export async function pendingMigrations(db: Db, migrations: Migrations): Promise<string[]> {
  const migrator = new Migrator({ db, provider: { getMigrations: async () => ({ ...migrations }) } });
  const applied = await migrator.getMigrations();
  return applied.filter((migration) => migration.executedAt === undefined).map((migration) => migration.name);
}
