import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestBank, type Customer, type TestBank } from '../support/bank.js';
import { addDays, API, bankToday, expectNoStackTrace, expectProblem, paise, rupees, transfer, uniqueName, withdraw } from './helpers.js';

const UNKNOWN_UUID = '01900000-0000-7000-8000-000000000000';

/** Splits one CSV line (RFC 4180) into fields. */
function csvFields(line: string): string[] {
  const fields: string[] = [];
  let current = '';
  let quoted = false;
  for (let index = 0; index < line.length; index += 1) {
    const char = line[index];
    if (quoted) {
      if (char === '"' && line[index + 1] === '"') {
        current += '"';
        index += 1;
      } else if (char === '"') quoted = false;
      else current += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      fields.push(current);
      current = '';
    } else current += char;
  }
  fields.push(current);
  return fields;
}

describe('GET /accounts/{id}/statement', () => {
  let bank: TestBank;
  let auditor: Customer;
  let asha: Customer;
  let ravi: Customer;
  let account: any;
  let today: string;
  beforeAll(async () => {
    bank = await startTestBank();
    today = bankToday();
    auditor = await bank.user(uniqueName('auditor'), 'auditor');
    asha = await bank.user(uniqueName('asha'));
    ravi = await bank.user(uniqueName('ravi'));
    account = await bank.openAccount(asha, 'savings');
    const ravis = await bank.openAccount(ravi, 'savings');
    const ok = (reply: { status: number; text: string }) => {
      if (reply.status !== 201) throw new Error(reply.text);
    };
    const deposit = (amount: string, description: string) =>
      bank.request('POST', `${API}/transactions/deposit`, { token: asha.token, body: { account_id: account.id, amount, description } });
    ok(await deposit('1000.00', 'Opening deposit'));
    ok(await deposit('50.00', '=HYPERLINK("http://evil.example","click")'));
    ok(await deposit('5.00', '@SUM(A1:A9)'));
    ok(await deposit('6.00', '+cmd|calc'));
    ok(await deposit('7.00', 'Groceries, vegetables and "fruit"'));
    ok(await withdraw(bank, asha, account.id, '200.00'));
    ok(await transfer(bank, asha, { from_account_id: account.id, to_account_number: ravis.number, amount: '123.45', description: 'Rent' }));
    ok(await bank.deposit(ravi, ravis.id, '10.00'));
    ok(await transfer(bank, ravi, { from_account_id: ravis.id, to_account_number: account.number, amount: '10.00', description: 'Refund' }));
  });
  afterAll(async () => bank.close());

  const statement = (who: Customer | undefined, id: string, query = '') =>
    bank.request('GET', `${API}/accounts/${id}/statement${query === '' ? '' : `?${query}`}`, who === undefined ? {} : { token: who.token });

  it('returns a JSON statement whose running balance, totals and closing balance agree', async () => {
    const reply = await statement(asha, account.id, `from=${today}&to=${today}&format=json`);
    expect(reply.status, reply.text).toBe(200);
    const body = reply.body;
    expect(body).toMatchObject({
      account_id: account.id,
      number: account.number,
      currency: 'INR',
      from: today,
      to: today,
      opening_balance: '0.00',
      closing_balance: '754.55',
      total_credits: '1078.00',
      total_debits: '323.45',
    });
    expect(body.lines).toHaveLength(8);
    let running = paise(body.opening_balance);
    let credits = 0n;
    let debits = 0n;
    for (const line of body.lines) {
      expect(line).toEqual({
        entry_id: expect.stringMatching(/^[0-9a-f-]{36}$/),
        date: expect.any(String),
        type: expect.stringMatching(/^(deposit|withdrawal|transfer|reversal)$/),
        description: expect.anything(),
        amount: expect.stringMatching(/^-?[0-9]+\.[0-9]{2}$/),
        balance: expect.stringMatching(/^[0-9]+\.[0-9]{2}$/),
      });
      const amount = paise(line.amount);
      running += amount;
      if (amount > 0n) credits += amount;
      else debits -= amount;
      expect(line.balance).toBe(rupees(running));
    }
    expect(rupees(running)).toBe(body.closing_balance);
    expect(rupees(credits)).toBe(body.total_credits);
    expect(rupees(debits)).toBe(body.total_debits);
    expect(paise(body.opening_balance) + credits - debits).toBe(paise(body.closing_balance));
    expect(body.closing_balance).toBe(await bank.balance(asha, account.id));
    // Oldest first.
    expect(body.lines[0]).toMatchObject({ type: 'deposit', amount: '1000.00', description: 'Opening deposit' });
    expect(body.lines.at(-1)).toMatchObject({ type: 'transfer', amount: '10.00', description: 'Refund' });
    expect(body.lines.map((line: any) => line.amount)).toContain('-123.45');
  });

  it('defaults to this month up to today, in JSON', async () => {
    const reply = await statement(asha, account.id);
    expect(reply.status).toBe(200);
    expect(reply.body).toMatchObject({ from: `${today.slice(0, 8)}01`, to: today, closing_balance: '754.55' });
  });

  it('carries the balance into later periods and reports nothing for earlier ones', async () => {
    const future = await statement(asha, account.id, `from=${addDays(today, 1)}&to=${addDays(today, 2)}`);
    expect(future.status).toBe(200);
    expect(future.body).toMatchObject({ opening_balance: '754.55', closing_balance: '754.55', total_credits: '0.00', total_debits: '0.00', lines: [] });
    const past = await statement(asha, account.id, 'from=2020-01-01&to=2020-01-31');
    expect(past.body).toMatchObject({ opening_balance: '0.00', closing_balance: '0.00', lines: [] });
  });

  it('exports CSV with a BOM, the header, CRLF line ends, opening and closing rows, and formula-safe descriptions', async () => {
    const reply = await statement(asha, account.id, `from=${today}&to=${today}&format=csv`);
    expect(reply.status, reply.text).toBe(200);
    expect(String(reply.headers['content-type'])).toMatch(/^text\/csv/);
    expect(String(reply.headers['content-disposition'])).toMatch(/^attachment; filename="[^"]+\.csv"$/);
    const text = reply.text;
    expect(text.startsWith('\uFEFF')).toBe(true);
    expect(text.endsWith('\r\n')).toBe(true);
    expect(text.replaceAll('\r\n', '')).not.toMatch(/[\r\n]/);
    const lines = text.slice(1).split('\r\n').slice(0, -1);
    expect(lines[0]).toBe('Date,Description,Type,Reference,Debit,Credit,Balance,Currency');
    expect(lines).toHaveLength(8 + 3);
    const rows = lines.map(csvFields);
    for (const row of rows) expect(row).toHaveLength(8);
    expect(rows[1]).toEqual([today, 'Opening balance', '', '', '', '', '0.00', 'INR']);
    expect(rows.at(-1)).toEqual([today, 'Closing balance', '', '', '', '', '754.55', 'INR']);

    const descriptions = rows.slice(2, -1).map((row) => row[1]);
    expect(descriptions).toContain('\'=HYPERLINK("http://evil.example","click")');
    expect(descriptions).toContain("'@SUM(A1:A9)");
    expect(descriptions).toContain("'+cmd|calc");
    expect(descriptions).toContain('Groceries, vegetables and "fruit"');
    for (const description of descriptions) expect(description).not.toMatch(/^[=+\-@\t\r]/);
    // The raw text never starts a field with a formula character.
    for (const line of lines) expect(line).not.toMatch(/(^|,)"?[=+@]/);

    const rent = rows.find((row) => row[1] === 'Rent');
    expect(rent).toBeDefined();
    expect(rent?.[2]).toBe('transfer');
    expect(rent?.[4]).toBe('123.45');
    expect(rent?.[5]).toBe('');
    const opening = rows.find((row) => row[1] === 'Opening deposit');
    expect(opening?.[4]).toBe('');
    expect(opening?.[5]).toBe('1000.00');
    expect(opening?.[6]).toBe('1000.00');
    // The running balance column agrees with debits and credits.
    let running = 0n;
    for (const row of rows.slice(2, -1)) {
      running += paise(row[5] === '' ? '0' : (row[5] ?? '0')) - paise(row[4] === '' ? '0' : (row[4] ?? '0'));
      expect(row[6]).toBe(rupees(running));
      expect(row[0]).toMatch(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      expect(row[3]).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('refuses bad date ranges (422 invalid_date_range)', async () => {
    const cases = [
      `from=${today}&to=${addDays(today, -1)}`,
      'from=2026-02-30&to=2026-03-01',
      'from=2025-01-01&to=2025-02-29',
      'from=2025-13-01&to=2025-12-31',
      'from=20250101&to=20250102',
      'from=2025-1-1&to=2025-01-02',
      'from=yesterday',
      'from=2025-01-01&to=2026-01-02',
      'from=2024-01-01&to=2025-12-31',
    ];
    for (const query of cases) {
      const reply = await statement(asha, account.id, query);
      expect(reply.status, query).toBe(422);
      expectProblem(reply, 422, 'invalid_date_range');
    }
  });

  it('accepts a range of exactly 366 days', async () => {
    const reply = await statement(asha, account.id, 'from=2025-01-01&to=2026-01-01');
    expect(reply.status, reply.text).toBe(200);
    const single = await statement(asha, account.id, `from=${today}&to=${today}`);
    expect(single.status).toBe(200);
  });

  it('refuses other bad parameters (422 validation_failed)', async () => {
    expectProblem(await statement(asha, account.id, 'format=xml'), 422, 'validation_failed');
    expectProblem(await statement(asha, account.id, 'format=CSV'), 422, 'validation_failed');
    expectProblem(await statement(asha, account.id, 'from=2025-01-01T00:00'), 422, 'validation_failed');
    expectProblem(await statement(asha, account.id, 'page=2'), 422, 'validation_failed');
  });

  it('is visible to the owner and staff only', async () => {
    expectProblem(await statement(ravi, account.id), 404, 'account_not_found');
    expectProblem(await statement(ravi, account.id, 'format=csv'), 404, 'account_not_found');
    expectProblem(await statement(asha, UNKNOWN_UUID), 404, 'account_not_found');
    expectProblem(await statement(asha, 'not-a-uuid'), 404, 'account_not_found');
    expectProblem(await statement(undefined, account.id), 401, 'unauthenticated');
    const staff = await statement(auditor, account.id, 'format=csv');
    expect(staff.status).toBe(200);
    expectNoStackTrace(staff);
  });
});
