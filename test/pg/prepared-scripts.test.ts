/**
 * Scripts on a session that prepares: a parameterized statement is prepared once per connection
 * and executed by name afterwards, gives exactly what its inlined form gives, and a failed script
 * leaves nothing behind that breaks the next one.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parameterized, PreparedStatements, scriptRunner, type ScriptSession } from '../../src/platform/db/script.js';
import { createTestDatabase } from '../support/postgres.js';

const text = fc.string({ unit: 'binary', maxLength: 30 }).filter((value) => !value.includes('\u0000'));
const tricky = fc.constantFrom("'", "''", '"', '\\', "\\'", 'NULL', '', '{', '}', ',', "'); drop table canary; --", '$1', '$$', '₹');
const anyText = fc.oneof(text, tricky);

const echo = (values: readonly (string | null)[], day: string) =>
  parameterized(
    (placeholders) =>
      `select v, ${placeholders.value(day, 'date')}::text as day from unnest(${placeholders.array(values, 'text')}) with ordinality as t(v, o) order by o`,
    (rows) => (rows as { v: string | null; day: string }[]).map((row) => [row.v, row.day] as const),
  );

describe('prepared scripts (PostgreSQL)', () => {
  let client: pg.Client;
  let session: ScriptSession;
  const sent: string[] = [];

  beforeAll(async () => {
    client = new pg.Client({ connectionString: await createTestDatabase(inject('postgresUrl'), 'kosh_prepared') });
    await client.connect();
    await client.query('create table canary (x int)');
    const prepared = new PreparedStatements();
    session = {
      prepared,
      async script(sql) {
        sent.push(sql);
        const result = (await client.query(sql)) as unknown as pg.QueryResult | pg.QueryResult[];
        return (Array.isArray(result) ? result : [result]).map((item) => item.rows as unknown[]);
      },
    };
  });
  afterAll(async () => client.end());

  async function runEcho(values: readonly (string | null)[], day: string) {
    const statement = echo(values, day);
    const runner = scriptRunner(session);
    const [rows] = await runner.finish([statement]);
    return statement.parse(rows ?? []);
  }

  it('prepares once, then executes by name, with the same rows as the inlined statement', async () => {
    sent.length = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(anyText, { nil: null }), { maxLength: 8 }), async (values) => {
        const statement = echo(values, '2026-11-22');
        const inlined = statement.parse((await client.query(statement.sql)).rows);
        const viaScript = await runEcho(values, '2026-11-22');
        expect(viaScript).toEqual(inlined);
        expect(viaScript.map(([value]) => value)).toEqual(values);
      }),
      { numRuns: 150 },
    );
    const prepares = sent.filter((script) => script.includes('PREPARE '));
    expect(prepares).toHaveLength(1);
    expect(sent.at(-1)).toMatch(/^BEGIN;\nEXECUTE kosh_s\d+\(/);
    expect((await client.query('select count(*)::int as n from canary')).rows[0].n).toBe(0);
  });

  it('plans the statement once and reuses the generic plan', async () => {
    for (let round = 0; round < 12; round += 1) await runEcho([`row ${round}`], '2026-11-22');
    const result = await client.query<{ generic_plans: string; custom_plans: string }>(
      `select generic_plans, custom_plans from pg_prepared_statements where statement like '%unnest(%' and name like 'kosh_s%'`,
    );
    expect(result.rows).toHaveLength(1);
    expect(Number(result.rows[0]?.generic_plans)).toBeGreaterThan(0);
    expect(Number(result.rows[0]?.custom_plans)).toBeLessThanOrEqual(5);
  });

  it('starts again after a failed script, whatever it had prepared', async () => {
    // A script that prepares a new statement and then fails, inside the transaction.
    const other = parameterized((placeholders) => `select ${placeholders.value(1, 'int4')} + 1 as n`, (rows) => rows);
    const failing = scriptRunner(session);
    await expect(failing.finish([other, 'select 1/0'])).rejects.toMatchObject({ code: '22012' });
    await failing.rollback();
    sent.length = 0;
    expect(await runEcho(['again'], '2026-11-23')).toEqual([['again', '2026-11-23']]);
    expect(sent[0]).toMatch(/^DEALLOCATE ALL;\nPREPARE kosh_s\d+ AS /);
    const runner = scriptRunner(session);
    const [rows] = await runner.finish([other]);
    expect(rows).toEqual([{ n: 2 }]);
  });

  it('runs inlined on a session that does not prepare', async () => {
    const plain: ScriptSession = { script: session.script };
    sent.length = 0;
    const [rows] = await scriptRunner(plain).finish([echo(['x'], '2026-11-22')]);
    expect(rows).toEqual([{ v: 'x', day: '2026-11-22' }]);
    expect(sent[0]).not.toMatch(/PREPARE|EXECUTE/);
  });
});
