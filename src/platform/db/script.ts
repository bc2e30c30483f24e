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
 * written as literals by the functions below, which accept only typed values and quote text so
 * that no value can end its constant (see quoteText). Statements are built only from these
 * literals and fixed SQL.
 *
 * Prepared statements: parsing, analysing and planning the engine's dozen statements cost
 * PostgreSQL about a third of its time per batch when they arrive as fresh text. A statement built
 * with `parameterized` keeps its fixed text (with $1… placeholders) apart from its values; a
 * script session that keeps a registry of what its connection has prepared (the engine's write
 * sessions do) sends `PREPARE` once per connection and `EXECUTE name(values)` afterwards, and the
 * server reuses the statement's plan. After any failed script the session forgets what it
 * prepared and starts again with `DEALLOCATE ALL`, so a rolled-back `PREPARE` or a half-run script
 * never leaves the registry wrong.
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

/** The tag of the dollar-quoted constants that carry text with quotes or backslashes. */
const DOLLAR_TAG = '$kv$';

/**
 * Text as an SQL string constant. Plain text is put in quotes. Text with quotes or backslashes (an
 * array constant of JSON documents, say: scripts carry whole batches of them) goes into a
 * dollar-quoted constant, which PostgreSQL takes exactly as written, so the text needs no pass to
 * escape it and its meaning does not depend on standard_conforming_strings. Text that holds the tag,
 * or ends with what would complete it, is quoted as the driver's escapeLiteral does (quotes
 * doubled; with a backslash, an E'' constant with backslashes doubled too). The leading space keeps
 * a constant from joining a word before it.
 */
function quoteText(text: string): string {
  const quote = text.includes("'");
  const backslash = text.includes('\\');
  if (!quote && !backslash) return `'${text}'`;
  if (!text.includes(DOLLAR_TAG) && !text.endsWith(DOLLAR_TAG.slice(0, -1))) return ` ${DOLLAR_TAG}${text}${DOLLAR_TAG}`;
  if (!backslash) return `'${text.replace(/'/g, "''")}'`;
  return ` E'${text.replace(/['\\]/g, '$&$&')}'`;
}

const ARRAY_SPECIAL = /[\\"]/;
const ARRAY_SPECIALS = /[\\"]/g;

/**
 * An array as the quoted text of a single constant ('{...}', cast to its type where it is used),
 * which PostgreSQL reads with its array input function: far cheaper to parse and plan than
 * ARRAY[...] with one expression per element, which matters for batches of hundreds of rows.
 */
function arrayText(values: readonly Literal[]): string {
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
  return literal(`{${elements.join(',')}}`);
}

/** A statement with the function that reads its rows. */
export interface Statement<T> {
  /** The statement with its values written in as literals. */
  readonly sql: string;
  /** The same statement as fixed text with $1… placeholders and the literals of its values. */
  readonly parameterized?: Parameterized | undefined;
  parse(rows: unknown[]): T;
}

export interface Parameterized {
  readonly text: string;
  readonly values: readonly string[];
}

/** What a script runs: plain SQL text, or a statement that may run prepared. */
export type ScriptStatement = string | Pick<Statement<unknown>, 'sql' | 'parameterized'>;

/** Where a parameterized statement's values go: each call returns a typed placeholder. */
export interface Placeholders {
  /** An array of one SQL type, as one value ($n::type[]). */
  array(values: readonly Literal[], type: SqlType): string;
  /** One value ($n::type). */
  value(value: Literal, type: SqlType): string;
  /**
   * Texts (JSON documents, say), nulls included, as one JSON array ($n::json): read them with
   * `json_array_elements_text(...)`, in order. Long texts full of quotes cost one native
   * JSON.stringify here instead of an escaping pass per element, and arrive exactly as they were.
   */
  texts(values: readonly (string | null)[]): string;
}

/** String.prototype.isWellFormed and toWellFormed (Node 20), newer than the compiler's library. */
interface WellFormedString {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

const PLACEHOLDER = /\$(\d+)(?=::)/g;

function statementOf<T>(parameterized: Parameterized, parse: (rows: unknown[]) => T): Statement<T> {
  let inlined: string | undefined;
  return {
    get sql() {
      inlined ??= parameterized.text.replace(PLACEHOLDER, (_, index: string) => parameterized.values[Number(index) - 1] as string);
      return inlined;
    },
    parameterized,
    parse,
  };
}

/**
 * A statement whose text depends only on the code (never on the values), with its values put in
 * through `placeholders`: it runs prepared in scripts that prepare, and inlined everywhere else.
 */
export function parameterized<T>(build: (placeholders: Placeholders) => string, parse: (rows: unknown[]) => T): Statement<T> {
  const values: string[] = [];
  const text = build({
    array(items, type) {
      values.push(arrayText(items));
      return `$${values.length}::${type}[]`;
    },
    value(item, type) {
      values.push(literal(item));
      return `$${values.length}::${type}`;
    },
    texts(items) {
      let wellFormed: (string | null)[] | undefined;
      for (let i = 0; i < items.length; i += 1) {
        const item = items[i] as string | null;
        if (item === null) continue;
        if (item.includes('\u0000')) throw new RangeError('text with a NUL character');
        // A lone surrogate becomes U+FFFD, as it does on its way to the server as UTF-8 in a literal.
        const unicode = item as unknown as WellFormedString;
        if (!unicode.isWellFormed()) (wellFormed ??= [...items])[i] = unicode.toWellFormed();
      }
      values.push(literal(JSON.stringify(wellFormed ?? items)));
      return `$${values.length}::json`;
    },
  });
  return statementOf({ text, values }, parse);
}

/** A statement built around another (its text wrapped in fixed SQL), with the other's values. */
export function wrapStatement<T, U>(inner: Statement<T>, wrap: (text: string) => string, parse: (rows: unknown[]) => U): Statement<U> {
  if (inner.parameterized === undefined) return { sql: wrap(inner.sql), parse };
  return statementOf({ text: wrap(inner.parameterized.text), values: inner.parameterized.values }, parse);
}

function plainSql(statement: ScriptStatement): string {
  return typeof statement === 'string' ? statement : statement.sql;
}

/** Runs one statement in a Kysely transaction or on a connection. */
export async function runStatement<T>(executor: Tx | Db, statement: Statement<T>): Promise<T> {
  return statement.parse((await sql.raw(statement.sql).execute(executor)).rows as unknown[]);
}

/** Runs statements; `run` returns the rows of each statement, in order. */
export interface StatementRunner {
  run(statements: readonly ScriptStatement[]): Promise<unknown[][]>;
  /** Runs the last statements of the transaction (a script runner appends COMMIT). */
  finish(statements: readonly ScriptStatement[]): Promise<unknown[][]>;
}

/** A runner inside a Kysely transaction: each statement on its own (used for single commands). */
export function transactionRunner(tx: Tx): StatementRunner {
  const run = async (statements: readonly ScriptStatement[]) => {
    const rows: unknown[][] = [];
    for (const statement of statements) rows.push((await sql.raw(plainSql(statement)).execute(tx)).rows as unknown[]);
    return rows;
  };
  return { run, finish: run };
}

/** A raw session on one connection that runs a multi-statement script and returns every result. */
export interface ScriptSession {
  script(text: string): Promise<unknown[][]>;
  /** What the session's connection has prepared; without it, statements run inlined. */
  readonly prepared?: PreparedStatements | undefined;
}

/** Names of prepared statements by text, the same on every connection of the process. */
const statementNames = new Map<string, string>();
/** Texts come from code, so there are few; beyond this bound, new texts run inlined. */
const PREPARED_MAX = 200;

function nameFor(text: string): string | undefined {
  let name = statementNames.get(text);
  if (name === undefined && statementNames.size < PREPARED_MAX) {
    name = `kosh_s${statementNames.size + 1}`;
    statementNames.set(text, name);
  }
  return name;
}

/** What one connection has prepared (keep one per connection, for as long as it lives). */
export class PreparedStatements {
  private readonly ready = new Set<string>();
  private stale = false;

  /**
   * The script text for the statements: what must be prepared first, then each statement as an
   * EXECUTE (or inlined); `leading` is how many results come before the statements' own.
   */
  plan(statements: readonly ScriptStatement[], before: readonly string[]): { texts: string[]; leading: number } {
    const preparing: string[] = [];
    if (this.stale) {
      preparing.push('DEALLOCATE ALL');
      this.ready.clear();
      this.stale = false;
    }
    const texts = statements.map((statement) => {
      if (typeof statement === 'string' || statement.parameterized === undefined) return plainSql(statement);
      const { text, values } = statement.parameterized;
      const name = nameFor(text);
      if (name === undefined) return statement.sql;
      if (!this.ready.has(name)) {
        preparing.push(`PREPARE ${name} AS ${text}`);
        this.ready.add(name);
      }
      return values.length === 0 ? `EXECUTE ${name}` : `EXECUTE ${name}(${values.join(', ')})`;
    });
    const leading = [...preparing, ...before];
    return { texts: [...leading, ...texts], leading: leading.length };
  }

  /** After a failed script: what the connection holds is unknown, so start again. */
  forget(): void {
    this.stale = true;
  }
}

/**
 * A runner for a whole transaction in scripts: the first script begins the transaction, the
 * finishing one commits it.
 */
export function scriptRunner(session: ScriptSession): StatementRunner & { rollback(): Promise<void>; finished: boolean } {
  let begun = false;
  const execute = async (statements: readonly ScriptStatement[], commit: boolean) => {
    const before = begun ? [] : ['BEGIN'];
    begun = true;
    const prepared = session.prepared;
    const { texts, leading } =
      prepared === undefined ? { texts: [...before, ...statements.map(plainSql)], leading: before.length } : prepared.plan(statements, before);
    if (commit) texts.push('COMMIT');
    try {
      const results = await session.script(texts.join(';\n'));
      return results.slice(leading, leading + statements.length);
    } catch (error) {
      prepared?.forget();
      throw error;
    }
  };
  const runner = {
    finished: false,
    run: (statements: readonly ScriptStatement[]) => execute(statements, false),
    async finish(statements: readonly ScriptStatement[]) {
      const results = await execute(statements, true);
      runner.finished = true;
      return results;
    },
    async rollback() {
      if (begun && !runner.finished) await session.script('ROLLBACK');
    },
  };
  return runner;
}
