/**
 * Transactions with a bounded retry. PostgreSQL aborts a transaction that loses a serialization
 * conflict (SQLSTATE 40001) or is chosen as a deadlock victim (40P01); such a transaction changed
 * nothing and is safe to run again, so it is retried a bounded number of times with jittered
 * exponential backoff. Every other error propagates unchanged.
 */
import type { Transaction } from 'kysely';
import type { Db } from './database.js';
import { scriptRunner, type ScriptSession, type StatementRunner } from './script.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Tx = Transaction<any>;

export type IsolationLevel = 'read committed' | 'repeatable read' | 'serializable';

export interface TransactionOptions {
  readonly isolation?: IsolationLevel;
  readonly readOnly?: boolean;
  /** Total attempts including the first; default 6. */
  readonly attemptsMax?: number;
}

export const RETRYABLE_SQLSTATES: ReadonlySet<string> = new Set(['40001', '40P01']);

export function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

export type RetryObserver = (sqlstate: string) => void;

export interface Transactor {
  <T>(work: (tx: Tx) => Promise<T>, options?: TransactionOptions): Promise<T>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export function createTransactor(db: Db, onRetry: RetryObserver = () => undefined): Transactor {
  return async function transact<T>(work: (tx: Tx) => Promise<T>, options: TransactionOptions = {}): Promise<T> {
    const attemptsMax = options.attemptsMax ?? 6;
    for (let attempt = 1; ; attempt += 1) {
      try {
        let builder = db.transaction();
        if (options.isolation !== undefined) builder = builder.setIsolationLevel(options.isolation);
        if (options.readOnly === true) builder = builder.setAccessMode('read only');
        return await builder.execute(work);
      } catch (error) {
        const state = sqlState(error);
        if (state === undefined || !RETRYABLE_SQLSTATES.has(state) || attempt >= attemptsMax) throw error;
        onRetry(state);
        const backoffMs = Math.min(200, 2 ** attempt) * (0.5 + Math.random());
        await sleep(backoffMs);
      }
    }
  };
}

/**
 * A transaction run as scripts on a write session (see script.ts), retried like `transact` when it
 * loses a serialization conflict or a deadlock. On any error the transaction is rolled back.
 */
export async function scriptedTransaction<T>(
  database: { writeSession<R>(work: (session: ScriptSession) => Promise<R>): Promise<R> },
  work: (runner: StatementRunner) => Promise<T>,
  options: { attemptsMax?: number; onRetry?: RetryObserver } = {},
): Promise<T> {
  const attemptsMax = options.attemptsMax ?? 6;
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await database.writeSession(async (session) => {
        const runner = scriptRunner(session);
        try {
          return await work(runner);
        } catch (error) {
          await runner.rollback().catch(() => undefined);
          throw error;
        }
      });
    } catch (error) {
      const state = sqlState(error);
      if (state === undefined || !RETRYABLE_SQLSTATES.has(state) || attempt >= attemptsMax) throw error;
      options.onRetry?.(state);
      await sleep(Math.min(200, 2 ** attempt) * (0.5 + Math.random()));
    }
  }
}
