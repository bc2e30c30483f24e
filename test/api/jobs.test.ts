/**
 * Jobs and the outbox on the running application (PGlite and PostgreSQL): an outbox row written in
 * a transaction reaches each subscribed consumer exactly once after commit and never when the
 * transaction rolls back; a failing job is retried with its backoff and then dead-lettered; the
 * admin API shows queues, counts and failures with their errors, and a retry runs the job again.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeOutbox, type OutboxEvent } from '../../src/platform/outbox/index.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, uniqueName } from './helpers.js';

/** Resolves when `check` holds, polling the way a user would refresh (bounded). */
async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('jobs and outbox', () => {
  let bank: TestBank;
  let admin: Customer;
  let auditor: Customer;
  let customer: Customer;
  const seen: OutboxEvent[] = [];
  const attempts = new Map<string, number>();

  beforeAll(async () => {
    bank = await startTestBank({ env: { JOBS_POLL_INTERVAL_MS: '50' } });
    bank.app.context.outbox.subscribe({
      name: 'testsink',
      topics: ['user.password_changed', 'account.closed'],
      async handle(event) {
        seen.push(event);
      },
    });
    await bank.app.context.jobs.work<{ key: string; failures: number }>(
      'test.flaky',
      { concurrency: 2, retryLimit: 2, retryDelaySeconds: 0, retryBackoff: false },
      async (data, job) => {
        attempts.set(data.key, job.retryCount + 1);
        if (job.retryCount < data.failures) throw new Error(`attempt ${job.retryCount + 1} of ${data.key} failed on purpose`);
      },
    );
    await bank.app.context.jobs.work('test.idle', {}, async () => undefined);
    admin = await bank.user(uniqueName('jadmin'), 'admin');
    auditor = await bank.user(uniqueName('jaudit'), 'auditor');
    customer = await bank.user(uniqueName('jcust'));
  });
  afterAll(async () => bank.app.close());

  it('delivers a committed outbox row once to each consumer that wants its topic, with its payload', async () => {
    const userId = customer.userId;
    await bank.app.context.transact((tx) =>
      writeOutbox(tx, [
        { topic: 'user.password_changed', userIds: [userId, userId], payload: { user_id: userId, note: "it's ₹ \"quoted\"" } },
        { topic: 'user.two_factor_enabled', userIds: [userId], payload: { user_id: userId } },
      ]),
    );
    await eventually(() => seen.some((event) => event.payload.user_id === userId));
    await bank.app.context.jobs.relayPending();
    const mine = seen.filter((event) => event.payload.user_id === userId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ topic: 'user.password_changed', userIds: [userId], payload: { user_id: userId, note: "it's ₹ \"quoted\"" } });
    expect(mine[0]?.id).toMatch(/^[0-9]+$/);
    expect(mine[0]?.createdAt).toBeInstanceOf(Date);
    // The row is marked relayed, and relaying again hands nothing out a second time.
    const rows = await sql<{ relayed: boolean }>`select relayed_at is not null as relayed from outbox where id = ${mine[0]?.id}`.execute(bank.app.context.db);
    expect(rows.rows).toEqual([{ relayed: true }]);
    const jobs = await sql<{ n: number }>`select count(*)::int as n from jobs where singleton_key = ${`testsink:${mine[0]?.id}`}`.execute(bank.app.context.db);
    expect(jobs.rows[0]?.n).toBe(1);
  });

  it('delivers nothing for a transaction that rolled back', async () => {
    const marker = uniqueName('rolled');
    await expect(
      bank.app.context.transact(async (tx) => {
        await writeOutbox(tx, [{ topic: 'account.closed', userIds: [], payload: { account_id: marker } }]);
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    const committed = uniqueName('kept');
    await bank.app.context.transact((tx) => writeOutbox(tx, [{ topic: 'account.closed', userIds: [], payload: { account_id: committed } }]));
    await eventually(() => seen.some((event) => event.payload.account_id === committed));
    expect(seen.filter((event) => event.payload.account_id === marker)).toEqual([]);
  });

  it('refuses a payload with a bigint (money travels as decimal strings)', async () => {
    await expect(
      bank.app.context.transact((tx) => writeOutbox(tx, [{ topic: 'account.closed', userIds: [], payload: { amount: 5n } }])),
    ).rejects.toThrow(/bigint/);
  });

  it('retries a failing job and completes it when an attempt succeeds', async () => {
    const key = uniqueName('flaky');
    const id = await bank.app.context.jobs.send('test.flaky', { key, failures: 2 });
    expect(id).not.toBeNull();
    await eventually(async () => (await jobState(id)) === 'completed');
    expect(attempts.get(key)).toBe(3);
  });

  it('makes send idempotent by singleton key', async () => {
    const key = uniqueName('single');
    const first = await bank.app.context.jobs.send('test.flaky', { key, failures: 0 }, { singletonKey: key });
    const second = await bank.app.context.jobs.send('test.flaky', { key, failures: 0 }, { singletonKey: key });
    expect(first).not.toBeNull();
    expect(second).toBeNull();
  });

  it('dead-letters a job after its retries, shows it to staff with its error, and runs it again on retry', async () => {
    const key = uniqueName('dead');
    const id = await bank.app.context.jobs.send('test.flaky', { key, failures: 3 });
    await eventually(async () => (await jobState(id)) === 'failed');
    expect(attempts.get(key)).toBe(3);

    for (const reader of [admin, auditor]) {
      const reply = await bank.request('GET', `${API}/admin/jobs?limit=100`, { token: reader.token });
      expect(reply.status, reply.text).toBe(200);
      expect(reply.body.workers_running).toBe(true);
      const queue = reply.body.queues.find((item: { name: string }) => item.name === 'test.flaky');
      expect(queue.counts.failed).toBeGreaterThanOrEqual(1);
      expect(queue.counts.completed).toBeGreaterThanOrEqual(1);
      const failure = reply.body.failures.find((item: { id: string }) => item.id === id);
      expect(failure).toMatchObject({ queue: 'test.flaky', retry_count: 2, error: `Error: attempt 3 of ${key} failed on purpose` });
    }
    // A declared queue without jobs is listed with zero counts.
    const listed = await bank.request('GET', `${API}/admin/jobs`, { token: admin.token });
    expect(listed.body.queues.find((item: { name: string }) => item.name === 'test.idle')).toEqual({
      name: 'test.idle',
      counts: { created: 0, retry: 0, active: 0, completed: 0, failed: 0 },
    });
    expectProblem(await bank.request('GET', `${API}/admin/jobs`, { token: customer.token }), 403, 'forbidden');
    expectProblem(await bank.request('POST', `${API}/admin/jobs/${id}/retry`, { token: auditor.token }), 403, 'read_only_role');

    // The auditor's refused retry changed nothing and left no audit row.
    expect(await jobState(id)).toBe('failed');
    expect(await retryAuditRows(id)).toEqual([]);

    const retried = await bank.request('POST', `${API}/admin/jobs/${id}/retry`, { token: admin.token });
    expect(retried.status, retried.text).toBe(200);
    expect(retried.body).toEqual({ id, state: 'created' });
    // The retry commits with its audit row: who, which job, and what it was before.
    expect(await retryAuditRows(id)).toMatchObject([
      {
        actor_id: admin.userId,
        actor_role: 'admin',
        target_type: 'job',
        target_id: id,
        before: { state: 'failed', queue: 'test.flaky', retry_count: 2, error: `Error: attempt 3 of ${key} failed on purpose` },
        after: { state: 'created', retry_count: 0 },
      },
    ]);
    // A fresh set of retries: three more attempts, which fail again (failures: 3 > retryLimit).
    await eventually(async () => (await jobState(id)) === 'failed');
    expect(attempts.get(key)).toBe(3);
    // Only a failed job can be retried; an unknown one is 404.
    const done = await bank.app.context.jobs.send('test.flaky', { key: uniqueName('ok'), failures: 0 });
    await eventually(async () => (await jobState(done)) === 'completed');
    expectProblem(await bank.request('POST', `${API}/admin/jobs/${done}/retry`, { token: admin.token }), 409, 'job_not_failed');
    expectProblem(await bank.request('POST', `${API}/admin/jobs/019a0000-0000-7000-8000-000000000000/retry`, { token: admin.token }), 404, 'job_not_found');
    expectProblem(await bank.request('POST', `${API}/admin/jobs/not-a-job/retry`, { token: admin.token }), 404, 'job_not_found');
    // Refused retries leave no audit row; the one retry above is still the only one.
    expect(await retryAuditRows(done)).toEqual([]);
    expect(await retryAuditRows(id)).toHaveLength(1);
  });

  it('shows the backlog in /metrics: outbox events not relayed, and jobs by queue and state', async () => {
    const metric = async (pattern: RegExp) => {
      const reply = await bank.request('GET', '/metrics');
      expect(reply.status).toBe(200);
      const match = pattern.exec(reply.text);
      return match === null ? undefined : Number(match[1]);
    };
    const key = uniqueName('gauge');
    const id = await bank.app.context.jobs.send('test.flaky', { key, failures: 3 });
    await eventually(async () => (await jobState(id)) === 'failed');
    const failed = await sql<{ n: number }>`select count(*)::int as n from jobs where queue = 'test.flaky' and state = 'failed'`.execute(bank.app.context.db);
    // One reading serves scrapes for a second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await metric(/^kosh_jobs\{queue="test\.flaky",state="failed"\} (\d+)$/m)).toBe(failed.rows[0]?.n);
    expect(await metric(/^kosh_jobs\{queue="test\.flaky",state="completed"\}/m)).toBeUndefined();
    const pending = await metric(/^kosh_outbox_pending_events (\d+)$/m);
    expect(pending).toBeGreaterThanOrEqual(0);
  });

  it('pages the failures with a cursor and refuses a forged cursor', async () => {
    for (let index = 0; index < 3; index += 1) {
      const id = await bank.app.context.jobs.send('test.flaky', { key: uniqueName('page'), failures: 9 });
      await eventually(async () => (await jobState(id)) === 'failed');
    }
    const first = await bank.request('GET', `${API}/admin/jobs?limit=2`, { token: admin.token });
    expect(first.body.failures).toHaveLength(2);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await bank.request('GET', `${API}/admin/jobs?limit=2&cursor=${first.body.next_cursor}`, { token: admin.token });
    expect(second.status).toBe(200);
    const ids = [...first.body.failures, ...second.body.failures].map((item: { id: string }) => item.id);
    expect(new Set(ids).size).toBe(ids.length);
    expectProblem(await bank.request('GET', `${API}/admin/jobs?cursor=bm9wZQ`, { token: admin.token }), 422, 'invalid_cursor');
    // Failures within one millisecond (microseconds apart) are each listed once across pages.
    const close: string[] = [];
    for (const micros of ['123456', '123457', '123458']) {
      const id = await bank.app.context.jobs.send('test.parked', { micros }, { startAfterSeconds: 3600 });
      await sql`update jobs set state = 'failed', finished_at = ${`2026-01-01T00:00:00.${micros}Z`}::timestamptz, last_error = 'x' where id = ${id}::uuid`.execute(
        bank.app.context.db,
      );
      close.push(id as string);
    }
    const listed: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { failures: Array<{ id: string }>; next_cursor: string | null } } = await bank.request(
        'GET',
        `${API}/admin/jobs?limit=1${cursor === null ? '' : `&cursor=${cursor}`}`,
        { token: admin.token },
      );
      listed.push(...page.body.failures.map((item) => item.id));
      cursor = page.body.next_cursor;
    } while (cursor !== null);
    expect(listed.filter((id) => close.includes(id))).toEqual([...close].reverse());
    expect(new Set(listed).size).toBe(listed.length);
    expect((await bank.request('GET', `${API}/admin/jobs?limit=101`, { token: admin.token })).status).toBe(422);
  });

  /** The audit log's job.retried rows of a job, as an auditor reads them. */
  async function retryAuditRows(id: string | null): Promise<Record<string, unknown>[]> {
    const reply = await bank.request('GET', `${API}/audit-logs?action=job.retried&target_id=${id}`, { token: auditor.token });
    expect(reply.status, reply.text).toBe(200);
    return reply.body.items;
  }

  async function jobState(id: string | null): Promise<string | undefined> {
    const result = await sql<{ state: string }>`select state from jobs where id = ${id}::uuid`.execute(bank.app.context.db);
    return result.rows[0]?.state;
  }
});
