/**
 * The Jepsen "bank" workload through the HTTP API on a real PostgreSQL server. A fixed amount of
 * money sits in a few accounts; 64 clients move it around at random (amounts up to 5% of the total,
 * so many transfers are refused for insufficient funds) while 4 readers keep reading every balance
 * in one snapshot. Every read must add up to the total and show no negative balance; afterwards the
 * books pass the integrity check, each balance is the replay of the acknowledged transfers, and the
 * transfers table holds exactly the acknowledged transfers. Run twice: 8 accounts, and 2 accounts
 * (all contention on one pair).
 *
 * KOSH_BANK_SEED replays a run; KOSH_BANK_OPERATIONS overrides the number of transfers per variant.
 */
import { sql } from 'kysely';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { currencyOf, formatAmount, parseAmount } from '../../src/core/money.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { randomGenerator, sleep } from '../support/random.js';

const INR = currencyOf('INR');
const CLIENTS = 64;
const READERS = 4;
/** KOSH_BANK_OPERATIONS overrides the transfers per variant (tuned for 20 to 30 seconds on two cores). */
const OPERATIONS_OVERRIDE = process.env.KOSH_BANK_OPERATIONS === undefined ? undefined : Number(process.env.KOSH_BANK_OPERATIONS);
const NO_DAILY_LIMITS = { DAILY_LIMIT_SAVINGS: '9999999999999.99', DAILY_LIMIT_CHECKING: '9999999999999.99', DAILY_LIMIT_WALLET: '9999999999999.99' };
const PROBLEMS_SHOWN = 25;

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

interface Acknowledged {
  readonly from: string;
  readonly to: string;
  readonly amountMinor: bigint;
  readonly text: string;
}

/** Minor units of a decimal amount string, negative ones included. */
function signedMinor(text: string): bigint {
  const negative = text.startsWith('-');
  const minor = parseAmount(negative ? text.slice(1) : text, INR, { allowZero: true, maxMinor: 10n ** 18n });
  return negative ? -minor : minor;
}

function describeError(error: unknown): string {
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  return `${(error as Error).message}${cause === undefined ? '' : ` (${cause.code ?? cause.message ?? String(cause)})`}`;
}

describe('bank workload (PostgreSQL, real HTTP)', () => {
  let bank: TestBank | undefined;
  afterEach(async () => {
    await bank?.close();
    bank = undefined;
  });

  async function runBank(variant: string, funding: readonly string[], accountsPerOwner: number, operations: number): Promise<void> {
    const operationCount = OPERATIONS_OVERRIDE ?? operations;
    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: NO_DAILY_LIMITS });
    const testBank = bank;
    expect(testBank.app.context.database.kind).toBe('postgres');
    const baseUrl = await testBank.app.http.listen({ port: 0, host: '127.0.0.1' });
    const auditor = await testBank.user('auditor', 'auditor');

    async function call(method: string, path: string, token: string, body?: unknown): Promise<HttpReply> {
      const response = await fetch(`${baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
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

    // Accounts: `accountsPerOwner` per customer, so that both own-account (by id) and other-customer
    // (by number) transfers happen when there is more than one per owner.
    const accounts: AccountRef[] = [];
    for (let index = 0; index < funding.length; index += 1) {
      const owner = index % accountsPerOwner === 0 ? await testBank.user(`cust${index}`) : (accounts[index - 1]?.owner as Customer);
      const opened = await call('POST', '/api/v1/accounts', owner.token, { type: 'savings' });
      expect(opened.status, opened.text).toBe(201);
      accounts.push({ id: opened.body.id, number: opened.body.number, owner });
    }
    const fundedMinor = new Map<string, bigint>();
    for (const [index, account] of accounts.entries()) {
      const amount = funding[index] as string;
      const reply = await call('POST', '/api/v1/transactions/deposit', account.owner.token, { account_id: account.id, amount });
      expect(reply.status, reply.text).toBe(201);
      fundedMinor.set(account.id, parseAmount(amount, INR));
    }
    const totalMinor = [...fundedMinor.values()].reduce((sum, value) => sum + value, 0n);
    const amountMaxMinor = totalMinor / 20n;
    const snapshotPath = `/api/v1/admin/ledger/balances?account_ids=${accounts.map((account) => account.id).join(',')}`;

    const seed = Number(process.env.KOSH_BANK_SEED ?? Date.now() % 1_000_000);
    const statuses = new Map<string, number>();
    const count = (label: string) => statuses.set(label, (statuses.get(label) ?? 0) + 1);
    const problems: string[] = [];
    const problem = (message: string) => {
      if (problems.length < 1000) problems.push(message);
    };
    const acknowledged = new Map<string, Acknowledged>();
    let fresh201 = 0;
    let unkeyed503 = 0;
    let started = 0;
    let writersDone = false;
    let reads = 0;
    let readRetries = 0;

    /** One transfer: unkeyed ones are sent once; keyed ones are retried with the same key on 503. */
    async function transferOnce(clientIndex: number, sequence: number, random: () => number): Promise<void> {
      const fromIndex = Math.floor(random() * accounts.length);
      let toIndex = Math.floor(random() * (accounts.length - 1));
      if (toIndex >= fromIndex) toIndex += 1;
      const from = accounts[fromIndex] as AccountRef;
      const to = accounts[toIndex] as AccountRef;
      const amountMinor = 1n + BigInt(Math.floor(random() * Number(amountMaxMinor)));
      const body = {
        from_account_id: from.id,
        ...(from.owner === to.owner ? { to_account_id: to.id } : { to_account_number: to.number }),
        amount: formatAmount(amountMinor, INR),
      };
      const key = random() < 0.5 ? `bank-${seed}-${clientIndex}-${sequence}` : undefined;
      for (let attempt = 1; ; attempt += 1) {
        let reply: HttpReply;
        try {
          reply = await callTransfer(from.owner.token, body, key);
        } catch (error) {
          count('fetch_error');
          problem(`transfer request failed: ${describeError(error)}`);
          return;
        }
        count(String(reply.status));
        if (reply.status === 201) {
          const created = reply.body;
          if (!reply.replayed) fresh201 += 1;
          if (created?.type !== 'transfer' || created.from_account_id !== from.id || created.to_account_id !== to.id || created.amount !== body.amount) {
            problem(`201 does not match its request ${JSON.stringify(body)}: ${reply.text}`);
          }
          const known = acknowledged.get(created.id);
          if (known !== undefined && (!reply.replayed || known.text !== reply.text)) problem(`transfer ${created.id} acknowledged twice: ${reply.text}`);
          acknowledged.set(created.id, { from: from.id, to: to.id, amountMinor, text: reply.text });
          return;
        }
        if (reply.status === 402) {
          if (reply.body?.code !== 'insufficient_funds') problem(`402 with ${reply.text}`);
          return;
        }
        if (reply.status === 503) {
          // Not acknowledged: a keyed transfer is retried with its key, an unkeyed one is dropped.
          if (key === undefined) {
            unkeyed503 += 1;
            return;
          }
          if (attempt >= 50) {
            problem(`keyed transfer ${key} still 503 after ${attempt} attempts`);
            return;
          }
          await sleep(50 + random() * 150);
          continue;
        }
        problem(`unexpected ${reply.status} for ${JSON.stringify(body)}: ${reply.text}`);
        return;
      }
    }

    async function callTransfer(token: string, body: unknown, key: string | undefined): Promise<HttpReply> {
      const response = await fetch(`${baseUrl}/api/v1/transfers`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await response.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.status, text, body: parsed, replayed: response.headers.get('idempotent-replayed') === 'true' };
    }

    async function writer(clientIndex: number): Promise<void> {
      const random = randomGenerator(seed * 1009 + clientIndex);
      let sequence = 0;
      while (started < operationCount) {
        started += 1;
        sequence += 1;
        await transferOnce(clientIndex, sequence, random);
      }
    }

    /** Reads all balances in one snapshot, over and over, until the writers are done. */
    async function reader(readerIndex: number): Promise<void> {
      let lastAsOf = '';
      while (!writersDone) {
        let reply: HttpReply;
        try {
          reply = await call('GET', snapshotPath, auditor.token);
        } catch (error) {
          count('read_fetch_error');
          problem(`reader ${readerIndex}: request failed: ${describeError(error)}`);
          await sleep(50);
          continue;
        }
        if (reply.status === 503) {
          readRetries += 1;
          await sleep(50);
          continue;
        }
        if (reply.status !== 200) {
          count(`read_${reply.status}`);
          problem(`reader ${readerIndex}: ${reply.status} ${reply.text}`);
          continue;
        }
        reads += 1;
        const balances: { account_id: string; balance: string; currency: string; status: string }[] = reply.body.balances;
        if (balances.length !== accounts.length) {
          problem(`reader ${readerIndex}: ${balances.length} balances instead of ${accounts.length}: ${reply.text}`);
          continue;
        }
        let sum = 0n;
        for (const [index, line] of balances.entries()) {
          const minor = signedMinor(line.balance);
          if (line.account_id !== accounts[index]?.id) problem(`reader ${readerIndex}: balances out of order: ${reply.text}`);
          if (minor < 0n) problem(`reader ${readerIndex}: negative balance at ${reply.body.as_of}: ${reply.text}`);
          if (line.currency !== 'INR' || line.status !== 'active') problem(`reader ${readerIndex}: odd account line ${JSON.stringify(line)}`);
          sum += minor;
        }
        if (sum !== totalMinor) {
          problem(`reader ${readerIndex}: snapshot at ${reply.body.as_of} sums to ${formatAmount(sum, INR)}, not ${formatAmount(totalMinor, INR)}: ${reply.text}`);
        }
        // Within one reader, snapshots never go back in time.
        if (reply.body.as_of < lastAsOf) problem(`reader ${readerIndex}: as_of went back from ${lastAsOf} to ${reply.body.as_of}`);
        lastAsOf = reply.body.as_of;
      }
    }

    const startedAt = performance.now();
    const readers = Array.from({ length: READERS }, (_, index) => reader(index));
    await Promise.all(Array.from({ length: CLIENTS }, (_, index) => writer(index)));
    const writeSeconds = (performance.now() - startedAt) / 1000;
    writersDone = true;
    await Promise.all(readers);
    const elapsedSeconds = (performance.now() - startedAt) / 1000;

    const summary = {
      variant,
      seed,
      accounts: accounts.length,
      clients: CLIENTS,
      readers: READERS,
      transfers: operationCount,
      seconds: Number(elapsedSeconds.toFixed(1)),
      transfers_per_second: Math.round(operationCount / writeSeconds),
      snapshot_reads: reads,
      reads_per_second: Math.round(reads / elapsedSeconds),
      read_503_retries: readRetries,
      acknowledged: acknowledged.size,
      unkeyed_503: unkeyed503,
      statuses: Object.fromEntries([...statuses].sort()),
    };
    console.log(`bank workload: ${JSON.stringify(summary)}`);
    const context = `seed ${seed}: ${JSON.stringify(summary)}`;

    expect(problems.slice(0, PROBLEMS_SHOWN), `${problems.length} problem(s), ${context}`).toEqual([]);
    // No 5xx other than 503 (a 500 is a bug), and the run was a real contest.
    expect([...statuses.keys()].filter((status) => /^5/.test(status) && status !== '503'), context).toEqual([]);
    expect(reads, context).toBeGreaterThan(50);
    expect(acknowledged.size, context).toBeGreaterThan(operationCount / 10);
    expect(statuses.get('402') ?? 0, context).toBeGreaterThan(operationCount / 400);

    // The final state: one snapshot of every balance.
    const final = await call('GET', snapshotPath, auditor.token);
    expect(final.status, final.text).toBe(200);
    const balances = new Map<string, bigint>(
      final.body.balances.map((line: { account_id: string; balance: string }) => [line.account_id, signedMinor(line.balance)]),
    );
    const sum = [...balances.values()].reduce((total, value) => total + value, 0n);
    expect(formatAmount(sum, INR), context).toBe(formatAmount(totalMinor, INR));

    // Each balance is the replay of the acknowledged transfers.
    const derived = new Map(fundedMinor);
    for (const transfer of acknowledged.values()) {
      derived.set(transfer.from, (derived.get(transfer.from) ?? 0n) - transfer.amountMinor);
      derived.set(transfer.to, (derived.get(transfer.to) ?? 0n) + transfer.amountMinor);
    }
    expect(Object.fromEntries(balances), context).toEqual(Object.fromEntries(derived));

    // The transfers table holds the acknowledged transfers, each once, and nothing else.
    const db = testBank.app.context.db;
    const rows = await sql<{ id: string; from_account_id: string; to_account_id: string; amount_minor: bigint }>`
      select id, from_account_id, to_account_id, amount_minor from transfers where kind = 'transfer'`.execute(db);
    expect(fresh201, `fresh 201s vs acknowledged ids, ${context}`).toBe(acknowledged.size);
    expect(rows.rows.length, `transfer rows vs fresh 201s (${unkeyed503} unkeyed 503s), ${context}`).toBe(fresh201);
    const unacknowledged: string[] = [];
    for (const row of rows.rows) {
      const transfer = acknowledged.get(row.id);
      if (transfer === undefined) unacknowledged.push(row.id);
      else expect([row.from_account_id, row.to_account_id, row.amount_minor]).toEqual([transfer.from, transfer.to, transfer.amountMinor]);
    }
    expect(unacknowledged, 'transfer rows that were never acknowledged').toEqual([]);
    const entries = await sql<{ n: bigint }>`select count(*) as n from journal_entries where kind = 'transfer'`.execute(db);
    expect(entries.rows[0]?.n).toBe(BigInt(fresh201));

    const integrity = await call('GET', '/api/v1/admin/ledger/integrity', auditor.token);
    expect(integrity.status, integrity.text).toBe(200);
    expect(integrity.body, integrity.text).toMatchObject({ ok: true, problems: [] });
  }

  it('8 accounts: every snapshot adds up and every acknowledged transfer is in the books', { timeout: 180_000 }, async () => {
    await runBank('8 accounts', ['22000.00', '16000.00', '12000.00', '10000.00', '8000.00', '6500.00', '4000.00', '1500.00'], 2, 12_000);
  });

  it('2 accounts: all contention on one pair', { timeout: 180_000 }, async () => {
    await runBank('2 accounts', ['13000.00', '7000.00'], 1, 10_000);
  });
});
