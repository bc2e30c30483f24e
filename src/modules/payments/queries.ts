/**
 * Reading movements: one transaction, the history with filters, and an account's limits today.
 */
import { isStaff } from '../../core/roles.js';
import { validationError } from '../../core/errors.js';
import { currencyOf, findCurrency, formatAmount, parseAmount } from '../../core/money.js';
import { addDays, bankDay, isCalendarDate, startOfLocalDate } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { decodeCursor, encodeCursor } from '../../platform/http/schemas.js';
import { isUuid } from '../../platform/ids.js';
import { dailyLimitMinor, listAccountIdsOfOwner, visibleAccount } from '../accounts/index.js';
import { paymentErrors } from './errors.js';
import { dailyUsage, findTransfer, listTransfers, type MovementKind, type TransferRecord } from './store.js';

/** A movement the principal may see: staff see all; a customer those touching their accounts. */
export async function getTransfer(context: AppContext, principal: Principal, id: string): Promise<TransferRecord> {
  const record = isUuid(id) ? await findTransfer(context.db, id) : undefined;
  if (record === undefined) throw paymentErrors.transferNotFound();
  if (isStaff(principal.role)) return record;
  const own = new Set(await listAccountIdsOfOwner(context.db, principal.userId));
  const touches = [record.fromAccountId, record.toAccountId].some((accountId) => accountId !== null && own.has(accountId));
  if (!touches) throw paymentErrors.transferNotFound();
  return record;
}

export interface HistoryQuery {
  readonly accountId?: string | undefined;
  readonly kind?: MovementKind | undefined;
  readonly from?: string | undefined;
  readonly to?: string | undefined;
  readonly currency?: string | undefined;
  readonly minAmount?: string | undefined;
  readonly maxAmount?: string | undefined;
  readonly text?: string | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

function parseDateBound(value: string | undefined, field: string, timeZone: string, nextDay: boolean): Date | undefined {
  if (value === undefined) return undefined;
  if (!isCalendarDate(value)) throw paymentErrors.invalidFilter(field, `${field} must be a date in YYYY-MM-DD form.`);
  return startOfLocalDate(nextDay ? addDays(value, 1) : value, timeZone);
}

/**
 * The history of movements, newest first, with a stable cursor. A customer sees movements that
 * touch their accounts (or one of them with account_id); staff see all. Dates are local dates in
 * the bank's time zone, both included. Errors: account_not_found (404), invalid_filter,
 * invalid_cursor (422).
 */
export async function transactionHistory(
  context: AppContext,
  principal: Principal,
  query: HistoryQuery,
): Promise<{ items: TransferRecord[]; nextCursor: string | null }> {
  const beforeSeq = decodeCursor(query.cursor);
  if (beforeSeq === 'invalid') throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  let accountIds: string[] | undefined;
  if (query.accountId !== undefined) {
    accountIds = [(await visibleAccount(context, principal, query.accountId)).record.id];
  } else if (!isStaff(principal.role)) {
    accountIds = await listAccountIdsOfOwner(context.db, principal.userId);
    if (accountIds.length === 0) return { items: [], nextCursor: null };
  }
  const timeZone = context.config.BANK_TIMEZONE;
  const from = parseDateBound(query.from, 'from', timeZone, false);
  const to = parseDateBound(query.to, 'to', timeZone, true);
  if (from !== undefined && to !== undefined && from >= to) throw paymentErrors.invalidFilter('from', 'from must not be after to.');
  const amountCurrency = findCurrency(query.currency ?? context.config.BANK_CURRENCY);
  if (amountCurrency === undefined) throw paymentErrors.invalidFilter('currency', 'currency is not a known ISO 4217 code.');
  const bound = (value: string | undefined, field: string) =>
    value === undefined ? undefined : parseAmount(value, amountCurrency, { field, allowZero: true });
  const minAmountMinor = bound(query.minAmount, 'min_amount');
  const maxAmountMinor = bound(query.maxAmount, 'max_amount');
  const amountFiltered = minAmountMinor !== undefined || maxAmountMinor !== undefined;
  const records = await listTransfers(context.db, {
    accountIds,
    kind: query.kind,
    from,
    to,
    // Amount bounds are in one currency's units, so they restrict the results to it.
    currency: query.currency ?? (amountFiltered ? amountCurrency.code : undefined),
    minAmountMinor,
    maxAmountMinor,
    text: query.text === undefined || query.text.trim() === '' ? undefined : query.text.trim(),
    beforeSeq,
    limit: query.limit + 1,
  });
  const items = records.slice(0, query.limit);
  const last = items.at(-1);
  return { items, nextCursor: records.length > query.limit && last !== undefined ? encodeCursor(last.seq) : null };
}

export interface LimitsView {
  readonly accountId: string;
  readonly currency: string;
  readonly dailyLimit: string;
  readonly usedToday: string;
  readonly remaining: string;
  readonly resetsAt: Date;
}

/** The account's daily limit, what was used today and when it resets. Errors: account_not_found (404). */
export async function accountLimits(context: AppContext, principal: Principal, accountId: string): Promise<LimitsView> {
  const account = await visibleAccount(context, principal, accountId);
  const currency = currencyOf(account.record.currency);
  const day = bankDay(context.now(), context.config.BANK_TIMEZONE);
  const limitMinor = dailyLimitMinor(context.config, account.record);
  const usedMinor = (await dailyUsage(context.db, [account.record.id], day.date)).get(account.record.id) ?? 0n;
  const remainingMinor = limitMinor > usedMinor ? limitMinor - usedMinor : 0n;
  return {
    accountId: account.record.id,
    currency: currency.code,
    dailyLimit: formatAmount(limitMinor, currency),
    usedToday: formatAmount(usedMinor, currency),
    remaining: formatAmount(remainingMinor, currency),
    resetsAt: day.endsAt,
  };
}
