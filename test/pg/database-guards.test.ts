/**
 * The database itself refuses bad books, on a real PostgreSQL server: raw SQL that bypasses the
 * application cannot commit unbalanced entries, edit the journal, change balances by hand,
 * overdraw, post to closed accounts or mix currencies. Also: int8 arrives as bigint, and
 * serialization failures are retried.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Db } from '../../src/platform/db/database.js';
import type { Tx } from '../../src/platform/db/transaction.js';
import { startTestBank, type TestBank } from '../support/bank.js';
import { sleep } from '../support/random.js';

interface PgError {
  readonly code?: string;
  readonly constraint?: string;
  readonly message: string;
}

/** Awaits a promise that must reject with a PostgreSQL error, and returns the error. */
async function refused(promise: Promise<unknown>): Promise<PgError> {
  try {
    await promise;
  } catch (error) {
    return error as PgError;
  }
  throw new Error('the database accepted what it must refuse');
}

type Kind = 'asset' | 'liability' | 'equity' | 'income' | 'expense';

describe('database guards of the books (PostgreSQL)', () => {
  let bank: TestBank;
  let db: Db;

  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl') });
    db = bank.app.context.db;
    expect(bank.app.context.database.kind).toBe('postgres');
  });
  afterAll(async () => bank?.close());

  async function ledgerAccount(kind: Kind, options: { currency?: string; allowOverdraft?: boolean } = {}): Promise<string> {
    const id = randomUUID();
    await sql`
      insert into ledger_accounts (id, name, kind, category, currency, allow_overdraft)
      values (${id}, ${`guard test ${kind}`}, ${kind}, 'test', ${options.currency ?? 'INR'}, ${options.allowOverdraft ?? false})`.execute(db);
    return id;
  }

  async function balanceOf(id: string): Promise<bigint> {
    const result = await sql<{ balance_minor: bigint }>`select balance_minor from ledger_accounts where id = ${id}`.execute(db);
    const row = result.rows[0];
    if (row === undefined) throw new Error(`no ledger account ${id}`);
    return row.balance_minor;
  }

  async function entryExists(id: string): Promise<boolean> {
    const result = await sql<{ n: bigint }>`select count(*) as n from journal_entries where id = ${id}`.execute(db);
    return result.rows[0]?.n === 1n;
  }

  interface Leg {
    readonly account: string;
    readonly amount: bigint;
    readonly currency?: string;
  }

  /** Inserts a journal entry and its postings, the postings in one statement. */
  async function post(executor: Db | Tx, legs: readonly Leg[], entryId: string = randomUUID()): Promise<string> {
    await sql`insert into journal_entries (id, kind, description) values (${entryId}, 'guard_test', 'raw SQL')`.execute(executor);
    if (legs.length > 0) {
      const rows = legs.map((leg) => sql`(${entryId}::uuid, ${leg.account}::uuid, ${leg.currency ?? 'INR'}, ${leg.amount}::int8)`);
      await sql`insert into postings (entry_id, account_id, currency, amount_minor) values ${sql.join(rows)}`.execute(executor);
    }
    return entryId;
  }

  /** Posts in its own transaction. */
  function postEntry(legs: readonly Leg[], entryId?: string): Promise<string> {
    return db.transaction().execute((tx) => post(tx, legs, entryId));
  }

  it('accepts a balanced entry and applies it to the balances', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const entryId = await postEntry([
      { account: vault, amount: 10_000n },
      { account: customer, amount: -10_000n },
    ]);
    expect(await entryExists(entryId)).toBe(true);
    expect(await balanceOf(vault)).toBe(10_000n);
    expect(await balanceOf(customer)).toBe(10_000n);
    expect(await bank.integrity()).toEqual([]);
  });

  it('refuses an unbalanced entry at insert', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const entryId = randomUUID();
    let postingsInserted = false;
    const error = await refused(
      db.transaction().execute(async (tx) => {
        await post(tx, [
          { account: vault, amount: 10_000n },
          { account: customer, amount: -9_999n },
        ], entryId);
        postingsInserted = true;
      }),
    );
    expect(postingsInserted).toBe(false);
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe('postings_entry_balanced');
    expect(await entryExists(entryId)).toBe(false);
    expect(await balanceOf(vault)).toBe(0n);
    expect(await balanceOf(customer)).toBe(0n);
  });

  it('refuses the postings of an entry inserted one statement at a time', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const entryId = randomUUID();
    let firstLegInserted = false;
    const error = await refused(
      db.transaction().execute(async (tx) => {
        await sql`insert into journal_entries (id, kind) values (${entryId}, 'guard_test')`.execute(tx);
        // Each statement must leave the entry balanced: the first leg alone does not.
        await sql`insert into postings (entry_id, account_id, currency, amount_minor) values (${entryId}, ${vault}, 'INR', 500)`.execute(tx);
        firstLegInserted = true;
        await sql`insert into postings (entry_id, account_id, currency, amount_minor) values (${entryId}, ${customer}, 'INR', -500)`.execute(tx);
      }),
    );
    expect(firstLegInserted).toBe(false);
    expect(error.constraint).toBe('postings_entry_balanced');
    expect(await balanceOf(vault)).toBe(0n);
  });

  it('refuses an entry that sums to zero only across currencies', async () => {
    const inr = await ledgerAccount('asset');
    const usd = await ledgerAccount('liability', { currency: 'USD' });
    const error = await refused(
      postEntry([
        { account: inr, amount: 100n },
        { account: usd, amount: -100n, currency: 'USD' },
      ]),
    );
    expect(error.constraint).toBe('postings_entry_balanced');
  });

  it('refuses a journal entry without postings at COMMIT, not at insert', async () => {
    const entryId = randomUUID();
    let insertedBeforeCommit = false;
    const error = await refused(
      db.transaction().execute(async (tx) => {
        await post(tx, [], entryId);
        // Inside the transaction the entry is there; the check is deferred to commit.
        const seen = await sql<{ n: bigint }>`select count(*) as n from journal_entries where id = ${entryId}`.execute(tx);
        insertedBeforeCommit = seen.rows[0]?.n === 1n;
      }),
    );
    expect(insertedBeforeCommit).toBe(true);
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe('journal_entries_has_postings');
    expect(await entryExists(entryId)).toBe(false);
  });

  it('refuses a direct change of a balance', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    await postEntry([
      { account: vault, amount: 700n },
      { account: customer, amount: -700n },
    ]);
    for (const statement of [
      sql`update ledger_accounts set balance_minor = 1000000 where id = ${customer}`,
      sql`update ledger_accounts set balance_minor = balance_minor + 1 where id = ${customer}`,
      sql`update ledger_accounts set balance_minor = 0 where id in (${vault}, ${customer})`,
    ]) {
      const error = await refused(statement.execute(db));
      expect(error.code).toBe('23514');
      expect(error.constraint).toBe('ledger_accounts_balance_from_postings');
    }
    expect(await balanceOf(customer)).toBe(700n);
    expect(await balanceOf(vault)).toBe(700n);
    // Other columns may change; the guard is about balances only.
    await sql`update ledger_accounts set name = 'renamed' where id = ${customer}`.execute(db);
    expect(await balanceOf(customer)).toBe(700n);
  });

  it('refuses to update, delete or truncate postings and journal entries', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const entryId = await postEntry([
      { account: vault, amount: 300n },
      { account: customer, amount: -300n },
    ]);
    const statements = [
      sql`update postings set amount_minor = amount_minor * 2 where entry_id = ${entryId}`,
      sql`update postings set account_id = ${vault} where entry_id = ${entryId} and account_id = ${customer}`,
      sql`delete from postings where entry_id = ${entryId}`,
      sql`delete from postings where entry_id = ${entryId} and account_id = ${customer}`,
      sql`truncate postings cascade`,
      sql`update journal_entries set kind = 'other' where id = ${entryId}`,
      sql`delete from journal_entries where id = ${entryId}`,
    ];
    for (const statement of statements) {
      const error = await refused(statement.execute(db));
      expect(error.code).toBe('23514');
      expect(error.constraint).toBe('ledger_append_only');
    }
    const rows = await sql<{ amount_minor: bigint }>`select amount_minor from postings where entry_id = ${entryId} order by amount_minor`.execute(db);
    expect(rows.rows.map((row) => row.amount_minor)).toEqual([-300n, 300n]);
    expect(await balanceOf(customer)).toBe(300n);
  });

  it('refuses a posting that would make a non-overdraft balance negative', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const other = await ledgerAccount('liability');
    await postEntry([
      { account: vault, amount: 100n },
      { account: customer, amount: -100n },
    ]);
    // The customer pays 101 out of 100.
    const error = await refused(
      postEntry([
        { account: customer, amount: 101n },
        { account: other, amount: -101n },
      ]),
    );
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe('ledger_accounts_balance_non_negative');
    // The vault (an asset) pays out 101 in cash it does not hold, to an overdraft account.
    const overdraft = await ledgerAccount('liability', { allowOverdraft: true });
    const vaultError = await refused(
      postEntry([
        { account: overdraft, amount: 101n },
        { account: vault, amount: -101n },
      ]),
    );
    expect(vaultError.constraint).toBe('ledger_accounts_balance_non_negative');
    expect(await balanceOf(customer)).toBe(100n);
    expect(await balanceOf(other)).toBe(0n);
    expect(await balanceOf(vault)).toBe(100n);
    expect(await balanceOf(overdraft)).toBe(0n);
    // Exactly the balance is fine, and an overdraft account may go below zero.
    await postEntry([
      { account: customer, amount: 100n },
      { account: other, amount: -100n },
    ]);
    await postEntry([
      { account: overdraft, amount: 50n },
      { account: other, amount: -50n },
    ]);
    expect(await balanceOf(customer)).toBe(0n);
    expect(await balanceOf(overdraft)).toBe(-50n);
    expect(await balanceOf(other)).toBe(150n);
  });

  it('refuses a posting to a closed account and closing an account that holds money', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    const closed = await ledgerAccount('liability');
    await sql`update ledger_accounts set status = 'closed', closed_at = now() where id = ${closed}`.execute(db);
    const error = await refused(
      postEntry([
        { account: vault, amount: 10n },
        { account: closed, amount: -10n },
      ]),
    );
    expect(error.code).toBe('23514');
    expect(error.constraint).toBe('postings_account_open');
    expect(await balanceOf(closed)).toBe(0n);

    await postEntry([
      { account: vault, amount: 10n },
      { account: customer, amount: -10n },
    ]);
    const closeError = await refused(sql`update ledger_accounts set status = 'closed', closed_at = now() where id = ${customer}`.execute(db));
    expect(closeError.constraint).toBe('ledger_accounts_closed_at_zero');
    const reopened = await refused(sql`update ledger_accounts set status = 'active' where id = ${closed}`.execute(db));
    expect(reopened.constraint).toBe('ledger_accounts_stay_closed');
    const reopenedClean = await refused(sql`update ledger_accounts set status = 'active', closed_at = null where id = ${closed}`.execute(db));
    expect(reopenedClean.constraint).toBe('ledger_accounts_stay_closed');
  });

  it("refuses a posting whose currency is not its account's", async () => {
    const inrVault = await ledgerAccount('asset');
    const inrCustomer = await ledgerAccount('liability');
    const usdVault = await ledgerAccount('asset', { currency: 'USD' });
    // Balanced in USD, but the credit lands on an INR account.
    const error = await refused(
      postEntry([
        { account: usdVault, amount: 100n, currency: 'USD' },
        { account: inrCustomer, amount: -100n, currency: 'USD' },
      ]),
    );
    expect(error.code).toBe('23503');
    expect(await balanceOf(inrCustomer)).toBe(0n);
    expect(await balanceOf(usdVault)).toBe(0n);
    // Unknown accounts are refused by the same key.
    const unknown = await refused(
      postEntry([
        { account: inrVault, amount: 100n },
        { account: randomUUID(), amount: -100n },
      ]),
    );
    expect(unknown.code).toBe('23503');
  });

  /**
   * Runs statements in a transaction that is always rolled back, so that a guard that is missing
   * cannot leave bad books behind for the other tests. Returns the error, or undefined when the
   * database accepted everything.
   */
  async function attemptRolledBack(work: (tx: Tx) => Promise<void>): Promise<PgError | undefined> {
    const accepted = new Error('accepted; rolled back');
    try {
      await db.transaction().execute(async (tx) => {
        await work(tx);
        throw accepted;
      });
    } catch (error) {
      if (error === accepted) return undefined;
      return error as PgError;
    }
    throw new Error('unreachable');
  }

  it('refuses a ledger account created with a balance that no posting explains', async () => {
    let problems: unknown[] = [];
    const error = await attemptRolledBack(async (tx) => {
      await sql`
        insert into ledger_accounts (id, name, kind, category, currency, balance_minor)
        values (${randomUUID()}, 'opened with money', 'liability', 'test', 'INR', 100000)`.execute(tx);
      problems = (await sql`select * from ledger_integrity_problems`.execute(tx)).rows;
    });
    expect(problems, 'the books it would commit').toEqual([]);
    expect(error, 'an account may only be opened at zero').toBeDefined();
  });

  it('refuses to change the kind (the normal side) of an account that has postings', async () => {
    const vault = await ledgerAccount('asset');
    const customer = await ledgerAccount('liability');
    await postEntry([
      { account: vault, amount: 700n },
      { account: customer, amount: -700n },
    ]);
    let problems: unknown[] = [];
    const error = await attemptRolledBack(async (tx) => {
      // The balance stays 700 while the postings now sum to -700 on the new normal side.
      await sql`update ledger_accounts set kind = 'asset' where id = ${customer}`.execute(tx);
      problems = (await sql`select * from ledger_integrity_problems`.execute(tx)).rows;
    });
    expect(problems, 'the books it would commit').toEqual([]);
    expect(error, 'the kind of an account with postings must not change').toBeDefined();
  });

  it('leaves no integrity problem behind after all the refusals', async () => {
    expect(await bank.integrity()).toEqual([]);
    const view = await sql<{ n: bigint }>`select count(*) as n from ledger_integrity_problems`.execute(db);
    expect(view.rows[0]?.n).toBe(0n);
  });

  it('returns int8 as bigint, exactly, beyond 2^53', async () => {
    const result = await sql<{ big: bigint; max: bigint; min: bigint; n: bigint; small: number }>`
      select 9007199254740993::int8 as big, 9223372036854775807::int8 as max, (-9223372036854775807 - 1)::int8 as min,
             count(*) as n, 42::int4 as small from ledger_accounts`.execute(db);
    const row = result.rows[0];
    expect(typeof row?.big).toBe('bigint');
    expect(row?.big).toBe(9007199254740993n);
    expect(row?.max).toBe(9223372036854775807n);
    expect(row?.min).toBe(-9223372036854775808n);
    expect(typeof row?.n).toBe('bigint');
    expect(row?.small).toBe(42);
    const balances = await sql<{ balance_minor: unknown }>`select balance_minor from ledger_accounts limit 1`.execute(db);
    expect(typeof balances.rows[0]?.balance_minor).toBe('bigint');
  });

  describe('serialization failures', () => {
        async function retriesOf(sqlstate: string): Promise<number> {
      const text = await bank.app.context.metrics.registry.metrics();
      const match = new RegExp(`^kosh_db_transaction_retries_total\\{sqlstate="${sqlstate}"\\} (\\d+)$`, 'm').exec(text);
      return match === null ? 0 : Number(match[1]);
    }

    /**
     * Two transactions each read a counter, wait until both have read it, then write it back
     * incremented. Returns the final value and how many attempts ran.
     */
    async function racingIncrements(isolation: 'serializable' | 'read committed'): Promise<{ value: bigint; attempts: number }> {
      const name = `counter_${randomUUID().slice(0, 8)}`;
      await sql`create table ${sql.table(name)} (id int primary key, n int8 not null)`.execute(db);
      await sql`insert into ${sql.table(name)} values (1, 0)`.execute(db);
      let arrivals = 0;
      let release: () => void = () => undefined;
      const bothRead = new Promise<void>((resolve) => {
        release = resolve;
      });
      let attempts = 0;
      const increment = () =>
        bank.app.context.transact(
          async (tx) => {
            attempts += 1;
            const read = await sql<{ n: bigint }>`select n from ${sql.table(name)} where id = 1`.execute(tx);
            const current = read.rows[0]?.n ?? 0n;
            arrivals += 1;
            if (arrivals >= 2) release();
            await Promise.race([bothRead, sleep(5_000)]);
            await sql`update ${sql.table(name)} set n = ${current + 1n} where id = 1`.execute(tx);
          },
          { isolation },
        );
      await Promise.all([increment(), increment()]);
      const final = await sql<{ n: bigint }>`select n from ${sql.table(name)} where id = 1`.execute(db);
      return { value: final.rows[0]?.n ?? -1n, attempts };
    }

    it('loses an update under read committed (the race is real)', async () => {
      const outcome = await racingIncrements('read committed');
      expect(outcome.attempts).toBe(2);
      expect(outcome.value).toBe(1n);
    });

    it('retries the loser under serializable, so both increments land, and counts the retry', async () => {
      const before = await retriesOf('40001');
      const outcome = await racingIncrements('serializable');
      expect(outcome.value).toBe(2n);
      expect(outcome.attempts).toBeGreaterThanOrEqual(3);
      const after = await retriesOf('40001');
      expect(after - before).toBe(outcome.attempts - 2);
      expect(after).toBeGreaterThanOrEqual(1);
    });

    it('gives up after attemptsMax and surfaces the 40001', async () => {
      let attempts = 0;
      const error = await refused(
        bank.app.context.transact(
          async () => {
            attempts += 1;
            throw Object.assign(new Error('could not serialize access'), { code: '40001' });
          },
          { isolation: 'serializable', attemptsMax: 3 },
        ),
      );
      expect(error.code).toBe('40001');
      expect(attempts).toBe(3);
    });

    it('does not retry other errors', async () => {
      let attempts = 0;
      const error = await refused(
        bank.app.context.transact(async (tx) => {
          attempts += 1;
          await sql`select 1 / 0`.execute(tx);
        }),
      );
      expect(error.code).toBe('22012');
      expect(attempts).toBe(1);
    });
  });
});
