/**
 * The audit log: one row per state change, written with the change, readable by staff with
 * filters and stable pages, hash-chained, append-only in the database, and verified end to end.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalRow, chainHash, verifyAuditChain } from '../../src/modules/audit/index.js';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, fundedAccount, transfer, uniqueName } from './helpers.js';

describe('audit log', () => {
  let bank: TestBank;
  let auditor: Customer;
  let admin: Customer;
  beforeAll(async () => {
    bank = await startTestBank();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    admin = await bank.user(uniqueName('admin'), 'admin');
  });
  afterAll(async () => bank.close());

  const list = (who: Customer | undefined, query = '') =>
    bank.request('GET', `${API}/audit-logs${query}`, who === undefined ? {} : { token: who.token });

  async function rowsFor(targetId: string) {
    const reply = await list(auditor, `?target_id=${targetId}&limit=100`);
    expect(reply.status, reply.text).toBe(200);
    return reply.body.items as any[];
  }

  it('records money movements, account changes and beneficiaries with actor, origin and request id', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const ravi = await bank.user(uniqueName('ravi'));
    const from = await fundedAccount(bank, asha, '1000.00');
    const to = await bank.openAccount(ravi, 'savings');

    const opened = await rowsFor(to.id);
    expect(opened).toEqual([
      expect.objectContaining({ action: 'account.opened', actor_id: ravi.userId, actor_role: 'customer', target_type: 'account', target_id: to.id }),
    ]);
    expect(opened[0].after).toMatchObject({ number: to.number, type: 'savings', currency: 'INR' });

    const sent = await transfer(bank, asha, { from_account_id: from.id, to_account_number: to.number, amount: '250.00' }, { 'user-agent': 'audit-test/1.0' });
    expect(sent.status, sent.text).toBe(201);
    const [posted] = await rowsFor(sent.body.id);
    expect(posted).toMatchObject({
      action: 'transfer.posted',
      actor_id: asha.userId,
      target_type: 'transfer',
      user_agent: 'audit-test/1.0',
      request_id: sent.headers['x-request-id'],
      after: { from_account_id: from.id, to_account_id: to.id, amount: '250.00', currency: 'INR' },
    });
    expect(posted.ip).toEqual(expect.any(String));
    expect(posted.hash).toMatch(/^[0-9a-f]{64}$/);

    const reversed = await bank.request('POST', `${API}/admin/transfers/${sent.body.id}/reverse`, { token: admin.token, body: { reason: 'Wrong payee' } });
    expect(reversed.status, reversed.text).toBe(201);
    expect((await rowsFor(sent.body.id)).map((row) => row.action)).toEqual(['transfer.reversed', 'transfer.posted']);
    expect((await rowsFor(reversed.body.id))[0]).toMatchObject({ action: 'reversal.posted', after: { reason: 'Wrong payee', reversal_of: sent.body.id } });

    const frozen = await bank.request('PATCH', `${API}/accounts/${to.id}/freeze`, { token: ravi.token, body: { frozen: true } });
    expect(frozen.status, frozen.text).toBe(200);
    const limit = await bank.request('PATCH', `${API}/admin/accounts/${from.id}/limits`, { token: admin.token, body: { daily_limit: '700.00' } });
    expect(limit.status, limit.text).toBe(200);
    expect((await rowsFor(to.id)).map((row) => row.action)).toEqual(['account.frozen', 'account.opened']);
    expect((await rowsFor(to.id))[0]).toMatchObject({ before: { status: 'active' }, after: { status: 'frozen', frozen_by_bank: false } });
    const [limitRow] = (await rowsFor(from.id)).filter((row) => row.action === 'account.limit_changed');
    expect(limitRow).toMatchObject({ actor_id: admin.userId, actor_role: 'admin', before: { daily_limit: null }, after: { daily_limit: '700.00' } });

    const saved = await bank.request('POST', `${API}/beneficiaries`, { token: asha.token, body: { name: 'Ravi', account_number: to.number } });
    expect(saved.status, saved.text).toBe(201);
    const removed = await bank.request('DELETE', `${API}/beneficiaries/${saved.body.id}`, { token: asha.token });
    expect(removed.status, removed.text).toBe(204);
    expect((await rowsFor(saved.body.id)).map((row) => row.action)).toEqual(['beneficiary.removed', 'beneficiary.added']);

  });

  it('writes nothing for refused requests', async () => {
    const asha = await bank.user(uniqueName('asha'));
    const from = await fundedAccount(bank, asha, '100.00');
    const before = (await list(auditor, `?actor_id=${asha.userId}`)).body.items.length;
    const refused = await transfer(bank, asha, { from_account_id: from.id, to_account_id: from.id, amount: '1.00' });
    expect(refused.status).toBe(422);
    const tooMuch = await bank.request('POST', `${API}/transactions/withdraw`, { token: asha.token, body: { account_id: from.id, amount: '5000.00' } });
    expect(tooMuch.status).toBe(402);
    expect((await list(auditor, `?actor_id=${asha.userId}`)).body.items.length).toBe(before);
  });

  it('never holds a secret', async () => {
    const everything: any[] = [];
    for (let cursor: string | null = ''; cursor !== null; ) {
      const reply = await list(admin, `?limit=100${cursor === '' ? '' : `&cursor=${cursor}`}`);
      expect(reply.status, reply.text).toBe(200);
      everything.push(...reply.body.items);
      cursor = reply.body.next_cursor;
    }
    expect(everything.length).toBeGreaterThan(5);
    const text = JSON.stringify(everything);
    expect(text).not.toContain(TEST_PASSWORD);
    expect(text).not.toMatch(/\$argon2/);
    expect(text).not.toMatch(/eyJ[A-Za-z0-9_-]+\.eyJ/);
  });

  it('is for staff only, with filters and stable pages', async () => {
    const customer = await bank.user(uniqueName('nosy'));
    expectProblem(await list(undefined), 401, 'unauthenticated');
    expectProblem(await list(customer), 403, 'forbidden');
    expect((await list(auditor)).status).toBe(200);

    const asha = await bank.user(uniqueName('asha'));
    const account = await fundedAccount(bank, asha, '10.00');
    for (let index = 0; index < 5; index += 1) expect((await bank.deposit(asha, account.id, '1.00')).status).toBe(201);
    const first = await list(auditor, `?actor_id=${asha.userId}&action=deposit.posted&limit=4`);
    expect(first.body.items).toHaveLength(4);
    const second = await list(auditor, `?actor_id=${asha.userId}&action=deposit.posted&limit=4&cursor=${first.body.next_cursor}`);
    expect(second.body.items).toHaveLength(2);
    expect(second.body.next_cursor).toBeNull();
    const seqs = [...first.body.items, ...second.body.items].map((row: any) => BigInt(row.seq));
    expect(seqs).toEqual([...seqs].sort((a, b) => (a > b ? -1 : a < b ? 1 : 0)));
    expect(new Set(seqs).size).toBe(6);

    const byPrefix = await list(auditor, `?actor_id=${asha.userId}&action=account.`);
    expect(byPrefix.body.items.map((row: any) => row.action)).toEqual(['account.opened']);
    const future = await list(auditor, `?actor_id=${asha.userId}&from=2999-01-01`);
    expect(future.body.items).toEqual([]);
    const everything = await list(auditor, `?actor_id=${asha.userId}&limit=100`);
    expect(everything.body.items.length).toBeGreaterThanOrEqual(7);
    const window = await list(auditor, `?actor_id=${asha.userId}&from=2000-01-01T00:00:00Z&to=2999-01-01&limit=100`);
    expect(window.body.items).toEqual(everything.body.items);

    expectProblem(await list(auditor, '?cursor=bm9wZQ'), 422, 'invalid_cursor');
    expectProblem(await list(auditor, '?actor_id=someone'), 422, 'invalid_filter');
    expectProblem(await list(auditor, '?from=yesterday'), 422, 'invalid_filter');
    expect((await list(auditor, '?limit=101')).status).toBe(422);
    expect((await list(auditor, '?role=admin')).status).toBe(422);
  });

  it('verifies the chain through the API and independently of the database', async () => {
    const customer = await bank.user(uniqueName('nosy'));
    expectProblem(await bank.request('GET', `${API}/admin/audit-logs/verify`, { token: customer.token }), 403, 'forbidden');
    const reply = await bank.request('GET', `${API}/admin/audit-logs/verify`, { token: auditor.token });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body).toMatchObject({ valid: true, first_broken: null, head_hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(reply.body.rows_checked).toBe(Number(reply.body.head_seq));

    // The newest row's hash, recomputed here from its listed fields.
    const [newest] = (await list(auditor, '?limit=1')).body.items;
    const { rows } = await sql<{ prev: string }>`select encode(prev_hash, 'hex') as prev from audit_log where seq = ${newest.seq}::int8`.execute(bank.app.context.db);
    const occurredAt = (await sql<{ at: string }>`
      select to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as at from audit_log where seq = ${newest.seq}::int8`.execute(bank.app.context.db)).rows[0]?.at;
    const jsonText = async (column: 'before' | 'after') =>
      (await sql<{ text: string | null }>`select ${sql.ref(column)}::text as text from audit_log where seq = ${newest.seq}::int8`.execute(bank.app.context.db)).rows[0]?.text ?? null;
    const canonical = canonicalRow({
      seq: newest.seq, id: newest.id, occurred_at: occurredAt as string, actor_id: newest.actor_id, actor_role: newest.actor_role,
      action: newest.action, target_type: newest.target_type, target_id: newest.target_id, before: await jsonText('before'), after: await jsonText('after'),
      ip: newest.ip, user_agent: newest.user_agent, request_id: newest.request_id,
    });
    const { rows: dbCanonical } = await sql<{ text: string }>`
      select audit_canonical(seq, id, occurred_at, actor_id, actor_role, action, target_type, target_id, before, after, ip, user_agent, request_id) as text
        from audit_log where seq = ${newest.seq}::int8`.execute(bank.app.context.db);
    expect(canonical).toBe(dbCanonical[0]?.text);
    expect(chainHash(rows[0]?.prev as string, canonical)).toBe(newest.hash);
  });

  it('keeps texts with quotes, control characters and non-ASCII letters verifiable', async () => {
    const name = uniqueName('quote');
    const customer = await bank.user(name);
    const account = await bank.openAccount(customer, 'savings');
    const description = 'Rent "June" \\ back\tslash — ₹ नमस्ते \u0001';
    const deposited = await bank.request('POST', `${API}/transactions/deposit`, {
      token: customer.token,
      body: { account_id: account.id, amount: '5.00', description },
      headers: { 'user-agent': 'Agent "quoted" \\ é' },
    });
    expect(deposited.status, deposited.text).toBe(201);
    expect((await verifyAuditChain(bank.app.context.db)).valid).toBe(true);
  });

  it('refuses UPDATE, DELETE and TRUNCATE, and moving the chain head', async () => {
    const db = bank.app.context.db;
    await expect(sql`update audit_log set action = 'user.forged' where seq = 1`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_log where seq = 1`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`truncate audit_log`.execute(db)).rejects.toThrow(/append-only/);
    await expect(sql`update audit_chain_head set last_seq = 1`.execute(db)).rejects.toThrow(/chain head/);
    await expect(sql`delete from audit_chain_head`.execute(db)).rejects.toThrow(/chain head/);
    // An insert cannot choose its place or hash in the chain: the trigger sets both.
    await sql`insert into audit_log (id, action, target_type, target_id, prev_hash, hash, seq)
              values (gen_random_uuid(), 'test.forged', 't', '1', '\\x00', '\\x00', 1)`.execute(db);
    const { rows } = await sql<{ seq: string; hash: string }>`
      select seq::text as seq, encode(hash, 'hex') as hash from audit_log where action = 'test.forged'`.execute(db);
    expect(rows[0]?.seq).not.toBe('1');
    expect(rows[0]?.hash).toMatch(/^[0-9a-f]{64}$/);
    expect((await verifyAuditChain(db)).valid).toBe(true);
  });

  it('keeps the chain whole across savepoints rolled back and concurrent writers', async () => {
    const db = bank.app.context.db;
    const row = (action: string) => sql`insert into audit_log (id, action, target_type, target_id) values (gen_random_uuid(), ${action}, 'test', 'x')`;
    await bank.app.context.transact(async (tx) => {
      await row('test.kept').execute(tx);
      await sql`savepoint s`.execute(tx);
      await row('test.undone').execute(tx);
      await row('test.undone').execute(tx);
      await sql`rollback to savepoint s`.execute(tx);
      await row('test.kept').execute(tx);
    });
    await expect(bank.app.context.transact(async (tx) => {
      await row('test.undone').execute(tx);
      throw new Error('abandon');
    })).rejects.toThrow('abandon');
    await Promise.all(Array.from({ length: 8 }, () => bank.app.context.transact(async (tx) => {
      await row('test.kept').execute(tx);
      await row('test.kept').execute(tx);
    })));
    const { rows } = await sql<{ action: string }>`select action from audit_log where target_type = 'test' and target_id = 'x'`.execute(db);
    expect(rows.map((item) => item.action).sort()).toEqual(Array.from({ length: 18 }, () => 'test.kept'));
    expect(await verifyAuditChain(db)).toMatchObject({ valid: true });
  });

  it('names the first broken link when a superuser edits, deletes or rewrites rows', async () => {
    const tampered = await startTestBank();
    try {
      const owner = await tampered.user(uniqueName('owner'));
      const account = await tampered.openAccount(owner, 'savings');
      for (let index = 0; index < 4; index += 1) expect((await tampered.deposit(owner, account.id, '10.00')).status).toBe(201);
      const db = tampered.app.context.db;
      const intact = await verifyAuditChain(db);
      expect(intact.valid).toBe(true);
      const middle = BigInt(intact.headSeq) - 2n;

      // A superuser can switch triggers off; the chain still shows the edit.
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
      await sql`update audit_log set after = jsonb_set(after, '{amount}', '"1000.00"') where seq = ${middle}::int8`.execute(db);
      expect((await verifyAuditChain(db)).firstBroken).toEqual({ seq: String(middle), problem: 'hash_mismatch' });

      // Recomputing the edited row's hash breaks the next link instead.
      await sql`update audit_log set hash = sha256(prev_hash || convert_to(audit_canonical(seq, id, occurred_at, actor_id, actor_role, action,
                 target_type, target_id, before, after, ip, user_agent, request_id), 'UTF8')) where seq = ${middle}::int8`.execute(db);
      expect((await verifyAuditChain(db)).firstBroken).toEqual({ seq: String(middle + 1n), problem: 'previous_hash_mismatch' });

      await sql`delete from audit_log where seq = ${middle}::int8`.execute(db);
      expect((await verifyAuditChain(db)).firstBroken).toEqual({ seq: String(middle), problem: 'sequence_gap' });

      const api = await tampered.request('GET', `${API}/admin/audit-logs/verify`, { token: (await tampered.user(uniqueName('auditor'), 'auditor')).token });
      expect(api.body).toMatchObject({ valid: false, first_broken: { seq: String(middle), problem: 'sequence_gap' } });
    } finally {
      await tampered.close();
    }
  });

  it('notices a deleted tail through the chain head', async () => {
    const tampered = await startTestBank();
    try {
      const owner = await tampered.user(uniqueName('owner'));
      await tampered.openAccount(owner, 'savings');
      const db = tampered.app.context.db;
      const intact = await verifyAuditChain(db);
      await sql`alter table audit_log disable trigger audit_log_append_only`.execute(db);
      await sql`delete from audit_log where seq = ${intact.headSeq}::int8`.execute(db);
      expect((await verifyAuditChain(db)).firstBroken).toEqual({ seq: intact.headSeq, problem: 'sequence_gap' });
    } finally {
      await tampered.close();
    }
  });
});
