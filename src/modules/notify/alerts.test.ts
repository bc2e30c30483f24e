import { describe, expect, it } from 'vitest';
import { averageShare, crossedThreshold, decideAlerts, minorUnits, movementsOf, type DecisionInput, type Payload } from './alerts.js';

const ALICE = '11111111-1111-4111-8111-111111111111';
const BOB = '22222222-2222-4222-8222-222222222222';
const A1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaa1';
const B1 = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbb1';

const none = { lowBalance: new Map<string, bigint>(), largeTransaction: new Map<string, bigint>() };

function transfer(overrides: Partial<Record<string, unknown>> = {}): Payload {
  return {
    transfer_id: 't-1',
    kind: 'transfer',
    from_account_id: A1,
    to_account_id: B1,
    from_user_id: ALICE,
    to_user_id: BOB,
    amount: '500.00',
    currency: 'INR',
    from_balance_after: '1500.00',
    to_balance_after: '700.00',
    description: 'Rent',
    ...overrides,
  };
}

function decide(topic: string, payload: Payload, userId: string, options: Partial<DecisionInput> = {}) {
  return decideAlerts({ topic, payload, userId, thresholds: none, averageBalances: new Map(), ...options });
}

const types = (alerts: { type: string }[]) => alerts.map((alert) => alert.type);

describe('minorUnits', () => {
  it('reads decimal strings in the currency', () => {
    expect(minorUnits('5000.50', 'INR')).toBe(500050n);
    expect(minorUnits('5000', 'INR')).toBe(500000n);
    expect(minorUnits('0.00', 'INR')).toBe(0n);
    expect(minorUnits('-1.00', 'INR')).toBe(-100n);
    expect(minorUnits('12', 'JPY')).toBe(12n);
    expect(minorUnits('1.234', 'KWD')).toBe(1234n);
  });

  it('refuses what is not an amount of the currency', () => {
    expect(minorUnits('1.001', 'INR')).toBeUndefined();
    expect(minorUnits('1.5', 'JPY')).toBeUndefined();
    expect(minorUnits(500, 'INR')).toBeUndefined();
    expect(minorUnits('1e3', 'INR')).toBeUndefined();
    expect(minorUnits('', 'INR')).toBeUndefined();
    expect(minorUnits('10.00', 'ZZZ')).toBeUndefined();
  });
});

describe('crossedThreshold', () => {
  it('fires when the balance goes from at or above the threshold to below it', () => {
    expect(crossedThreshold({ beforeMinor: 10_000n, afterMinor: 9_999n, thresholdsMinor: [10_000n] })).toBe(10_000n);
    expect(crossedThreshold({ beforeMinor: 20_000n, afterMinor: 0n, thresholdsMinor: [10_000n] })).toBe(10_000n);
  });

  it('does not fire when the balance lands exactly on the threshold', () => {
    expect(crossedThreshold({ beforeMinor: 20_000n, afterMinor: 10_000n, thresholdsMinor: [10_000n] })).toBeUndefined();
  });

  it('does not fire while the balance is already below', () => {
    expect(crossedThreshold({ beforeMinor: 9_999n, afterMinor: 5_000n, thresholdsMinor: [10_000n] })).toBeUndefined();
  });

  it('answers the highest threshold crossed', () => {
    expect(crossedThreshold({ beforeMinor: 50_000n, afterMinor: 1_000n, thresholdsMinor: [10_000n, 40_000n] })).toBe(40_000n);
    expect(crossedThreshold({ beforeMinor: 50_000n, afterMinor: 1_000n, thresholdsMinor: [] })).toBeUndefined();
  });

  it('never fires for a zero threshold (a balance cannot fall below zero)', () => {
    expect(crossedThreshold({ beforeMinor: 100n, afterMinor: 0n, thresholdsMinor: [0n] })).toBeUndefined();
  });
});

describe('averageShare', () => {
  it('is 20% rounded toward zero', () => {
    expect(averageShare(100_000n)).toBe(20_000n);
    expect(averageShare(14n)).toBe(2n);
    expect(averageShare(0n)).toBe(0n);
  });
});

describe('movementsOf', () => {
  it('sees a transfer from both sides, each user their own', () => {
    expect(movementsOf('transfer.posted', transfer(), ALICE)).toEqual([
      { accountId: A1, direction: 'debit', amountMinor: 50_000n, currency: 'INR', balanceAfterMinor: 150_000n },
    ]);
    expect(movementsOf('transfer.posted', transfer(), BOB)).toEqual([
      { accountId: B1, direction: 'credit', amountMinor: 50_000n, currency: 'INR', balanceAfterMinor: 70_000n },
    ]);
    expect(movementsOf('transfer.posted', transfer(), '33333333-3333-4333-8333-333333333333')).toEqual([]);
  });

  it('skips a movement whose amount is not readable', () => {
    expect(movementsOf('transfer.posted', transfer({ amount: 'lots' }), ALICE)).toEqual([]);
  });
});

describe('decideAlerts: money', () => {
  it('tells the sender the transfer went and the recipient the money came', () => {
    const sent = decide('transfer.posted', transfer(), ALICE);
    expect(types(sent)).toEqual(['transfer_sent']);
    expect(sent[0]?.data).toMatchObject({ account_id: A1, amount: '500.00', currency: 'INR', description: 'Rent', balance: '1500.00', own_transfer: false });
    const received = decide('transfer.posted', transfer(), BOB);
    expect(types(received)).toEqual(['money_received']);
    expect(received[0]?.data).toMatchObject({ account_id: B1, amount: '500.00', balance: '700.00' });
  });

  it('gives a transfer between one user\'s own accounts no "money received"', () => {
    const own = transfer({ to_user_id: ALICE });
    expect(types(decide('transfer.posted', own, ALICE))).toEqual(['transfer_sent']);
    expect(decide('transfer.posted', own, ALICE)[0]?.data.own_transfer).toBe(true);
  });

  it('treats a deposit as money received and a withdrawal as money sent', () => {
    const deposit = { transfer_id: 'd', kind: 'deposit', account_id: A1, user_id: ALICE, amount: '100.00', currency: 'INR', balance_after: '100.00' };
    expect(types(decide('deposit.posted', deposit, ALICE))).toEqual(['money_received']);
    const withdrawal = { ...deposit, kind: 'withdrawal', balance_after: '0.00' };
    expect(types(decide('withdrawal.posted', withdrawal, ALICE))).toEqual(['transfer_sent']);
  });

  it('fires nothing for a user the event does not name', () => {
    expect(decide('transfer.posted', transfer(), '33333333-3333-4333-8333-333333333333')).toEqual([]);
    expect(decide('user.password_changed', { user_id: ALICE }, BOB)).toEqual([]);
  });
});

describe('decideAlerts: low balance', () => {
  const withThreshold = (amountMinor: bigint) => ({ thresholds: { ...none, lowBalance: new Map([['INR', amountMinor]]) } });

  it('fires when a debit crosses the customer threshold', () => {
    // 2000.00 → 1500.00 against a threshold of 1600.00.
    const alerts = decide('transfer.posted', transfer(), ALICE, withThreshold(160_000n));
    expect(types(alerts)).toEqual(['transfer_sent', 'low_balance']);
    expect(alerts[1]?.data).toMatchObject({ account_id: A1, balance: '1500.00', threshold: '1600.00', basis: 'threshold' });
  });

  it('fires when the balance before was exactly the threshold', () => {
    expect(types(decide('transfer.posted', transfer(), ALICE, withThreshold(200_000n)))).toContain('low_balance');
  });

  it('does not fire when the balance after is exactly the threshold', () => {
    expect(types(decide('transfer.posted', transfer(), ALICE, withThreshold(150_000n)))).not.toContain('low_balance');
  });

  it('does not fire again while the balance stays below', () => {
    expect(types(decide('transfer.posted', transfer(), ALICE, withThreshold(300_000n)))).not.toContain('low_balance');
  });

  it('ignores a threshold in another currency', () => {
    const usd = { thresholds: { ...none, lowBalance: new Map([['USD', 160_000n]]) } };
    expect(types(decide('transfer.posted', transfer(), ALICE, usd))).not.toContain('low_balance');
  });

  it('fires below 20% of the 30-day average balance without any threshold set', () => {
    // Average 10000.00 → 20% is 2000.00; 2500.00 → 1500.00 crosses it.
    const payload = transfer({ amount: '1000.00', from_balance_after: '1500.00' });
    const alerts = decide('transfer.posted', payload, ALICE, { averageBalances: new Map([[A1, 1_000_000n]]) });
    expect(alerts.find((alert) => alert.type === 'low_balance')?.data).toMatchObject({ threshold: '2000.00', basis: 'average' });
  });

  it('does not fire at exactly 20% of the average, nor when the average is zero or unknown', () => {
    const payload = transfer({ amount: '1000.00', from_balance_after: '2000.00' });
    expect(types(decide('transfer.posted', payload, ALICE, { averageBalances: new Map([[A1, 1_000_000n]]) }))).not.toContain('low_balance');
    expect(types(decide('transfer.posted', transfer({ from_balance_after: '0.00' }), ALICE, { averageBalances: new Map([[A1, 0n]]) }))).not.toContain('low_balance');
    expect(types(decide('transfer.posted', transfer({ from_balance_after: '0.00' }), ALICE))).not.toContain('low_balance');
  });

  it('fires once when both rules are crossed, naming the higher threshold', () => {
    const payload = transfer({ amount: '5000.00', from_balance_after: '100.00' });
    const alerts = decide('transfer.posted', payload, ALICE, { ...withThreshold(300_000n), averageBalances: new Map([[A1, 1_000_000n]]) });
    expect(alerts.filter((alert) => alert.type === 'low_balance')).toHaveLength(1);
    expect(alerts.find((alert) => alert.type === 'low_balance')?.data).toMatchObject({ threshold: '3000.00', basis: 'threshold' });
  });

  it('never fires on a credit', () => {
    expect(types(decide('transfer.posted', transfer(), BOB, { thresholds: { ...none, lowBalance: new Map([['INR', 100_000n]]) } }))).not.toContain('low_balance');
  });

  it('fires on a withdrawal', () => {
    const withdrawal = { transfer_id: 'w', kind: 'withdrawal', account_id: A1, user_id: ALICE, amount: '100.00', currency: 'INR', balance_after: '50.00' };
    expect(types(decide('withdrawal.posted', withdrawal, ALICE, withThreshold(10_000n)))).toEqual(['transfer_sent', 'low_balance']);
  });
});

describe('decideAlerts: large transaction', () => {
  const large = (amountMinor: bigint) => ({ thresholds: { ...none, largeTransaction: new Map([['INR', amountMinor]]) } });

  it('fires for an amount strictly above the threshold, on either side', () => {
    const sent = decide('transfer.posted', transfer(), ALICE, large(49_999n));
    expect(types(sent)).toEqual(['transfer_sent', 'large_transaction']);
    expect(sent[1]?.data).toMatchObject({ direction: 'debit', amount: '500.00', threshold: '499.99' });
    expect(decide('transfer.posted', transfer(), BOB, large(49_999n))[1]?.data).toMatchObject({ direction: 'credit' });
  });

  it('does not fire for an amount exactly at the threshold or below', () => {
    expect(types(decide('transfer.posted', transfer(), ALICE, large(50_000n)))).toEqual(['transfer_sent']);
    expect(types(decide('transfer.posted', transfer(), ALICE, large(50_001n)))).toEqual(['transfer_sent']);
  });

  it('does not fire without a threshold for the currency', () => {
    expect(types(decide('transfer.posted', transfer(), ALICE))).toEqual(['transfer_sent']);
    expect(types(decide('transfer.posted', transfer(), ALICE, { thresholds: { ...none, largeTransaction: new Map([['USD', 1n]]) } }))).toEqual(['transfer_sent']);
  });

  it('fires once for a transfer between one user\'s own accounts', () => {
    const own = transfer({ to_user_id: ALICE });
    expect(types(decide('transfer.posted', own, ALICE, large(0n)))).toEqual(['transfer_sent', 'large_transaction']);
  });
});

describe('decideAlerts: security and account events', () => {
  it('maps each event to its alert', () => {
    const cases: [string, Payload, string | undefined][] = [
      ['user.registered', { user_id: ALICE, username: 'alice', email: 'a@example.in', full_name: 'Alice' }, 'welcome'],
      ['user.signed_in', { user_id: ALICE, session_id: 's', ip: '10.0.0.1', device: 'Firefox on Linux', new_device: true }, 'new_device_sign_in'],
      ['user.signed_in', { user_id: ALICE, session_id: 's', ip: '10.0.0.1', device: 'Firefox on Linux', new_device: false }, undefined],
      ['user.sign_in_failed', { user_id: ALICE, ip: '10.0.0.1', device: 'curl', outcome: 'bad_password' }, 'sign_in_failed'],
      ['user.sign_in_failed', { user_id: ALICE, ip: '10.0.0.1', device: 'curl', outcome: 'otp_invalid' }, 'sign_in_failed'],
      ['user.sign_in_failed', { user_id: ALICE, ip: '10.0.0.1', device: 'curl', outcome: 'otp_required' }, undefined],
      ['user.sign_in_failed', { user_id: ALICE, ip: '10.0.0.1', device: 'curl', outcome: 'locked' }, undefined],
      ['user.sign_in_failed', { user_id: ALICE, ip: '10.0.0.1', device: 'curl', outcome: 'blocked' }, undefined],
      ['user.locked', { user_id: ALICE, locked_until: '2026-11-21T10:00:00Z', failed_attempts: 5, ip: null, device: 'curl' }, 'sign_in_locked'],
      ['user.password_changed', { user_id: ALICE }, 'password_changed'],
      ['user.two_factor_enabled', { user_id: ALICE }, 'two_factor_changed'],
      ['user.two_factor_disabled', { user_id: ALICE }, 'two_factor_changed'],
      ['beneficiary.added', { beneficiary_id: 'b', user_id: ALICE, name: 'Bob', account_number_masked: 'XXXX1234' }, 'beneficiary_added'],
      ['account.frozen', { account_id: A1, user_id: ALICE, by: 'bank' }, 'account_frozen'],
      ['account.unfrozen', { account_id: A1, user_id: ALICE, by: 'customer' }, 'account_unfrozen'],
      ['account.opened', { account_id: A1, user_id: ALICE, type: 'savings', currency: 'INR' }, undefined],
      ['account.closed', { account_id: A1, user_id: ALICE }, undefined],
    ];
    for (const [topic, payload, expected] of cases) {
      expect({ topic, types: types(decide(topic, payload, ALICE)) }).toEqual({ topic, types: expected === undefined ? [] : [expected] });
    }
  });

  it('says which way the second factor went', () => {
    expect(decide('user.two_factor_enabled', { user_id: ALICE }, ALICE)[0]?.data).toEqual({ enabled: true });
    expect(decide('user.two_factor_disabled', { user_id: ALICE }, ALICE)[0]?.data).toEqual({ enabled: false });
  });
});
