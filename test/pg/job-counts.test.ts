/**
 * The job counts behind /metrics and the admin view read only what is unfinished (and the last
 * hour's completions), through the partial indexes, never the whole table: completed jobs and their
 * payloads are kept for days and outnumber everything else by far.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { countByQueue, countUnfinished, jobCountsQuery } from '../../src/platform/jobs/store.js';
import { startTestBank, type TestBank } from '../support/bank.js';

describe('job counts (PostgreSQL)', () => {
  let bank: TestBank;

  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl') });
    const db = bank.app.context.db;
    // A queue without a worker: nothing takes or purges these rows while the suite runs.
    await sql`
      insert into jobs (id, queue, data, state, started_at, finished_at)
      select gen_random_uuid(), 'count.test', jsonb_build_object('payload', repeat('x', 200)), 'completed',
             now() - interval '3 hours', now() - interval '2 hours'
        from generate_series(1, 20000)`.execute(db);
    await sql`
      insert into jobs (id, queue, data, state, started_at, finished_at, last_error)
      select gen_random_uuid(), 'count.test', '{}'::jsonb, s.state,
             case when s.state in ('active', 'completed', 'failed') then now() end,
             case when s.state in ('completed', 'failed') then now() - interval '5 minutes' end,
             case when s.state = 'failed' then 'boom' end
        from (values ('created'), ('created'), ('created'), ('retry'), ('active'), ('completed'), ('completed'), ('failed')) as s(state)`.execute(db);
    await sql`analyze jobs`.execute(db);
  });
  afterAll(async () => bank?.close());

  async function plan(query: ReturnType<typeof jobCountsQuery>): Promise<string> {
    const result = await sql<{ 'QUERY PLAN': string }>`explain ${query}`.execute(bank.app.context.db);
    return result.rows.map((row) => row['QUERY PLAN']).join('\n');
  }

  it('counts every unfinished job and the last hour\'s completions, per state', async () => {
    const counts = (await countByQueue(bank.app.context.db)).find((queue) => queue.queue === 'count.test');
    expect(counts?.counts).toEqual({ created: 3, retry: 1, active: 1, completed: 2, failed: 1 });
    const unfinished = (await countUnfinished(bank.app.context.db)).filter((row) => row.queue === 'count.test');
    expect(Object.fromEntries(unfinished.map((row) => [row.state, row.count]))).toEqual({ created: 3, retry: 1, active: 1, failed: 1 });
  });

  it('reads through the partial indexes, never the whole table', async () => {
    for (const completed of [false, true]) {
      const text = await plan(jobCountsQuery(completed));
      expect(text, text).not.toMatch(/Seq Scan on jobs/);
    }
  });

  it('would catch a count over every state, which scans the table', async () => {
    const text = await plan(sql`select queue, state, count(*) from jobs where state = any('{created,retry,active,failed}'::text[]) group by queue, state`);
    expect(text).toMatch(/Seq Scan on jobs/);
  });
});
