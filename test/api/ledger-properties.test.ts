/**
 * Property-based test of the real ledger through the HTTP API (PGlite): random sequences of
 * deposits, withdrawals, transfers among four accounts of two customers, freezes and unfreezes (by
 * the owner and by the bank) and admin reversals. A model predicts every reply; after each
 * sequence the balances are the model's, the customers' total is deposits minus withdrawals
 * (net of reversals), and the books pass the integrity check.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currencyOf, formatAmount, parseAmount } from '../../src/core/money.js';
import { startTestBank, type Customer, type Reply, type TestBank } from '../support/bank.js';

const INR = currencyOf('INR');

type Operation =
  | { readonly kind: 'deposit'; readonly account: number; readonly amount: bigint }
  | { readonly kind: 'withdraw'; readonly account: number; readonly amount: bigint }
  | { readonly kind: 'transfer'; readonly from: number; readonly to: number; readonly amount: bigint }
  | { readonly kind: 'freeze'; readonly account: number; readonly frozen: boolean; readonly byBank: boolean }
  | { readonly kind: 'reverse'; readonly pick: number };

interface ModelAccount {
  readonly id: string;
  readonly number: string;
  readonly owner: Customer;
  balance: bigint;
  status: 'active' | 'frozen';
  frozenByBank: boolean;
}

interface Movement {
  readonly id: string;
  readonly kind: 'deposit' | 'withdrawal' | 'transfer' | 'reversal';
  readonly from: ModelAccount | null;
  readonly to: ModelAccount | null;
  readonly amount: bigint;
  status: 'posted' | 'reversed';
}

interface Expected {
  readonly status: number;
  readonly code?: string;
}

const ACCOUNTS = 4;
// Up to 3000.00 per movement: 25 movements stay under the default daily limits of savings and
// checking accounts (200000.00 and 500000.00), so refusals come from funds and statuses only.
const amount = fc.oneof(fc.bigInt({ min: 1n, max: 300_000n }), fc.bigInt({ min: 1n, max: 5_000n }));
const accountIndex = fc.integer({ min: 0, max: ACCOUNTS - 1 });
const operation: fc.Arbitrary<Operation> = fc.oneof(
  { arbitrary: fc.record({ kind: fc.constant('deposit' as const), account: accountIndex, amount }), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('withdraw' as const), account: accountIndex, amount }), weight: 3 },
  {
    arbitrary: fc.record({ kind: fc.constant('transfer' as const), from: accountIndex, to: accountIndex, amount }).filter((op) => op.from !== op.to),
    weight: 5,
  },
  { arbitrary: fc.record({ kind: fc.constant('freeze' as const), account: accountIndex, frozen: fc.boolean(), byBank: fc.boolean() }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('reverse' as const), pick: fc.nat() }), weight: 2 },
);

/** A hand-written sequence run first, so that every refusal path is exercised at least once. */
const coverageExample: Operation[] = [
  { kind: 'deposit', account: 0, amount: 100_000n }, // movement 0
  { kind: 'transfer', from: 0, to: 2, amount: 40_000n }, // movement 1: to another customer, by number
  { kind: 'transfer', from: 0, to: 1, amount: 10_000n }, // movement 2: between own accounts, by id
  { kind: 'withdraw', account: 2, amount: 50_000n }, // 402 insufficient_funds
  { kind: 'withdraw', account: 1, amount: 5_000n }, // movement 3
  { kind: 'freeze', account: 2, frozen: true, byBank: true },
  { kind: 'transfer', from: 0, to: 2, amount: 1_000n }, // 409: the destination is frozen
  { kind: 'freeze', account: 2, frozen: false, byBank: false }, // 403 frozen_by_bank
  { kind: 'reverse', pick: 1 }, // 409: the original destination is frozen
  { kind: 'freeze', account: 2, frozen: false, byBank: true },
  { kind: 'reverse', pick: 1 }, // movement 4: a reversal of a transfer
  { kind: 'reverse', pick: 1 }, // 409 already_reversed
  { kind: 'reverse', pick: 4 }, // 422 not_reversible
  { kind: 'reverse', pick: 2 }, // 402: account 1 spent part of what it received
  { kind: 'freeze', account: 1, frozen: true, byBank: false },
  { kind: 'deposit', account: 1, amount: 1n }, // 409: frozen by the owner
  { kind: 'freeze', account: 1, frozen: false, byBank: false },
  { kind: 'reverse', pick: 3 }, // movement 5: a reversal of a withdrawal
  { kind: 'reverse', pick: 0 }, // 402: the deposit's money has moved on
  { kind: 'withdraw', account: 0, amount: 90_000n }, // movement 6: everything left
];

describe('ledger properties through the API (PGlite)', () => {
  let bank: TestBank;
  let admin: Customer;
  let run = 0;
  const outcomes = new Map<string, number>();

  beforeAll(async () => {
    bank = await startTestBank();
    admin = await bank.user('prop_admin', 'admin');
  });
  afterAll(async () => bank?.close());

  async function setUp(): Promise<ModelAccount[]> {
    run += 1;
    const first = await bank.user(`prop_a${run}`);
    const second = await bank.user(`prop_b${run}`);
    const owners = [first, first, second, second];
    const types = ['savings', 'checking', 'savings', 'checking'] as const;
    const accounts: ModelAccount[] = [];
    for (let index = 0; index < ACCOUNTS; index += 1) {
      const owner = owners[index] ?? first;
      const body = await bank.openAccount(owner, types[index] ?? 'savings');
      accounts.push({ id: body.id, number: body.number, owner, balance: 0n, status: 'active', frozenByBank: false });
    }
    return accounts;
  }

  function check(reply: Reply, expected: Expected, what: string): void {
    const key = `${what} ${expected.status}${expected.code === undefined ? '' : ` ${expected.code}`}`;
    outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
    expect({ status: reply.status, code: reply.body?.code }, `${what}: ${reply.text}`).toEqual({
      status: expected.status,
      code: expected.code ?? (expected.status < 300 ? undefined : expect.anything()),
    });
  }

  async function apply(op: Operation, accounts: ModelAccount[], movements: Movement[], totals: { deposited: bigint; withdrawn: bigint }) {
    const at = (index: number) => {
      const account = accounts[index];
      if (account === undefined) throw new Error(`no account ${index}`);
      return account;
    };
    const frozen = (account: ModelAccount | null): Expected | undefined =>
      account !== null && account.status === 'frozen' ? { status: 409, code: 'account_frozen' } : undefined;

    switch (op.kind) {
      case 'deposit': {
        const account = at(op.account);
        const expected = frozen(account) ?? { status: 201 };
        const reply = await bank.request('POST', '/api/v1/transactions/deposit', {
          token: account.owner.token,
          body: { account_id: account.id, amount: formatAmount(op.amount, INR) },
        });
        check(reply, expected, 'deposit');
        if (reply.status === 201) {
          account.balance += op.amount;
          totals.deposited += op.amount;
          movements.push({ id: reply.body.id, kind: 'deposit', from: null, to: account, amount: op.amount, status: 'posted' });
        }
        return;
      }
      case 'withdraw': {
        const account = at(op.account);
        const expected = frozen(account) ?? (account.balance < op.amount ? { status: 402, code: 'insufficient_funds' } : { status: 201 });
        const reply = await bank.request('POST', '/api/v1/transactions/withdraw', {
          token: account.owner.token,
          body: { account_id: account.id, amount: formatAmount(op.amount, INR) },
        });
        check(reply, expected, 'withdraw');
        if (reply.status === 201) {
          account.balance -= op.amount;
          totals.withdrawn += op.amount;
          movements.push({ id: reply.body.id, kind: 'withdrawal', from: account, to: null, amount: op.amount, status: 'posted' });
        }
        return;
      }
      case 'transfer': {
        const from = at(op.from);
        const to = at(op.to);
        const expected =
          frozen(from) ?? frozen(to) ?? (from.balance < op.amount ? { status: 402, code: 'insufficient_funds' } : { status: 201 });
        const recipient = from.owner === to.owner ? { to_account_id: to.id } : { to_account_number: to.number };
        const reply = await bank.request('POST', '/api/v1/transfers', {
          token: from.owner.token,
          body: { from_account_id: from.id, ...recipient, amount: formatAmount(op.amount, INR) },
        });
        check(reply, expected, 'transfer');
        if (reply.status === 201) {
          from.balance -= op.amount;
          to.balance += op.amount;
          movements.push({ id: reply.body.id, kind: 'transfer', from, to, amount: op.amount, status: 'posted' });
        }
        return;
      }
      case 'freeze': {
        const account = at(op.account);
        let expected: Expected = { status: 200 };
        let next = { status: account.status, frozenByBank: account.frozenByBank };
        if (op.frozen && account.status === 'active') next = { status: 'frozen', frozenByBank: op.byBank };
        // The bank freezing an account its owner froze takes the freeze over.
        if (op.frozen && account.status === 'frozen' && op.byBank) next = { status: 'frozen', frozenByBank: true };
        if (!op.frozen && account.status === 'frozen') {
          if (account.frozenByBank && !op.byBank) expected = { status: 403, code: 'frozen_by_bank' };
          else next = { status: 'active', frozenByBank: false };
        }
        const reply = await bank.request('PATCH', `/api/v1/accounts/${account.id}/freeze`, {
          token: op.byBank ? admin.token : account.owner.token,
          body: { frozen: op.frozen },
        });
        check(reply, expected, op.frozen ? 'freeze' : 'unfreeze');
        if (reply.status === 200) {
          account.status = next.status;
          account.frozenByBank = next.frozenByBank;
          expect(reply.body).toMatchObject({ status: next.status, frozen_by_bank: next.frozenByBank });
        }
        return;
      }
      case 'reverse': {
        if (movements.length === 0) return;
        const original = movements[op.pick % movements.length];
        if (original === undefined) return;
        // The reversal moves the money back: out of the original destination, into the original source.
        const payer = original.to;
        const payee = original.from;
        let expected: Expected;
        if (original.kind === 'reversal') expected = { status: 422, code: 'not_reversible' };
        else if (original.status === 'reversed') expected = { status: 409, code: 'already_reversed' };
        else {
          expected =
            frozen(payer) ??
            frozen(payee) ??
            (payer !== null && payer.balance < original.amount ? { status: 402, code: 'insufficient_funds' } : { status: 201 });
        }
        const reply = await bank.request('POST', `/api/v1/admin/transfers/${original.id}/reverse`, {
          token: admin.token,
          body: { reason: 'property test reversal' },
        });
        check(reply, expected, `reverse ${original.kind}`);
        if (reply.status === 201) {
          expect(reply.body).toMatchObject({ type: 'reversal', reversal_of: original.id, amount: formatAmount(original.amount, INR) });
          original.status = 'reversed';
          if (payer !== null) payer.balance -= original.amount;
          if (payee !== null) payee.balance += original.amount;
          if (original.kind === 'deposit') totals.deposited -= original.amount;
          if (original.kind === 'withdrawal') totals.withdrawn -= original.amount;
          movements.push({ id: reply.body.id, kind: 'reversal', from: payer, to: payee, amount: original.amount, status: 'posted' });
        }
        return;
      }
    }
  }

  it('keeps the books right for random sequences of operations', { timeout: 120_000 }, async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(operation, { minLength: 5, maxLength: 25 }), async (operations) => {
        const accounts = await setUp();
        const movements: Movement[] = [];
        const totals = { deposited: 0n, withdrawn: 0n };
        for (const op of operations) await apply(op, accounts, movements, totals);

        let total = 0n;
        for (const account of accounts) {
          const balance = parseAmount(await bank.balance(account.owner, account.id), INR, { allowZero: true });
          expect(balance, `balance of account ${accounts.indexOf(account)}`).toBe(account.balance);
          expect(balance >= 0n).toBe(true);
          total += balance;
        }
        expect(total).toBe(totals.deposited - totals.withdrawn);
        expect(await bank.integrity()).toEqual([]);
      }),
      { numRuns: 30, endOnFailure: true, examples: [[coverageExample]] },
    );
    // The sequences must have reached the interesting refusals, not only happy paths.
    const seen = [...outcomes.keys()].join(', ');
    const needles = [
      'withdraw 402 insufficient_funds', 'transfer 409 account_frozen', 'deposit 409 account_frozen', 'unfreeze 403 frozen_by_bank',
      'transfer 201', 'reverse transfer 201', 'reverse withdrawal 201', 'reverse transfer 409 already_reversed',
      'reverse reversal 422 not_reversible', 'reverse transfer 402 insufficient_funds', 'reverse transfer 409 account_frozen',
    ];
    for (const needle of needles) {
      expect(seen).toContain(needle);
    }
  });
});
