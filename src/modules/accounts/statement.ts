import { validationError } from '../../core/errors.js';
import { addDays, isCalendarDate, localDate, startOfLocalDate } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { statement as ledgerStatement, type StatementData } from '../ledger/index.js';
import { visibleAccount, type Account } from './access.js';
import { accountErrors } from './errors.js';

export const STATEMENT_DAYS_MAX = 366;
export const STATEMENT_LINES_MAX = 10_000;

export interface Statement extends StatementData {
  readonly account: Account;
  readonly from: string;
  readonly to: string;
  readonly closingBalanceMinor: bigint;
}

/**
 * The statement of an account for the local dates [from, to] (both included, in the bank's time
 * zone): the opening balance, every posting with the running balance after it, and the closing
 * balance. Defaults: from the first day of the current month to today.
 * Errors: account_not_found (404), invalid_date_range, statement_too_large (422).
 */
export async function accountStatement(
  context: AppContext,
  principal: Principal,
  input: { accountId: string; from?: string | undefined; to?: string | undefined },
): Promise<Statement> {
  const account = await visibleAccount(context, principal, input.accountId);
  const timeZone = context.config.BANK_TIMEZONE;
  const today = localDate(context.now(), timeZone);
  const to = input.to ?? today;
  const from = input.from ?? `${to.slice(0, 8)}01`;
  if (!isCalendarDate(from) || !isCalendarDate(to)) throw accountErrors.invalidRange('from and to must be dates in YYYY-MM-DD form.');
  if (from > to) throw accountErrors.invalidRange('from must not be after to.');
  if (addDays(from, STATEMENT_DAYS_MAX) <= to) throw accountErrors.invalidRange(`A statement covers at most ${STATEMENT_DAYS_MAX} days.`);
  const data = await ledgerStatement(context.db, {
    accountId: account.record.id,
    kind: account.ledger.kind,
    from: startOfLocalDate(from, timeZone),
    to: startOfLocalDate(addDays(to, 1), timeZone),
    limit: STATEMENT_LINES_MAX + 1,
  });
  if (data.lines.length > STATEMENT_LINES_MAX) {
    throw validationError('statement_too_large', `The statement has more than ${STATEMENT_LINES_MAX} lines; choose a shorter period.`, 'from');
  }
  const closingBalanceMinor = data.lines.at(-1)?.balanceAfterMinor ?? data.openingBalanceMinor;
  return { ...data, account, from, to, closingBalanceMinor };
}
