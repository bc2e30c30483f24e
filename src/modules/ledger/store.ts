/**
 * The ledger's SQL. Only this file reads or writes ledger_accounts, journal_entries and postings.
 */
import { sql } from 'kysely';
import type { LedgerAccountKind, LedgerAccountState, LedgerAccountStatus } from '../../core/ledger.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import { parameterized, type Statement } from '../../platform/db/script.js';

type Executor = Db | Tx;

interface LedgerAccountRow {
  id: string;
  code: string | null;
  name: string;
  kind: LedgerAccountKind;
  category: string;
  currency: string;
  status: LedgerAccountStatus;
  allow_overdraft: boolean;
  balance_minor: bigint;
  created_at: Date;
  closed_at: Date | null;
}

export interface LedgerAccount {
  readonly id: string;
  readonly code: string | null;
  readonly name: string;
  readonly kind: LedgerAccountKind;
  readonly category: string;
  readonly currency: string;
  readonly status: LedgerAccountStatus;
  readonly allowOverdraft: boolean;
  readonly balanceMinor: bigint;
  readonly createdAt: Date;
  readonly closedAt: Date | null;
}

function toAccount(row: LedgerAccountRow): LedgerAccount {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    kind: row.kind,
    category: row.category,
    currency: row.currency.trim(),
    status: row.status,
    allowOverdraft: row.allow_overdraft,
    balanceMinor: row.balance_minor,
    createdAt: row.created_at,
    closedAt: row.closed_at,
  };
}

export async function insertAccount(
  executor: Executor,
  account: { id: string; code?: string | null; name: string; kind: LedgerAccountKind; category: string; currency: string; allowOverdraft: boolean },
): Promise<LedgerAccount> {
  const result = await sql<LedgerAccountRow>`
    insert into ledger_accounts (id, code, name, kind, category, currency, allow_overdraft)
    values (${account.id}, ${account.code ?? null}, ${account.name}, ${account.kind}, ${account.category},
            ${account.currency}, ${account.allowOverdraft})
    on conflict do nothing
    returning *`.execute(executor);
  const row = result.rows[0];
  if (row === undefined) throw new Error('ledger account already exists');
  return toAccount(row);
}

export async function findSystemAccount(executor: Executor, code: string, currency: string): Promise<LedgerAccount | undefined> {
  const result = await sql<LedgerAccountRow>`
    select * from ledger_accounts where code = ${code} and currency = ${currency}`.execute(executor);
  const row = result.rows[0];
  return row === undefined ? undefined : toAccount(row);
}

export async function insertSystemAccountIfMissing(
  executor: Executor,
  account: { id: string; code: string; name: string; kind: LedgerAccountKind; currency: string; allowOverdraft: boolean },
): Promise<void> {
  await sql`
    insert into ledger_accounts (id, code, name, kind, category, currency, allow_overdraft)
    values (${account.id}, ${account.code}, ${account.name}, ${account.kind}, 'system', ${account.currency}, ${account.allowOverdraft})
    on conflict (code, currency) where code is not null do nothing`.execute(executor);
}

export async function readAccounts(executor: Executor, ids: readonly string[]): Promise<LedgerAccount[]> {
  if (ids.length === 0) return [];
  const result = await sql<LedgerAccountRow>`
    select * from ledger_accounts where id = any(${[...ids]}::uuid[])`.execute(executor);
  return result.rows.map(toAccount);
}

function toState(row: LedgerAccountRow): LedgerAccountState {
  return {
    id: row.id,
    kind: row.kind,
    currency: row.currency.trim(),
    status: row.status,
    allowOverdraft: row.allow_overdraft,
    balanceMinor: BigInt(row.balance_minor),
  };
}

/**
 * Locks the accounts for the rest of the transaction, always in ascending id order, so that two
 * transactions touching the same accounts queue instead of deadlocking.
 *
 * One primary-key lookup per id, in that order (a lateral subquery that locks, which the planner
 * cannot merge into a join): the engine keeps this statement's plan for as long as its connection
 * lives, and `where id = any(...)` planned while the table was small is a full scan.
 */
export function lockAccountsStatement(ids: readonly string[]): Statement<Map<string, LedgerAccountState>> {
  const sorted = [...new Set(ids)].sort();
  return parameterized(
    (values) => `select a.id, a.kind, a.currency, a.status, a.allow_overdraft, a.balance_minor
                   from (select distinct id from unnest(${values.array(sorted, 'uuid')}) as u(id) order by id) k
                  cross join lateral (select * from ledger_accounts l where l.id = k.id for update) a`,
    (rows) => new Map((rows as LedgerAccountRow[]).map((row) => [row.id, toState(row)])),
  );
}

export interface EntryRow {
  readonly id: string;
  readonly kind: string;
  readonly description: string | null;
  readonly reversesEntryId: string | null;
}

export interface PostingRow {
  readonly entryId: string;
  readonly accountId: string;
  readonly currency: string;
  readonly amountMinor: bigint;
}

/** Inserts entries and then all their postings, each with one set-based statement. */
export function insertEntriesStatements(entries: readonly EntryRow[], postings: readonly PostingRow[]): [Statement<void>, Statement<void>] {
  return [
    parameterized(
      (values) => `insert into journal_entries (id, kind, description, reverses_entry_id)
                   select * from unnest(${values.array(entries.map((e) => e.id), 'uuid')}, ${values.array(entries.map((e) => e.kind), 'text')},
                                        ${values.array(entries.map((e) => e.description), 'text')}, ${values.array(entries.map((e) => e.reversesEntryId), 'uuid')})`,
      () => undefined,
    ),
    parameterized(
      (values) => `insert into postings (entry_id, account_id, currency, amount_minor)
                   select * from unnest(${values.array(postings.map((p) => p.entryId), 'uuid')}, ${values.array(postings.map((p) => p.accountId), 'uuid')},
                                        ${values.array(postings.map((p) => p.currency), 'text')}, ${values.array(postings.map((p) => p.amountMinor), 'int8')})`,
      () => undefined,
    ),
  ];
}

export async function updateStatus(tx: Tx, id: string, status: LedgerAccountStatus): Promise<void> {
  await sql`
    update ledger_accounts
       set status = ${status}, closed_at = case when ${status} = 'closed' then now() else null end
     where id = ${id}`.execute(tx);
}

export async function entryPostings(executor: Executor, entryId: string): Promise<PostingRow[]> {
  const result = await sql<{ account_id: string; currency: string; amount_minor: bigint }>`
    select account_id, currency, amount_minor from postings where entry_id = ${entryId} order by id`.execute(executor);
  return result.rows.map((row) => ({
    entryId,
    accountId: row.account_id,
    currency: row.currency.trim(),
    amountMinor: row.amount_minor,
  }));
}

export interface IntegrityProblem {
  readonly problem: string;
  readonly subjectId: string;
  readonly detail: string;
}

export async function integrityProblems(executor: Executor, limit: number): Promise<IntegrityProblem[]> {
  const result = await sql<{ problem: string; subject_id: string; detail: string }>`
    select problem, subject_id, detail from ledger_integrity_problems order by problem, subject_id limit ${limit}`.execute(executor);
  return result.rows.map((row) => ({ problem: row.problem, subjectId: row.subject_id, detail: row.detail }));
}

export interface BalanceSheetRow {
  readonly kind: LedgerAccountKind;
  readonly category: string;
  readonly code: string | null;
  readonly currency: string;
  readonly accountCount: bigint;
  readonly balanceMinor: bigint;
}

/** Balances grouped by kind and category; system accounts are listed one by one (by code). */
export async function balanceSheetRows(executor: Executor): Promise<BalanceSheetRow[]> {
  const result = await sql<{ kind: LedgerAccountKind; category: string; code: string | null; currency: string; account_count: bigint; balance_minor: bigint }>`
    select kind, category, code, currency, count(*)::int8 as account_count, coalesce(sum(balance_minor), 0)::int8 as balance_minor
      from ledger_accounts
     group by kind, category, code, currency
     order by currency, kind, category, code nulls first`.execute(executor);
  return result.rows.map((row) => ({
    kind: row.kind,
    category: row.category,
    code: row.code,
    currency: row.currency.trim(),
    accountCount: row.account_count,
    balanceMinor: row.balance_minor,
  }));
}

export interface StatementPosting {
  readonly entryId: string;
  readonly entrySeq: bigint;
  readonly kind: string;
  readonly description: string | null;
  readonly createdAt: Date;
  /** Change of the account's balance on its normal side. */
  readonly deltaMinor: bigint;
  readonly balanceAfterMinor: bigint;
}

export interface StatementData {
  readonly openingBalanceMinor: bigint;
  readonly lines: StatementPosting[];
}

/** The postings of an account in [from, to), each with the running balance after it. */
export async function statement(
  executor: Executor,
  options: { accountId: string; kind: LedgerAccountKind; from: Date; to: Date; limit: number },
): Promise<StatementData> {
  const sign = options.kind === 'asset' || options.kind === 'expense' ? 1n : -1n;
  const opening = await sql<{ total: bigint }>`
    select coalesce(sum(amount_minor), 0)::int8 as total
      from postings where account_id = ${options.accountId} and created_at < ${options.from}`.execute(executor);
  const openingBalanceMinor = sign * (opening.rows[0]?.total ?? 0n);
  const rows = await sql<{ entry_id: string; seq: bigint; kind: string; description: string | null; created_at: Date; amount_minor: bigint }>`
    select p.entry_id, e.seq, e.kind, e.description, p.created_at, p.amount_minor
      from postings p join journal_entries e on e.id = p.entry_id
     where p.account_id = ${options.accountId} and p.created_at >= ${options.from} and p.created_at < ${options.to}
     order by p.id
     limit ${options.limit}`.execute(executor);
  let running = openingBalanceMinor;
  const lines = rows.rows.map((row) => {
    const deltaMinor = sign * row.amount_minor;
    running += deltaMinor;
    return {
      entryId: row.entry_id,
      entrySeq: row.seq,
      kind: row.kind,
      description: row.description,
      createdAt: row.created_at,
      deltaMinor,
      balanceAfterMinor: running,
    };
  });
  return { openingBalanceMinor, lines };
}

/** The start time of the current transaction, as a statement for a script. */
export function transactionTimeStatement(): Statement<Date> {
  return {
    sql: 'select now() as now',
    parse: (rows) => {
      const value = (rows as { now: Date | string }[])[0]?.now;
      if (value === undefined) throw new Error('no transaction time');
      return value instanceof Date ? value : new Date(value);
    },
  };
}

/** The start time of the current transaction. */
export async function transactionTime(executor: Executor): Promise<Date> {
  const result = await sql<{ now: Date }>`select now() as now`.execute(executor);
  return result.rows[0]?.now ?? new Date();
}

/** The latest postings of an account, newest first, each with the balance after it (one snapshot). */
export async function recentPostings(executor: Executor, options: { accountId: string; limit: number }): Promise<StatementPosting[]> {
  const rows = await sql<{ entry_id: string; seq: bigint; kind: string; description: string | null; created_at: Date; amount_minor: bigint; account_kind: LedgerAccountKind; balance_minor: bigint }>`
    select p.entry_id, e.seq, e.kind, e.description, p.created_at, p.amount_minor, a.kind as account_kind, a.balance_minor
      from ledger_accounts a
      join lateral (select * from postings where account_id = a.id order by id desc limit ${options.limit}) p on true
      join journal_entries e on e.id = p.entry_id
     where a.id = ${options.accountId}
     order by p.id desc`.execute(executor);
  let balanceAfter: bigint | undefined;
  return rows.rows.map((row) => {
    const sign = row.account_kind === 'asset' || row.account_kind === 'expense' ? 1n : -1n;
    balanceAfter ??= row.balance_minor;
    const line = {
      entryId: row.entry_id,
      entrySeq: row.seq,
      kind: row.kind,
      description: row.description,
      createdAt: row.created_at,
      deltaMinor: sign * row.amount_minor,
      balanceAfterMinor: balanceAfter,
    };
    balanceAfter -= line.deltaMinor;
    return line;
  });
}

/** The balance changes of an account in [from, to), summed per instant, oldest first, at most `limit` instants (the latest). */
export async function balanceChanges(
  executor: Executor,
  options: { accountId: string; from: Date; to: Date; limit: number },
): Promise<{ account: LedgerAccount | undefined; balanceAtToMinor: bigint; changes: { at: Date; deltaMinor: bigint }[] }> {
  const [account] = await readAccounts(executor, [options.accountId]);
  if (account === undefined) return { account, balanceAtToMinor: 0n, changes: [] };
  const sign = account.kind === 'asset' || account.kind === 'expense' ? 1n : -1n;
  // One snapshot: the current balance and the postings at or after `to` are read together.
  const later = await sql<{ balance_minor: bigint; total: bigint }>`
    select a.balance_minor, coalesce((select sum(amount_minor) from postings where account_id = a.id and created_at >= ${options.to}), 0)::int8 as total
      from ledger_accounts a where a.id = ${options.accountId}`.execute(executor);
  const row = later.rows[0];
  const balanceAtToMinor = row === undefined ? 0n : BigInt(row.balance_minor) - sign * BigInt(row.total);
  const changes = await sql<{ at: Date; total: bigint }>`
    select created_at as at, sum(amount_minor)::int8 as total
      from postings
     where account_id = ${options.accountId} and created_at >= ${options.from} and created_at < ${options.to}
     group by created_at
     order by created_at desc
     limit ${options.limit}`.execute(executor);
  return {
    account,
    balanceAtToMinor,
    changes: changes.rows.reverse().map((change) => ({ at: change.at, deltaMinor: sign * BigInt(change.total) })),
  };
}
