/**
 * Money movement under concurrency, on a real PostgreSQL server through real HTTP: 32 clients
 * transfer at random among five accounts of three customers (some with Idempotency-Keys, retried
 * on purpose), and afterwards the money is all there, no balance is negative, the books pass the
 * integrity check and every acknowledged transfer is in the table exactly once. Then 32
 * concurrent withdrawals race for a small daily limit.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { formatAmount, parseAmount, currencyOf } from '../../src/core/money.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { randomGenerator } from '../support/random.js';

const INR = currencyOf('INR');
const CLIENTS = 32;
const RUN_MS = 5_000;
const OPERATIONS_MAX = 6_000;
const FUNDING = ['20000.00', '15000.00', '10000.00', '5000.00', '2500.00'] as const;

interface HttpReply {
  readonly status: number;
  readonly text: string;
  readonly body: any;
  readonly replayed: boolean;
}

interface AccountRef {
  readonly id: string;
  readonly number: string;
  readonly owner: Customer;
}

describe('concurrent money movement (PostgreSQL, real HTTP)', () => {
  let bank: TestBank;
  let baseUrl: string;
  let admin: Customer;
  let auditor: Customer;

  async function call(method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<HttpReply> {
    const response = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, text, body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  async function open(owner: Customer, type: 'savings' | 'checking' | 'wallet'): Promise<AccountRef> {
    const reply = await call('POST', '/api/v1/accounts', owner.token, { type });
    expect(reply.status, reply.text).toBe(201);
    return { id: reply.body.id, number: reply.body.number, owner };
  }

  async function balanceMinor(account: AccountRef): Promise<bigint> {
    const reply = await call('GET', `/api/v1/accounts/${account.id}/balance`, account.owner.token);
    expect(reply.status, reply.text).toBe(200);
    return parseAmount(reply.body.balance, INR, { allowZero: true, maxMinor: 10n ** 18n });
  }

  async function setDailyLimit(account: AccountRef, limit: string): Promise<void> {
    const reply = await call('PATCH', `/api/v1/admin/accounts/${account.id}/limits`, admin.token, { daily_limit: limit });
    expect(reply.status, reply.text).toBe(200);
    expect(reply.body.daily_limit).toBe(limit);
  }

  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl') });
    expect(bank.app.context.database.kind).toBe('postgres');
    baseUrl = await bank.app.http.listen({ port: 0, host: '127.0.0.1' });
    admin = await bank.user('adm', 'admin');
    auditor = await bank.user('aud', 'auditor');
  });
  afterAll(async () => bank?.close());

  it('keeps every rupee and every acknowledgement under 32 concurrent clients', { timeout: 60_000 }, async () => {
    const asha = await bank.user('asha');
    const ravi = await bank.user('ravi');
    const meera = await bank.user('meera');
    const accounts: AccountRef[] = [
      await open(asha, 'savings'),
      await open(asha, 'checking'),
      await open(ravi, 'wallet'),
      await open(ravi, 'savings'),
      await open(meera, 'checking'),
    ];
    // The default daily limits would turn some transfers into 429s; this test is about funds.
    for (const account of accounts) await setDailyLimit(account, '9999999999999.99');

    const fundedMinor = new Map<string, bigint>();
    for (const [index, account] of accounts.entries()) {
      const amount = FUNDING[index] ?? '0.00';
      const reply = await call('POST', '/api/v1/transactions/deposit', account.owner.token, { account_id: account.id, amount });
      expect(reply.status, reply.text).toBe(201);
      fundedMinor.set(account.id, parseAmount(amount, INR));
    }
    const totalMinor = [...fundedMinor.values()].reduce((sum, value) => sum + value, 0n);

    const seed = Number(process.env.KOSH_CONCURRENCY_SEED ?? Date.now() % 1_000_000);
    const deadline = Date.now() + RUN_MS;
    let operations = 0;
    const statuses = new Map<number, number>();
    const acknowledged = new Map<string, { from: string; to: string; amountMinor: bigint; text: string }>();
    let fresh201 = 0;
    const problems: string[] = [];

    const count = (reply: HttpReply) => statuses.set(reply.status, (statuses.get(reply.status) ?? 0) + 1);

    /** Records a reply to a transfer request and checks it is one of the expected outcomes. */
    function record(reply: HttpReply, from: AccountRef, to: AccountRef, amountMinor: bigint): void {
      count(reply);
      if (reply.status >= 500) problems.push(`${reply.status}: ${reply.text}`);
      if (reply.status === 201) {
        if (!reply.replayed) fresh201 += 1;
        const body = reply.body;
        const amount = parseAmount(body.amount, INR);
        if (body.type !== 'transfer' || body.from_account_id !== from.id || body.to_account_id !== to.id || amount !== amountMinor) {
          problems.push(`201 does not match its request: ${reply.text}`);
        }
        const known = acknowledged.get(body.id);
        if (known !== undefined && known.text !== reply.text) problems.push(`two different bodies for transfer ${body.id}`);
        if (known !== undefined && !reply.replayed) problems.push(`transfer ${body.id} acknowledged twice without a replay`);
        acknowledged.set(body.id, { from: from.id, to: to.id, amountMinor, text: reply.text });
      } else if (reply.status === 402) {
        if (reply.body?.code !== 'insufficient_funds') problems.push(`402 with ${reply.text}`);
      } else if (reply.status === 409) {
        // Only a concurrent twin of an idempotent request may be told to wait.
        if (reply.body?.code !== 'idempotency_key_in_use') problems.push(`409 with ${reply.text}`);
      } else {
        problems.push(`unexpected ${reply.status}: ${reply.text}`);
      }
    }

    async function client(clientIndex: number): Promise<void> {
      const random = randomGenerator(seed * 101 + clientIndex);
      let sequence = 0;
      while (Date.now() < deadline && operations < OPERATIONS_MAX) {
        operations += 1;
        sequence += 1;
        const fromIndex = Math.floor(random() * accounts.length);
        let toIndex = Math.floor(random() * (accounts.length - 1));
        if (toIndex >= fromIndex) toIndex += 1;
        const from = accounts[fromIndex];
        const to = accounts[toIndex];
        if (from === undefined || to === undefined) throw new Error('bad index');
        // Mostly modest amounts, sometimes more than any account holds.
        const amountMinor = BigInt(1 + Math.floor(random() * (random() < 0.7 ? 400_000 : 3_000_000)));
        const ownAccount = from.owner === to.owner;
        const body = {
          from_account_id: from.id,
          ...(ownAccount ? { to_account_id: to.id } : { to_account_number: to.number }),
          amount: formatAmount(amountMinor, INR),
        };
        const mode = random();
        if (mode < 0.7) {
          record(await call('POST', '/api/v1/transfers', from.owner.token, body), from, to, amountMinor);
          continue;
        }
        const headers = { 'idempotency-key': `c${clientIndex}-${seed}-${sequence}` };
        if (mode < 0.85) {
          // A client that retries after losing the response: the retry replays the first answer.
          const first = await call('POST', '/api/v1/transfers', from.owner.token, body, headers);
          record(first, from, to, amountMinor);
          const retry = await call('POST', '/api/v1/transfers', from.owner.token, body, headers);
          record(retry, from, to, amountMinor);
          if (first.status !== 409 && (retry.status !== first.status || retry.text !== first.text || !retry.replayed)) {
            problems.push(`retry of ${headers['idempotency-key']} was not a replay: ${first.status} ${first.text} / ${retry.status} ${retry.text}`);
          }
        } else {
          // An impatient client that sends the same request twice at once.
          const twins = await Promise.all([
            call('POST', '/api/v1/transfers', from.owner.token, body, headers),
            call('POST', '/api/v1/transfers', from.owner.token, body, headers),
          ]);
          // Record the original answer before its replay, whichever of the two requests got it.
          for (const twin of [...twins].sort((a, b) => Number(a.replayed) - Number(b.replayed))) record(twin, from, to, amountMinor);
          const processed = twins.filter((twin) => twin.status !== 409);
          if (processed.length === 2 && processed.filter((twin) => !twin.replayed).length !== 1) {
            problems.push(`twins of ${headers['idempotency-key']} were both processed`);
          }
          if (processed.length === 2 && processed[0]?.text !== processed[1]?.text) {
            problems.push(`twins of ${headers['idempotency-key']} got different answers`);
          }
        }
      }
    }

    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => client(index)));

    expect(problems, `seed ${seed}`).toEqual([]);
    const summary = Object.fromEntries(statuses);
    // The run must have been a real contest: many successes and many refusals.
    expect(acknowledged.size, JSON.stringify(summary)).toBeGreaterThan(100);
    expect(statuses.get(402) ?? 0, JSON.stringify(summary)).toBeGreaterThan(20);
    expect([...statuses.keys()].filter((status) => status >= 500)).toEqual([]);
    expect(fresh201).toBe(acknowledged.size);

    // Every rupee is still there and no balance is negative.
    const balances = new Map<string, bigint>();
    for (const account of accounts) balances.set(account.id, await balanceMinor(account));
    const sum = [...balances.values()].reduce((total, value) => total + value, 0n);
    expect(sum).toBe(totalMinor);
    for (const [id, balance] of balances) expect(balance >= 0n, `${id} holds ${balance}`).toBe(true);

    // Each balance is what replaying the acknowledged transfers gives.
    const derived = new Map(fundedMinor);
    for (const transfer of acknowledged.values()) {
      derived.set(transfer.from, (derived.get(transfer.from) ?? 0n) - transfer.amountMinor);
      derived.set(transfer.to, (derived.get(transfer.to) ?? 0n) + transfer.amountMinor);
    }
    expect(Object.fromEntries(balances)).toEqual(Object.fromEntries(derived));

    // The table holds exactly the acknowledged transfers.
    const db = bank.app.context.db;
    const counted = await sql<{ n: bigint }>`select count(*) as n from transfers where kind = 'transfer'`.execute(db);
    expect(counted.rows[0]?.n).toBe(BigInt(acknowledged.size));
    const rows = await sql<{ id: string; from_account_id: string; to_account_id: string; amount_minor: bigint }>`
      select id, from_account_id, to_account_id, amount_minor from transfers where kind = 'transfer'`.execute(db);
    for (const row of rows.rows) {
      const transfer = acknowledged.get(row.id);
      expect(transfer, `transfer ${row.id} was never acknowledged`).toBeDefined();
      expect([row.from_account_id, row.to_account_id, row.amount_minor]).toEqual([transfer?.from, transfer?.to, transfer?.amountMinor]);
    }

    // The books pass the integrity check, asked for over HTTP by an auditor.
    const integrity = await call('GET', '/api/v1/admin/ledger/integrity', auditor.token);
    expect(integrity.status, integrity.text).toBe(200);
    expect(integrity.body.ok).toBe(true);
    expect(integrity.body.problems).toEqual([]);
  });

  it('never lets concurrent withdrawals exceed the daily limit', { timeout: 30_000 }, async () => {
    const owner = await bank.user('limited');
    const account = await open(owner, 'savings');
    const deposit = await call('POST', '/api/v1/transactions/deposit', owner.token, { account_id: account.id, amount: '50000.00' });
    expect(deposit.status, deposit.text).toBe(201);
    const limitMinor = parseAmount('1000.00', INR);
    await setDailyLimit(account, '1000.00');

    // 32 withdrawals of 45.00 to 144.00 (about 3000.00 in all): only some fit under 1000.00.
    const amounts = Array.from({ length: CLIENTS }, (_, index) => 4_500n + BigInt((index * 37) % 100) * 100n);
    const replies = await Promise.all(
      amounts.map((amountMinor) =>
        call('POST', '/api/v1/transactions/withdraw', owner.token, { account_id: account.id, amount: formatAmount(amountMinor, INR) }),
      ),
    );

    let acceptedMinor = 0n;
    const refusedAmounts: bigint[] = [];
    for (const [index, reply] of replies.entries()) {
      const amountMinor = amounts[index] ?? 0n;
      if (reply.status === 201) {
        acceptedMinor += amountMinor;
      } else {
        expect(reply.status, reply.text).toBe(429);
        expect(reply.body.code).toBe('daily_limit_exceeded');
        refusedAmounts.push(amountMinor);
      }
    }
    expect(acceptedMinor <= limitMinor, `accepted ${formatAmount(acceptedMinor, INR)} over a limit of 1000.00`).toBe(true);
    expect(acceptedMinor).toBeGreaterThan(0n);
    expect(refusedAmounts.length).toBeGreaterThan(0);
    // No false refusals: every refused withdrawal would still not fit after all the accepted ones.
    for (const amountMinor of refusedAmounts) expect(acceptedMinor + amountMinor > limitMinor, `refused ${amountMinor}`).toBe(true);

    expect(await balanceMinor(account)).toBe(parseAmount('50000.00', INR) - acceptedMinor);
    const limits = await call('GET', `/api/v1/accounts/${account.id}/limits`, owner.token);
    expect(limits.status, limits.text).toBe(200);
    expect(limits.body.used_today).toBe(formatAmount(acceptedMinor, INR));
    expect(limits.body.remaining).toBe(formatAmount(limitMinor - acceptedMinor, INR));

    // A second wave (transfers count too) cannot push past the limit either.
    const other = await open(owner, 'wallet');
    const wave = await Promise.all(
      Array.from({ length: CLIENTS }, () =>
        call('POST', '/api/v1/transfers', owner.token, { from_account_id: account.id, to_account_id: other.id, amount: '10.00' }),
      ),
    );
    for (const reply of wave) {
      expect([201, 429], reply.text).toContain(reply.status);
      if (reply.status === 429) expect(reply.body.code).toBe('daily_limit_exceeded');
    }
    const acceptedWave = BigInt(wave.filter((reply) => reply.status === 201).length);
    // Exactly as many 10.00 transfers as fit in what remained are accepted.
    const fitting = (limitMinor - acceptedMinor) / 1_000n;
    expect(acceptedWave).toBe(fitting < BigInt(CLIENTS) ? fitting : BigInt(CLIENTS));
    expect(acceptedMinor + acceptedWave * 1_000n <= limitMinor).toBe(true);

    const integrity = await call('GET', '/api/v1/admin/ledger/integrity', auditor.token);
    expect(integrity.body).toMatchObject({ ok: true, problems: [] });
  });
});
