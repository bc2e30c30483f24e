/**
 * An idempotency storm on a real PostgreSQL server through real HTTP: 2,000 logical transfers, each
 * sent three times at once with the same Idempotency-Key and body, 64 logical transfers (192
 * requests) in flight. Each key must move money exactly once: one fresh 201, every other 2xx a
 * byte-identical replay, every other reply a 409 idempotency_key_in_use (retried until replayed).
 * Afterwards the table holds exactly 2,000 transfers with one journal entry each, the balances are
 * the replay of those transfers, and a key sent again with a different body is refused with 422.
 *
 * KOSH_STORM_SEED replays the random choices.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { currencyOf, formatAmount, parseAmount } from '../../src/core/money.js';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { randomGenerator, sleep } from '../support/random.js';

const INR = currencyOf('INR');
const LOGICAL_TRANSFERS = 2_000;
const COPIES = 3;
const IN_FLIGHT = 64;
const CUSTOMERS = 4;
const ACCOUNTS_PER_CUSTOMER = 2;
const FUNDING = '50000.00';
/** Small amounts: even if every transfer left one account, it could pay them all (no 402). */
const AMOUNT_MAX_MINOR = 2_000; // 20.00 × 2,000 = 40,000.00 < 50,000.00
const NO_DAILY_LIMITS = { DAILY_LIMIT_SAVINGS: '9999999999999.99', DAILY_LIMIT_CHECKING: '9999999999999.99', DAILY_LIMIT_WALLET: '9999999999999.99' };
const PROBLEMS_SHOWN = 25;
/** Retries of a key whose three copies all got 409 (or 503), until one is replayed. */
const RETRIES_MAX = 200;

interface HttpReply {
  readonly status: number;
  readonly text: string;
  readonly body: any;
  readonly replayed: boolean;
  readonly retryAfter: string | null;
}

interface AccountRef {
  readonly id: string;
  readonly number: string;
  readonly owner: Customer;
}

interface Logical {
  readonly key: string;
  readonly token: string;
  readonly from: AccountRef;
  readonly to: AccountRef;
  readonly amountMinor: bigint;
  readonly body: Record<string, string>;
  readonly replies: HttpReply[];
}

describe('idempotency storm (PostgreSQL, real HTTP)', () => {
  let bank: TestBank;
  let baseUrl: string;
  let accounts: AccountRef[];
  const seed = Number(process.env.KOSH_STORM_SEED ?? Date.now() % 1_000_000);
  const logicals: Logical[] = [];
  const statuses = new Map<string, number>();
  const fetchErrors: string[] = [];

  async function post(path: string, token: string, body: unknown, key: string): Promise<HttpReply> {
    const response = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'idempotency-key': key },
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
    return {
      status: response.status,
      text,
      body: parsed,
      replayed: response.headers.get('idempotent-replayed') === 'true',
      retryAfter: response.headers.get('retry-after'),
    };
  }

  /** Sends one copy; a failure to get any HTTP answer is recorded and counts as no answer. */
  async function send(logical: Logical): Promise<HttpReply | undefined> {
    try {
      const reply = await post('/api/v1/transfers', logical.token, logical.body, logical.key);
      const label = reply.replayed ? `${reply.status} replayed` : String(reply.status);
      statuses.set(label, (statuses.get(label) ?? 0) + 1);
      logical.replies.push(reply);
      return reply;
    } catch (error) {
      statuses.set('fetch_error', (statuses.get('fetch_error') ?? 0) + 1);
      fetchErrors.push(`${logical.key}: ${(error as Error).message} ${String((error as { cause?: unknown }).cause)}`);
      return undefined;
    }
  }

  beforeAll(async () => {
    bank = await startTestBank({ postgresUrl: inject('postgresUrl'), env: NO_DAILY_LIMITS });
    expect(bank.app.context.database.kind).toBe('postgres');
    baseUrl = await bank.app.http.listen({ port: 0, host: '127.0.0.1' });
    accounts = [];
    for (let customer = 0; customer < CUSTOMERS; customer += 1) {
      const owner = await bank.user(`storm${customer}`);
      for (let index = 0; index < ACCOUNTS_PER_CUSTOMER; index += 1) {
        const account = await bank.openAccount(owner, 'savings');
        const deposit = await bank.deposit(owner, account.id, FUNDING);
        expect(deposit.status, deposit.text).toBe(201);
        accounts.push({ id: account.id, number: account.number, owner });
      }
    }
  });
  afterAll(async () => bank?.close());

  it(`${LOGICAL_TRANSFERS} logical transfers × ${COPIES} simultaneous copies move money exactly once each`, { timeout: 180_000 }, async () => {
    const random = randomGenerator(seed);
    for (let index = 0; index < LOGICAL_TRANSFERS; index += 1) {
      const fromIndex = Math.floor(random() * accounts.length);
      let toIndex = Math.floor(random() * (accounts.length - 1));
      if (toIndex >= fromIndex) toIndex += 1;
      const from = accounts[fromIndex] as AccountRef;
      const to = accounts[toIndex] as AccountRef;
      const amountMinor = 1n + BigInt(Math.floor(random() * AMOUNT_MAX_MINOR));
      const key = `storm-${seed}-${index}`;
      logicals.push({
        key,
        token: from.owner.token,
        from,
        to,
        amountMinor,
        body: {
          from_account_id: from.id,
          ...(from.owner === to.owner ? { to_account_id: to.id } : { to_account_number: to.number }),
          amount: formatAmount(amountMinor, INR),
          description: key,
        },
        replies: [],
      });
    }

    let retries = 0;
    let next = 0;
    const unsettled: string[] = [];
    async function worker(): Promise<void> {
      while (next < logicals.length) {
        const logical = logicals[next] as Logical;
        next += 1;
        const first = await Promise.all(Array.from({ length: COPIES }, () => send(logical)));
        let settled = first.some((reply) => reply !== undefined && reply.status !== 409 && reply.status !== 503);
        // Every copy was told to wait (its twin was still running): retry until the answer is replayed.
        for (let attempt = 1; !settled && attempt <= RETRIES_MAX; attempt += 1) {
          retries += 1;
          await sleep(10 + Math.random() * 40);
          const reply = await send(logical);
          settled = reply !== undefined && reply.status !== 409 && reply.status !== 503;
        }
        if (!settled) unsettled.push(logical.key);
      }
    }
    const startedAt = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, () => worker()));
    const seconds = (performance.now() - startedAt) / 1000;
    const requests = [...statuses.values()].reduce((sum, value) => sum + value, 0);

    // Per key: exactly one fresh 201; every 2xx byte-identical; the rest 409 idempotency_key_in_use (or 503).
    const problems: string[] = [];
    const problem = (message: string) => {
      if (problems.length < 1000) problems.push(message);
    };
    let keysWith409 = 0;
    for (const logical of logicals) {
      const successes = logical.replies.filter((reply) => reply.status >= 200 && reply.status < 300);
      const fresh = successes.filter((reply) => !reply.replayed);
      if (fresh.length !== 1) problem(`${logical.key}: ${fresh.length} fresh 2xx answers (${logical.replies.map((reply) => reply.status).join(',')})`);
      const texts = new Set(successes.map((reply) => reply.text));
      if (texts.size > 1) problem(`${logical.key}: different 2xx bodies: ${[...texts].join(' | ')}`);
      for (const reply of successes) {
        if (reply.status !== 201) problem(`${logical.key}: ${reply.status} instead of 201: ${reply.text}`);
      }
      const created = successes[0]?.body;
      if (
        created !== undefined &&
        (created.type !== 'transfer' ||
          created.from_account_id !== logical.from.id ||
          created.to_account_id !== logical.to.id ||
          created.amount !== logical.body.amount ||
          created.description !== logical.key)
      ) {
        problem(`${logical.key}: 201 does not match its request ${JSON.stringify(logical.body)}: ${successes[0]?.text}`);
      }
      let saw409 = false;
      for (const reply of logical.replies) {
        // A replay is the key's stored answer, which here is always the one 201: a refusal marked as a
        // replay would tell a client that this refusal is final.
        if (reply.replayed && (reply.status !== 201 || reply.text !== fresh[0]?.text)) {
          problem(`${logical.key}: ${reply.status} marked idempotent-replayed but it is not the key's answer: ${reply.text}`);
        }
        if (reply.status >= 200 && reply.status < 300) continue;
        if (reply.status === 409 && reply.body?.code === 'idempotency_key_in_use') {
          saw409 = true;
          if (reply.retryAfter === null) problem(`${logical.key}: 409 without Retry-After`);
          continue;
        }
        if (reply.status === 503) continue; // overloaded: not an answer, retried
        problem(`${logical.key}: unexpected ${reply.status}: ${reply.text}`);
      }
      if (saw409) keysWith409 += 1;
    }

    const summary = JSON.stringify({
      seed,
      logical_transfers: LOGICAL_TRANSFERS,
      copies: COPIES,
      in_flight_requests: IN_FLIGHT * COPIES,
      requests,
      retries_after_409: retries,
      keys_with_409: keysWith409,
      seconds: Number(seconds.toFixed(1)),
      requests_per_second: Math.round(requests / seconds),
      logical_transfers_per_second: Math.round(LOGICAL_TRANSFERS / seconds),
      statuses: Object.fromEntries([...statuses].sort()),
    });
    console.log(`idempotency storm: ${summary}`);
    expect(fetchErrors.slice(0, PROBLEMS_SHOWN), summary).toEqual([]);
    expect(unsettled.slice(0, PROBLEMS_SHOWN), `logical transfers never answered, ${summary}`).toEqual([]);
    expect(problems.slice(0, PROBLEMS_SHOWN), `${problems.length} problem(s), ${summary}`).toEqual([]);
    expect([...statuses.keys()].filter((status) => /^5/.test(status) && status !== '503'), summary).toEqual([]);

    // Exactly one transfer per key in the books, each with one journal entry.
    const db = bank.app.context.db;
    const rows = (
      await sql<{ id: string; description: string | null; from_account_id: string; to_account_id: string; amount_minor: bigint; entry_id: string }>`
        select id, description, from_account_id, to_account_id, amount_minor, entry_id from transfers where kind = 'transfer'`.execute(db)
    ).rows;
    expect(rows.length, summary).toBe(LOGICAL_TRANSFERS);
    const byKey = new Map(logicals.map((logical) => [logical.key, logical]));
    const mismatched: string[] = [];
    for (const row of rows) {
      const logical = row.description === null ? undefined : byKey.get(row.description);
      const acknowledgedId = logical?.replies.find((reply) => reply.status === 201)?.body?.id;
      if (logical === undefined || acknowledgedId !== row.id || row.from_account_id !== logical.from.id || row.to_account_id !== logical.to.id || row.amount_minor !== logical.amountMinor) {
        mismatched.push(`${row.id} (${row.description})`);
      }
    }
    expect(mismatched.slice(0, PROBLEMS_SHOWN), `${mismatched.length} rows that are not the acknowledged transfer of their key`).toEqual([]);
    const duplicated = await sql`select description from transfers where kind = 'transfer' group by description having count(*) > 1`.execute(db);
    expect(duplicated.rows).toEqual([]);
    const entries = await sql<{ kind: string; n: bigint }>`select kind, count(*) as n from journal_entries group by kind order by kind`.execute(db);
    expect(Object.fromEntries(entries.rows.map((row) => [row.kind, row.n]))).toEqual({ deposit: BigInt(accounts.length), transfer: BigInt(LOGICAL_TRANSFERS) });
    const entryIds = new Set(rows.map((row) => row.entry_id));
    expect(entryIds.size).toBe(LOGICAL_TRANSFERS);

    // Balances are the replay of the 2,000 transfers; the books are right.
    const ids = accounts.map((account) => account.id);
    const balances = await sql<{ id: string; balance_minor: bigint }>`
      select id, balance_minor from ledger_accounts where id = any(${ids}::uuid[])`.execute(db);
    const derived = new Map(accounts.map((account) => [account.id, parseAmount(FUNDING, INR)]));
    for (const logical of logicals) {
      derived.set(logical.from.id, (derived.get(logical.from.id) ?? 0n) - logical.amountMinor);
      derived.set(logical.to.id, (derived.get(logical.to.id) ?? 0n) + logical.amountMinor);
    }
    expect(Object.fromEntries(balances.rows.map((row) => [row.id, row.balance_minor]))).toEqual(Object.fromEntries(derived));
    expect(await bank.integrity()).toEqual([]);
  });

  it('refuses a used key with a different body (422 idempotency_key_reused) and still replays the original', { timeout: 60_000 }, async () => {
    expect(logicals.length, 'runs after the storm').toBe(LOGICAL_TRANSFERS);
    const sample = logicals.filter((_, index) => index % 40 === 0); // 50 keys
    const replies = await Promise.all(
      sample.map(async (logical) => {
        const changed = { ...logical.body, amount: formatAmount(logical.amountMinor + 1n, INR) };
        const reused = await post('/api/v1/transfers', logical.token, changed, logical.key);
        const otherDescription = await post('/api/v1/transfers', logical.token, { ...logical.body, description: `${logical.key}-other` }, logical.key);
        const replay = await post('/api/v1/transfers', logical.token, logical.body, logical.key);
        return { logical, reused, otherDescription, replay };
      }),
    );
    for (const { logical, reused, otherDescription, replay } of replies) {
      for (const reply of [reused, otherDescription]) {
        expect({ status: reply.status, code: reply.body?.code }, `${logical.key}: ${reply.text}`).toEqual({ status: 422, code: 'idempotency_key_reused' });
        expect(reply.replayed).toBe(false);
      }
      const original = logical.replies.find((reply) => reply.status === 201);
      expect(replay.status, replay.text).toBe(201);
      expect(replay.replayed).toBe(true);
      expect(replay.text).toBe(original?.text);
    }
    const counted = await sql<{ n: bigint }>`select count(*) as n from transfers where kind = 'transfer'`.execute(bank.app.context.db);
    expect(counted.rows[0]?.n).toBe(BigInt(LOGICAL_TRANSFERS));
    expect(await bank.integrity()).toEqual([]);
  });
});
