/**
 * Statement scripts: several SQL statements sent to the database in one round trip.
 *
 * Under load, a Node process answers the database only between the request callbacks of each turn
 * of its event loop, so every round trip of a transaction costs a turn (milliseconds when hundreds
 * of requests are in flight). The transfer engine therefore posts a batch in two round trips: one
 * script that begins the transaction, takes the locks and reads what the decisions need, and one
 * that writes everything and commits. The statements of a script run one after another, each
 * with its own snapshot, exactly as if sent separately.
 *
 * A script cannot carry bind parameters (PostgreSQL's simple query protocol), so values are
 * written as literals by the functions below, which accept only typed values and quote text with
 * the driver's escaping. Statements are built only from these literals and fixed SQL.
 */
import { sql } from 'kysely';
import type { Db } from './database.js';
import type { Tx } from './transaction.js';

export type Literal = string | bigint | number | boolean | null;
export type SqlType = 'uuid' | 'text' | 'int8' | 'int4' | 'date' | 'bool' | 'jsonb' | 'timestamptz';

/** One value as an SQL literal. */
export function literal(value: Literal): string {
  if (value === null) return 'NULL';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return value ? 'TRUE' : 'FALSE';
  if (value.includes('\u0000')) throw new RangeError('text with a NUL character');
  return quoteText(value);
}

/**
 * Text as a quoted SQL literal, exactly as the driver's escapeLiteral writes it (quotes doubled;
 * with a backslash, an E'' literal with backslashes doubled too, whatever
 * standard_conforming_strings says), but with one regular expression pass instead of a loop per
 * character: scripts carry whole batches of JSON documents, and this is on the engine's path.
 */
function quoteText(text: string): string {
  if (!text.includes('\\')) return `'${text.includes("'") ? text.replace(/'/g, "''") : text}'`;
  return ` E'${text.replace(/['\\]/g, '$&$&')}'`;
}

const ARRAY_SPECIAL = /[\\"]/;
const ARRAY_SPECIALS = /[\\"]/g;

/**
 * An array of one SQL type as a single constant ('{...}'::type[]), which PostgreSQL reads with its
 * array input function: far cheaper to parse and plan than ARRAY[...] with one expression per
 * element, which matters for batches of hundreds of rows.
 */
export function arrayLiteral(values: readonly Literal[], type: SqlType): string {
  const elements = values.map((value) => {
    if (value === null) return 'NULL';
    if (typeof value === 'bigint') return value.toString();
    if (typeof value === 'number') {
      if (!Number.isSafeInteger(value)) throw new RangeError(`not a safe integer: ${value}`);
      return String(value);
    }
    if (typeof value === 'boolean') return value ? 't' : 'f';
    if (value.includes('\u0000')) throw new RangeError('text with a NUL character');
    // Inside an array constant, an element is quoted and its quotes and backslashes escaped.
    return ARRAY_SPECIAL.test(value) ? `"${value.replace(ARRAY_SPECIALS, '\\$&')}"` : `"${value}"`;
  });
  return `${literal(`{${elements.join(',')}}`)}::${type}[]`;
}

/** A statement with the function that reads its rows. */
export interface Statement<T> {
  readonly sql: string;
  parse(rows: unknown[]): T;
}

/** Runs one statement in a Kysely transaction or on a connection. */
export async function runStatement<T>(executor: Tx | Db, statement: Statement<T>): Promise<T> {
  return statement.parse((await sql.raw(statement.sql).execute(executor)).rows as unknown[]);
}

/** Runs statements; `run` returns the rows of each statement, in order. */
export interface StatementRunner {
  run(statements: readonly string[]): Promise<unknown[][]>;
  /** Runs the last statements of the transaction (a script runner appends COMMIT). */
  finish(statements: readonly string[]): Promise<unknown[][]>;
}

/** A runner inside a Kysely transaction: each statement on its own (used for single commands). */
export function transactionRunner(tx: Tx): StatementRunner {
  const run = async (statements: readonly string[]) => {
    const rows: unknown[][] = [];
    for (const statement of statements) rows.push((await sql.raw(statement).execute(tx)).rows as unknown[]);
    return rows;
  };
  return { run, finish: run };
}

/** A raw session on one connection that runs a multi-statement script and returns every result. */
export interface ScriptSession {
  script(text: string): Promise<unknown[][]>;
}

/**
 * A runner for a whole transaction in scripts: the first script begins the transaction, the
 * finishing one commits it.
 */
export function scriptRunner(session: ScriptSession): StatementRunner & { rollback(): Promise<void>; finished: boolean } {
  let begun = false;
  const runner = {
    finished: false,
    async run(statements: readonly string[]) {
      const prefix = begun ? [] : ['BEGIN'];
      begun = true;
      const results = await session.script([...prefix, ...statements].join(';\n'));
      return results.slice(prefix.length);
    },
    async finish(statements: readonly string[]) {
      const prefix = begun ? [] : ['BEGIN'];
      begun = true;
      const results = await session.script([...prefix, ...statements, 'COMMIT'].join(';\n'));
      runner.finished = true;
      return results.slice(prefix.length, prefix.length + statements.length);
    },
    async rollback() {
      if (begun && !runner.finished) await session.script('ROLLBACK');
    },
  };
  return runner;
}
