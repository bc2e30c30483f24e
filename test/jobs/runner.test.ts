/**
 * The job runner's guarantees on a database: backoff delays grow and are bounded; a queue never
 * runs more jobs at once than its concurrency, and a busy one takes them in groups; stop waits for the jobs that run; a job left active
 * by a process that died runs again; and relays in two processes hand each outbox row to a
 * consumer exactly once (PostgreSQL, FOR UPDATE SKIP LOCKED).
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createJobRunner, type JobRunner } from '../../src/platform/jobs/index.js';
import { retryDelayFor } from '../../src/platform/jobs/runner.js';
import { writeOutbox } from '../../src/platform/outbox/index.js';
import { newId } from '../../src/platform/ids.js';
import { startTestBank, type TestBank } from '../support/bank.js';

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function runnerOn(bank: TestBank, kind: 'pglite' | 'postgres' = 'postgres'): JobRunner {
  return createJobRunner({ db: bank.app.context.db, databaseKind: kind, timeZone: 'Asia/Kolkata', pollIntervalMs: 50, activeTimeoutSeconds: 60, retentionDays: 7 });
}

describe('retry delays', () => {
  const policy = { concurrency: 1, retryLimit: 5, retryDelaySeconds: 10, retryBackoff: true };
  it('double with jitter, stay under an hour, and end after the last retry', () => {
    for (let attempt = 0; attempt < 5; attempt += 1) {
      const delay = retryDelayFor(policy, attempt) as number;
      expect(delay).toBeGreaterThanOrEqual(Math.floor(10 * 2 ** attempt * 0.8));
      expect(delay).toBeLessThanOrEqual(Math.min(3600, Math.ceil(10 * 2 ** attempt * 1.2)));
    }
    expect(retryDelayFor({ ...policy, retryLimit: 20 }, 15)).toBe(3600);
    expect(retryDelayFor(policy, 5)).toBeNull();
    expect(retryDelayFor({ ...policy, retryBackoff: false }, 3)).toBe(10);
    expect(retryDelayFor({ ...policy, retryLimit: 0 }, 0)).toBeNull();
  });
});

describe('job runner on PGlite', () => {
  let bank: TestBank;
  const runners: JobRunner[] = [];
  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_IN_PROCESS: 'false' } });
  });
  afterAll(async () => {
    await Promise.all(runners.map((runner) => runner.stop()));
    await bank.app.close();
  });

  it('runs at most `concurrency` jobs of a queue at once, and stop waits for those that run', async () => {
    const runner = runnerOn(bank);
    runners.push(runner);
    let running = 0;
    let most = 0;
    let finished = 0;
    await runner.work('test.bounded', { concurrency: 2 }, async () => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setTimeout(resolve, 60));
      running -= 1;
      finished += 1;
    });
    await expect(runner.work('test.bounded', {}, async () => undefined)).rejects.toThrow(/already/);
    await expect(runner.work('bad queue name!', {}, async () => undefined)).rejects.toThrow(/invalid/);
    for (let index = 0; index < 6; index += 1) await runner.send('test.bounded', { index });
    await runner.start();
    await until(() => finished >= 3);
    await runner.stop();
    // Whatever ran when stop was called has finished and been recorded.
    expect(running).toBe(0);
    expect(most).toBe(2);
    const states = await sql<{ state: string; n: number }>`
      select state, count(*)::int as n from jobs where queue = 'test.bounded' group by state order by state`.execute(bank.app.context.db);
    const byState = Object.fromEntries(states.rows.map((row) => [row.state, row.n]));
    expect(byState.active).toBeUndefined();
    expect(byState.completed).toBe(finished);
    expect((byState.completed ?? 0) + (byState.created ?? 0)).toBe(6);
  });

  it('takes the jobs of a busy queue in groups of at least half its concurrency', async () => {
    const runner = runnerOn(bank);
    runners.push(runner);
    const gates: (() => void)[] = [];
    let started = 0;
    await runner.work('test.grouped', { concurrency: 4 }, async () => {
      started += 1;
      await new Promise<void>((resolve) => gates.push(resolve));
    });
    for (let index = 0; index < 10; index += 1) await runner.send('test.grouped', { index });
    await runner.start();
    await until(() => started === 4);
    // One job ends: one free slot is less than half of four, so nothing new starts...
    gates.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(started).toBe(4);
    // ...until a second ends, and then two start together.
    gates.shift()?.();
    await until(() => started === 6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(started).toBe(6);
    while (started < 10 || gates.length > 0) {
      gates.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await runner.stop();
    const done = await sql<{ n: number }>`select count(*)::int as n from jobs where queue = 'test.grouped' and state = 'completed'`.execute(bank.app.context.db);
    expect(done.rows[0]?.n).toBe(10);
  });

  it('runs again a job that a dead process left active, counting the lost attempt', async () => {
    const id = newId();
    await sql`insert into jobs (id, queue, data, state, started_at) values (${id}, 'test.orphan', '{"n":1}', 'active', now())`.execute(bank.app.context.db);
    const runner = runnerOn(bank, 'pglite');
    runners.push(runner);
    const seen: Array<{ n: number; retryCount: number }> = [];
    await runner.work<{ n: number }>('test.orphan', {}, async (data, job) => {
      seen.push({ n: data.n, retryCount: job.retryCount });
    });
    await runner.start();
    await until(() => seen.length === 1);
    expect(seen).toEqual([{ n: 1, retryCount: 1 }]);
    await runner.stop();
  });
});

describe('relay in two processes (PostgreSQL)', () => {
  let bank: TestBank;
  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: { JOBS_IN_PROCESS: 'false' } });
  });
  afterAll(async () => bank.app.close());

  it('hands each committed row to each consumer exactly once', async () => {
    const consumer = (name: string) => ({ name, topics: '*' as const, handle: async () => undefined });
    const relays = [runnerOn(bank), runnerOn(bank)];
    for (const relay of relays) {
      relay.subscribe(consumer('alpha'));
      relay.subscribe({ ...consumer('beta'), topics: ['account.closed'] });
    }
    await sql`update outbox set relayed_at = now() where relayed_at is null`.execute(bank.app.context.db);
    for (let batch = 0; batch < 6; batch += 1) {
      await bank.app.context.transact((tx) =>
        writeOutbox(
          tx,
          Array.from({ length: 200 }, (_, index) => ({
            topic: index % 2 === 0 ? ('account.closed' as const) : ('account.opened' as const),
            userIds: [],
            payload: { batch, index },
          })),
        ),
      );
    }
    const relayed = await Promise.all([...relays, ...relays].map((relay) => relay.relayPending()));
    expect(relayed.reduce((sum, count) => sum + count, 0)).toBe(1200);
    const jobs = await sql<{ queue: string; n: number; keys: number }>`
      select queue, count(*)::int as n, count(distinct singleton_key)::int as keys from jobs
      where queue in ('outbox.alpha', 'outbox.beta') group by queue order by queue`.execute(bank.app.context.db);
    expect(jobs.rows).toEqual([
      { queue: 'outbox.alpha', n: 1200, keys: 1200 },
      { queue: 'outbox.beta', n: 600, keys: 600 },
    ]);
    const pending = await sql<{ n: number }>`select count(*)::int as n from outbox where relayed_at is null`.execute(bank.app.context.db);
    expect(pending.rows[0]?.n).toBe(0);
  });
});
