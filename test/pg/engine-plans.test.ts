/**
 * The plans of the transfer engine's reads never scan a whole table, whatever the statistics say.
 *
 * The engine's sessions prepare their statements once per connection, and PostgreSQL soon keeps a
 * generic plan for each. A plan made while a table was new and empty (a fresh bank, where nothing
 * has been analyzed yet) stays in use as the table grows, so a statement whose best plan on an
 * empty table is a full scan turns into one full scan per batch a few thousand transfers later.
 * This suite plans every read of the engine's first round trip as a generic plan on a fresh
 * database, before any statistics exist, and refuses a sequential scan of a table that grows.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { accountOwnersStatement, balanceCapsStatement, dailyLimitsStatement } from '../../src/modules/accounts/index.js';
import { lockAccountsFor } from '../../src/modules/ledger/index.js';
import { dailyUsageStatement } from '../../src/modules/payments/store.js';
import { findStoredResponses, tryLockKeys } from '../../src/platform/db/idempotency-store.js';
import type { Statement } from '../../src/platform/db/script.js';
import { startTestBank, type TestBank } from '../support/bank.js';

/** Tables that grow with the bank's business (a full scan of any of them per batch is a defect). */
const GROWING = ['idempotency_keys', 'account_daily_usage', 'ledger_accounts', 'accounts', 'users'];

describe('transfer engine plans (PostgreSQL)', () => {
  let bank: TestBank;

  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl') });
  });
  afterAll(async () => bank?.close());

  /** The generic plan of a parameterized statement, as the engine's sessions would keep it. */
  async function genericPlan(statement: Statement<unknown>): Promise<string> {
    const parameterized = statement.parameterized;
    if (parameterized === undefined) throw new Error('the statement is not parameterized');
    return bank.app.context.db.transaction().execute(async (tx) => {
      await sql.raw('set local plan_cache_mode = force_generic_plan').execute(tx);
      await sql.raw(`prepare plan_probe as ${parameterized.text}`).execute(tx);
      const result = await sql.raw(`explain execute plan_probe(${parameterized.values.join(', ')})`).execute(tx);
      await sql.raw('deallocate plan_probe').execute(tx);
      return (result.rows as { 'QUERY PLAN': string }[]).map((row) => row['QUERY PLAN']).join('\n');
    });
  }

  const ids = [randomUUID(), randomUUID(), randomUUID()];
  const reads: Record<string, () => Statement<unknown>> = {
    'idempotency key locks': () => tryLockKeys([{ scope: ids[0] as string, key: 'k-1' }]),
    'stored responses': () => findStoredResponses([{ scope: ids[0] as string, key: 'k-1' }, { scope: ids[1] as string, key: 'k-2' }]),
    'account locks': () => lockAccountsFor(ids),
    'daily limits': () => dailyLimitsStatement(bank.app.context.config, ids),
    'daily usage': () => dailyUsageStatement(ids, '2026-11-22'),
    'balance caps': () => balanceCapsStatement(bank.app.context.config, ids),
    'account owners': () => accountOwnersStatement(ids),
  };

  it('starts from tables that were never analyzed', async () => {
    const result = await sql<{ relname: string; reltuples: number }>`
      select relname, reltuples from pg_class where relname in ('idempotency_keys', 'account_daily_usage')`.execute(bank.app.context.db);
    expect(result.rows).toHaveLength(2);
    for (const row of result.rows) expect(row.reltuples, row.relname).toBe(-1);
  });

  for (const [name, build] of Object.entries(reads)) {
    it(`reads ${name} through indexes only`, async () => {
      const plan = await genericPlan(build());
      for (const table of GROWING) expect(plan, plan).not.toMatch(new RegExp(`Seq Scan on ${table}\\b`));
    });
  }

  it('would catch the plain join of stored responses that a fresh table turns into a full scan', async () => {
    const plan = await genericPlan({
      sql: '',
      parameterized: {
        text: `select i.* from idempotency_keys i
                 join unnest($1::text[], $2::text[]) as k(scope, key) on i.scope = k.scope and i.key = k.key`,
        values: [`'{"${ids[0]}"}'`, `'{"k-1"}'`],
      },
      parse: () => undefined,
    });
    expect(plan).toMatch(/Seq Scan on idempotency_keys/);
  });
});
