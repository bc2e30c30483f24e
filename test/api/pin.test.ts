/**
 * The transaction PIN: setting it (password, format, guessable PINs), requiring it above
 * PIN_REQUIRED_ABOVE for withdrawals and transfers, refusing a wrong one without moving money,
 * locking after PIN_LOCKOUT_THRESHOLD wrong PINs (an injected clock opens the lock again), replays
 * under an Idempotency-Key, other currencies, and audit rows without the PIN.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { thresholdMinor } from '../../src/modules/identity/pin.js';
import { loadConfig } from '../../src/platform/config.js';
import { TEST_PASSWORD, startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { API, expectProblem, expectUnprocessable, fundedAccount, transfer, uniqueName, watchBalances } from './helpers.js';

const PIN = '2580';

describe('transaction PIN', () => {
  let bank: TestBank;
  let auditor: Customer;
  let nowMs = Date.now();
  const advance = (ms: number) => {
    nowMs += ms;
  };

  beforeAll(async () => {
    // Tokens outlive the clock moves of the lock tests.
    bank = await startTestBank({ env: { PIN_REQUIRED_ABOVE: '10000.00', ACCESS_TOKEN_TTL_SECONDS: '86400' }, now: () => new Date(nowMs) });
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
  });
  afterAll(async () => bank.close());

  const setPin = (who: Customer | undefined, body: unknown) =>
    bank.request('PUT', `${API}/users/me/pin`, { body, ...(who === undefined ? {} : { token: who.token }) });
  const withdraw = (who: Customer, body: Record<string, unknown>, headers?: Record<string, string>) =>
    bank.request('POST', `${API}/transactions/withdraw`, { token: who.token, body, ...(headers === undefined ? {} : { headers }) });
  const auditRows = async (query: string) => {
    const reply = await bank.request('GET', `${API}/audit-logs?${query}&limit=100`, { token: auditor.token });
    expect(reply.status, reply.text).toBe(200);
    return reply.body.items as any[];
  };

  async function customerWithPin(prefix: string, funding = '50000.00') {
    const customer = await bank.user(uniqueName(prefix));
    const from = await fundedAccount(bank, customer, funding);
    const to = await bank.openAccount(customer, 'wallet');
    expect((await setPin(customer, { password: TEST_PASSWORD, pin: PIN })).status).toBe(200);
    return { customer, from, to };
  }

  describe('configuration', () => {
    it('defaults to 10000.00 and refuses bad values', () => {
      expect(loadConfig({}).PIN_REQUIRED_ABOVE).toBe('10000.00');
      expect(loadConfig({ NODE_ENV: 'production' }).PIN_REQUIRED_ABOVE).toBe('10000.00');
      expect(loadConfig({ NODE_ENV: 'test' }).PIN_REQUIRED_ABOVE).toBe('10000.00');
      expect(loadConfig({ PIN_REQUIRED_ABOVE: '500.00' }).PIN_REQUIRED_ABOVE).toBe('500.00');
      expect(loadConfig({ PIN_REQUIRED_ABOVE: 'off' }).PIN_REQUIRED_ABOVE).toBe('off');
      expect(loadConfig({}).PIN_LOCKOUT_THRESHOLD).toBe(5);
      expect(loadConfig({}).PIN_LOCKOUT_MINUTES).toBe(15);
      for (const value of ['-1', '1e5', 'ten', '10.001']) expect(() => loadConfig({ PIN_REQUIRED_ABOVE: value })).toThrow(/PIN_REQUIRED_ABOVE/);
      expect(() => loadConfig({ PIN_LOCKOUT_THRESHOLD: '0' })).toThrow(/PIN_LOCKOUT_THRESHOLD/);
    });

    it('reads the threshold in each currency\'s own units, dropping extra decimals', () => {
      expect(thresholdMinor('10000.00', 2)).toBe(1_000_000n);
      expect(thresholdMinor('10000', 2)).toBe(1_000_000n);
      expect(thresholdMinor('10000.5', 2)).toBe(1_000_050n);
      expect(thresholdMinor('10000.00', 0)).toBe(10_000n);
      expect(thresholdMinor('10000.99', 0)).toBe(10_000n);
      expect(thresholdMinor('10000.00', 3)).toBe(10_000_000n);
      expect(thresholdMinor('0', 2)).toBe(0n);
    });
  });

  describe('PUT /users/me/pin', () => {
    it('sets and changes the PIN with the current password, storing only an Argon2id hash', async () => {
      const asha = await bank.user(uniqueName('pinset'));
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body).toEqual({ pin_set: false, locked_until: null });
      const set = await setPin(asha, { password: TEST_PASSWORD, pin: '2580' });
      expect(set.status, set.text).toBe(200);
      expect(set.body).toEqual({ pin_set: true, locked_until: null });
      expect(set.text).not.toContain('2580');
      const changed = await setPin(asha, { password: TEST_PASSWORD, pin: '149650' });
      expect(changed.status, changed.text).toBe(200);
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body).toEqual({ pin_set: true, locked_until: null });

      const stored = await sql<{ pin_hash: string }>`select pin_hash from user_pins where user_id = ${asha.userId}`.execute(bank.app.context.db);
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]?.pin_hash).toMatch(/^\$argon2id\$/);
      expect(stored.rows[0]?.pin_hash).not.toContain('149650');

      const rows = (await auditRows(`target_id=${asha.userId}&action=user.`)).filter((row) => row.action.startsWith('user.pin_'));
      expect(rows.map((row) => row.action)).toEqual(['user.pin_changed', 'user.pin_set']);
      expect(rows[0]).toMatchObject({ actor_id: asha.userId, target_type: 'user' });
      // What the rows say (ids and chain hashes are random hex, which may hold any four digits).
      const details = JSON.stringify(rows.map((row) => [row.before, row.after, row.user_agent]));
      expect(details).not.toContain('2580');
      expect(details).not.toContain('149650');
      const text = JSON.stringify(rows);
      expect(text).not.toMatch(/"(2580|149650)"/);
      expect(text).not.toContain('argon2');
    });

    it('refuses a wrong password (403 invalid_password) and changes nothing', async () => {
      const asha = await bank.user(uniqueName('pinpw'));
      expectProblem(await setPin(asha, { password: 'not my password', pin: '2580' }), 403, 'invalid_password');
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body.pin_set).toBe(false);
      expect((await auditRows(`target_id=${asha.userId}&action=user.`)).filter((row) => row.action.startsWith('user.pin_'))).toEqual([]);
    });

    it.each(['0000', '1111', '999999', '1234', '0123', '4321', '654321', '7890', '0987', '890123', '1212', '121212', '123123', '909090'])(
      'refuses the guessable PIN %s (422 pin_too_simple)',
      async (pin) => {
        const asha = await bank.user(uniqueName('pinsimple'));
        expectProblem(await setPin(asha, { password: TEST_PASSWORD, pin }), 422, 'pin_too_simple');
        expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body.pin_set).toBe(false);
      },
    );

    it('accepts PINs that merely look patterned: 1235, 2468, 1122, 135790', async () => {
      const asha = await bank.user(uniqueName('pinok'));
      for (const pin of ['1235', '2468', '1122', '135790', '000001']) {
        const reply = await setPin(asha, { password: TEST_PASSWORD, pin });
        expect(reply.status, `${pin}: ${reply.text}`).toBe(200);
      }
    });

    it('refuses malformed PINs and bodies with 422', async () => {
      const asha = await bank.user(uniqueName('pinbad'));
      for (const pin of ['123', '1234567', '12a4', ' 2580', '2580 ', '', '٢٥٨٠', '25.8']) {
        expectProblem(await setPin(asha, { password: TEST_PASSWORD, pin }), 422, 'invalid_pin');
      }
      expectUnprocessable(await setPin(asha, { password: TEST_PASSWORD, pin: 2580 }), ['validation_failed']);
      expectUnprocessable(await setPin(asha, { pin: '2580' }), ['validation_failed']);
      expectUnprocessable(await setPin(asha, { password: TEST_PASSWORD, pin: '2580', extra: true }), ['validation_failed']);
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body.pin_set).toBe(false);
    });

    it('needs a signed-in user (401)', async () => {
      expectProblem(await setPin(undefined, { password: TEST_PASSWORD, pin: '2580' }), 401, 'unauthenticated');
      expectProblem(await bank.request('GET', `${API}/users/me/pin`), 401, 'unauthenticated');
    });
  });

  describe('movements above PIN_REQUIRED_ABOVE', () => {
    it('lets amounts up to the threshold pass without a PIN, and ignores a PIN sent with them', async () => {
      const asha = await bank.user(uniqueName('pinbelow'));
      const from = await fundedAccount(bank, asha, '30000.00');
      const to = await bank.openAccount(asha, 'wallet');
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.00' })).status).toBe(201);
      expect((await withdraw(asha, { account_id: from.id, amount: '10000.00' })).status).toBe(201);
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '1.00', pin: '9999' })).status).toBe(201);
      expect(await bank.balance(asha, from.id)).toBe('9999.00');
    });

    it('asks a customer without a PIN to set one (428 pin_not_set) and moves nothing', async () => {
      const asha = await bank.user(uniqueName('pinnone'));
      const from = await fundedAccount(bank, asha, '30000.00');
      const to = await bank.openAccount(asha, 'wallet');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      const reply = await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.01' });
      expectProblem(reply, 428, 'pin_not_set');
      expect(reply.body.detail).toMatch(/set (it|one) first/i);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.01', pin: '2580' }), 428, 'pin_not_set');
      expectProblem(await withdraw(asha, { account_id: from.id, amount: '20000.00' }), 428, 'pin_not_set');
      await watch.expectUnchanged();
    });

    it('requires the PIN (428 pin_required), refuses a wrong one (403 pin_invalid) without moving money, and accepts the right one', async () => {
      const { customer: asha, from, to } = await customerWithPin('pinneed');
      const watch = await watchBalances(bank, [
        [asha, from.id],
        [asha, to.id],
      ]);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.01' }), 428, 'pin_required');
      expectProblem(await withdraw(asha, { account_id: from.id, amount: 10000.01 }), 428, 'pin_required');
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '12000.00', pin: '2581' }), 403, 'pin_invalid');
      expectProblem(await withdraw(asha, { account_id: from.id, amount: '12000.00', pin: '0852' }), 403, 'pin_invalid');
      expectUnprocessable(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '12000.00', pin: '25a0' }), ['validation_failed']);
      expectUnprocessable(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '12000.00', pin: 2580 }), ['validation_failed']);
      await watch.expectUnchanged();

      const sent = await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '12000.00', pin: PIN });
      expect(sent.status, sent.text).toBe(201);
      expect(sent.text).not.toContain(PIN);
      const cash = await withdraw(asha, { account_id: from.id, amount: '15000.00', pin: PIN });
      expect(cash.status, cash.text).toBe(201);
      expect(await bank.balance(asha, from.id)).toBe('23000.00');
      expect(await bank.balance(asha, to.id)).toBe('12000.00');
      expect(await bank.integrity()).toEqual([]);
    });

    it('refuses a PIN on a deposit body (strict schema), as deposits never need one', async () => {
      const { customer: asha, from } = await customerWithPin('pindep');
      const reply = await bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: from.id, amount: '20000.00', pin: PIN } });
      expectUnprocessable(reply, ['validation_failed']);
      expect((await bank.deposit(asha, from.id, '20000.00')).status).toBe(201);
    });

    it('checks ownership and amounts before the PIN, so another customer\'s account stays 404', async () => {
      const { customer: asha } = await customerWithPin('pinown');
      const ravi = await bank.user(uniqueName('pinother'));
      const theirs = await fundedAccount(bank, ravi, '20000.00');
      expectProblem(await withdraw(asha, { account_id: theirs.id, amount: '15000.00' }), 404, 'account_not_found');
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body.locked_until).toBeNull();
    });

    it('locks after 5 wrong PINs (429 pin_locked with Retry-After), even for the right PIN, until the window passes', async () => {
      const { customer: asha, from, to } = await customerWithPin('pinlock');
      const body = (pin: string) => ({ from_account_id: from.id, to_account_id: to.id, amount: '11000.00', pin });
      for (const [index, pin] of ['1470', '3690', '1593', '7531'].entries()) {
        const reply = await transfer(bank, asha, body(pin));
        expectProblem(reply, 403, 'pin_invalid');
        expect(reply.body.detail).toContain(`${4 - index} attempt`);
      }
      const fifth = await transfer(bank, asha, body('8520'));
      expectProblem(fifth, 429, 'pin_locked');
      expect(Number(fifth.headers['retry-after'])).toBe(900);

      advance(5 * 60_000);
      const locked = await transfer(bank, asha, body(PIN));
      expectProblem(locked, 429, 'pin_locked');
      expect(Number(locked.headers['retry-after'])).toBe(600);
      expectProblem(await withdraw(asha, { account_id: from.id, amount: '11000.00', pin: PIN }), 429, 'pin_locked');
      // Small amounts need no PIN and still go through.
      expect((await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '100.00' })).status).toBe(201);
      const status = await bank.request('GET', `${API}/users/me/pin`, { token: asha.token });
      expect(Date.parse(status.body.locked_until)).toBe(nowMs + 10 * 60_000);

      const [lockRow] = await auditRows(`target_id=${asha.userId}&action=user.pin_locked`);
      expect(lockRow).toMatchObject({ action: 'user.pin_locked', actor_id: asha.userId, after: { failed_attempts: 5 } });
      for (const pin of ['1470', '3690', '1593', '7531', '8520', PIN]) expect(JSON.stringify(lockRow)).not.toContain(pin);

      advance(10 * 60_000 - 1000);
      expectProblem(await transfer(bank, asha, body(PIN)), 429, 'pin_locked');
      advance(1000);
      const open = await transfer(bank, asha, body(PIN));
      expect(open.status, open.text).toBe(201);
      expect(await bank.balance(asha, from.id)).toBe('38900.00');
      expect(await bank.balance(asha, to.id)).toBe('11100.00');
      expect(await bank.integrity()).toEqual([]);
    });

    it('starts the count again after a correct PIN, and after the lock expires', async () => {
      const { customer: asha, from, to } = await customerWithPin('pinreset');
      const body = (pin: string) => ({ from_account_id: from.id, to_account_id: to.id, amount: '10500.00', pin });
      for (let round = 0; round < 2; round += 1) {
        for (let index = 0; index < 4; index += 1) expectProblem(await transfer(bank, asha, body('1357')), 403, 'pin_invalid');
        expect((await transfer(bank, asha, body(PIN))).status).toBe(201);
      }
      // A new PIN (which needs the password) also clears a lock.
      for (let index = 0; index < 4; index += 1) expectProblem(await transfer(bank, asha, body('1357')), 403, 'pin_invalid');
      expectProblem(await transfer(bank, asha, body('1357')), 429, 'pin_locked');
      expect((await setPin(asha, { password: TEST_PASSWORD, pin: '1357' })).status).toBe(200);
      expect((await transfer(bank, asha, body('1357'))).status).toBe(201);
    });

    it('never checks more than 5 concurrent wrong PINs', async () => {
      const { customer: asha, from, to } = await customerWithPin('pinrace');
      const replies = await Promise.all(
        Array.from({ length: 12 }, (_, index) => transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.50', pin: String(3000 + index * 7) })),
      );
      const codes = replies.map((reply) => reply.body.code);
      expect(codes.filter((code) => code === 'pin_invalid').length).toBeLessThanOrEqual(4);
      expect(codes.every((code) => code === 'pin_invalid' || code === 'pin_locked')).toBe(true);
      expectProblem(await transfer(bank, asha, { from_account_id: from.id, to_account_id: to.id, amount: '10000.50', pin: PIN }), 429, 'pin_locked');
      expect(await bank.balance(asha, from.id)).toBe('50000.00');
    });

    it('applies the threshold in the account\'s own currency (JPY: above 10000 yen)', async () => {
      const asha = await bank.user(uniqueName('pinjpy'));
      const yen = await fundedAccount(bank, asha, '50000', 'wallet', 'JPY');
      const other = await bank.openAccount(asha, 'savings', 'JPY');
      expect((await transfer(bank, asha, { from_account_id: yen.id, to_account_id: other.id, amount: '10000' })).status).toBe(201);
      expectProblem(await transfer(bank, asha, { from_account_id: yen.id, to_account_id: other.id, amount: '10001' }), 428, 'pin_not_set');
      expect((await setPin(asha, { password: TEST_PASSWORD, pin: PIN })).status).toBe(200);
      expect((await transfer(bank, asha, { from_account_id: yen.id, to_account_id: other.id, amount: '10001', pin: PIN })).status).toBe(201);
      expect(await bank.balance(asha, yen.id)).toBe('29999');
    });
  });

  describe('with an Idempotency-Key', () => {
    it('replays a stored response whatever PIN the retry carries, and never stores a PIN refusal', async () => {
      const { customer: asha, from, to } = await customerWithPin('pinidem');
      const body = { from_account_id: from.id, to_account_id: to.id, amount: '20000.00' };
      const key = { 'idempotency-key': `pin-${uniqueName('k')}` };

      expectProblem(await transfer(bank, asha, { ...body, pin: '9517' }, key), 403, 'pin_invalid');
      expectProblem(await transfer(bank, asha, body, key), 428, 'pin_required');
      const first = await transfer(bank, asha, { ...body, pin: PIN }, key);
      expect(first.status, first.text).toBe(201);
      expect(first.headers['idempotent-replayed']).toBeUndefined();

      for (const retry of [{ ...body, pin: PIN }, body, { ...body, pin: '9517' }]) {
        const replay = await transfer(bank, asha, retry, key);
        expect(replay.status, replay.text).toBe(201);
        expect(replay.headers['idempotent-replayed']).toBe('true');
        expect(replay.text).toBe(first.text);
      }
      // The wrong PIN of a replay was not checked: the count did not move.
      expect((await bank.request('GET', `${API}/users/me/pin`, { token: asha.token })).body.locked_until).toBeNull();
      expectProblem(await transfer(bank, asha, { ...body, amount: '20000.01', pin: PIN }, key), 422, 'idempotency_key_reused');
      expect(await bank.balance(asha, from.id)).toBe('30000.00');

      const stored = await sql<{ request_hash: string; response_body: string }>`
        select request_hash, response_body from idempotency_keys where scope = ${asha.userId}`.execute(bank.app.context.db);
      expect(stored.rows).toHaveLength(1);
      expect(stored.rows[0]?.response_body).not.toContain(PIN);
    });
  });

  it('only customers move money; staff get 403 before any PIN question', async () => {
    const admin = await bank.user(uniqueName('pinadmin'), 'admin');
    const { from, to } = await customerWithPin('pinstaff');
    expectProblem(await transfer(bank, admin, { from_account_id: from.id, to_account_id: to.id, amount: '20000.00' }), 403, 'forbidden');
  });
});
