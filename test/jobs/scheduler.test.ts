/**
 * Cron schedules in the bank's time zone: the next occurrence of daily and monthly expressions in
 * Asia/Kolkata (and across a daylight-saving change elsewhere), invalid expressions refused at
 * declaration; and on a database, two runners (two processes) sharing a schedule run each
 * occurrence exactly once.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createJobRunner, nextRunAt, type JobRunner } from '../../src/platform/jobs/index.js';
import { startTestBank, type TestBank } from '../support/bank.js';

describe('cron in the bank time zone', () => {
  it('finds the next daily and monthly occurrences in Asia/Kolkata', () => {
    const after = new Date('2026-11-21T00:00:00Z'); // 05:30 in Kolkata
    expect(nextRunAt('0 9 * * *', 'Asia/Kolkata', after)?.toISOString()).toBe('2026-11-21T03:30:00.000Z');
    expect(nextRunAt('0 2 * * *', 'Asia/Kolkata', after)?.toISOString()).toBe('2026-11-21T20:30:00.000Z');
    expect(nextRunAt('0 2 1 * *', 'Asia/Kolkata', after)?.toISOString()).toBe('2026-11-30T20:30:00.000Z');
    // Strictly after: an occurrence at the instant itself is the next one's predecessor.
    expect(nextRunAt('0 9 * * *', 'Asia/Kolkata', new Date('2026-11-21T03:30:00Z'))?.toISOString()).toBe('2026-11-22T03:30:00.000Z');
    // The last day of a month, and a leap day.
    expect(nextRunAt('30 23 L * *', 'Asia/Kolkata', new Date('2028-02-01T00:00:00Z'))?.toISOString()).toBe('2028-02-29T18:00:00.000Z');
  });

  it('follows the zone across a daylight-saving change', () => {
    // New York moves to EDT on 2026-03-08: 09:00 is 14:00Z before and 13:00Z after.
    expect(nextRunAt('0 9 * * *', 'America/New_York', new Date('2026-03-07T15:00:00Z'))?.toISOString()).toBe('2026-03-08T13:00:00.000Z');
    expect(nextRunAt('0 9 * * *', 'America/New_York', new Date('2026-03-06T15:00:00Z'))?.toISOString()).toBe('2026-03-07T14:00:00.000Z');
  });

  it('refuses an invalid expression', () => {
    for (const cron of ['', 'every day', '61 * * * *', '* * * * * * * *', '0 25 * * *']) {
      expect(() => nextRunAt(cron, 'Asia/Kolkata', new Date()), cron).toThrow();
    }
  });
});

describe('schedules on the database', () => {
  let bank: TestBank;
  const runners: JobRunner[] = [];
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await bank.app.close();
  });
  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_IN_PROCESS: 'false' } });
  });

  it('runs each occurrence once across two runners, and refuses a bad or repeated declaration', async () => {
    const runs: number[] = [];
    for (const index of [0, 1]) {
      const runner = createJobRunner({
        db: bank.app.context.db,
        databaseKind: 'postgres', // do not release the other runner's active jobs at start
        timeZone: 'Asia/Kolkata',
        pollIntervalMs: 50,
        activeTimeoutSeconds: 60,
        retentionDays: 7,
      });
      await runner.schedule('tick', '* * * * * *', async () => {
        runs.push(index);
      });
      await expect(runner.schedule('tick', '* * * * * *', async () => undefined)).rejects.toThrow(/already/);
      await expect(runner.schedule('bad', 'not a cron', async () => undefined)).rejects.toThrow();
      runners.push(runner);
    }
    await Promise.all(runners.map((runner) => runner.start()));
    const deadline = Date.now() + 10_000;
    while (runs.length < 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    await Promise.all(runners.map((runner) => runner.stop()));
    const occurrences = await sql<{ singleton_key: string; state: string }>`
      select singleton_key, state from jobs where queue = 'schedule.tick' order by singleton_key`.execute(bank.app.context.db);
    expect(runs.length).toBeGreaterThanOrEqual(3);
    // One job per occurrence (a whole second in the bank's zone), each run once.
    expect(occurrences.rows.every((row) => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.000Z$/.test(row.singleton_key))).toBe(true);
    expect(new Set(occurrences.rows.map((row) => row.singleton_key)).size).toBe(occurrences.rows.length);
    const completed = occurrences.rows.filter((row) => row.state === 'completed').length;
    expect(runs.length).toBe(completed);
  });
});
