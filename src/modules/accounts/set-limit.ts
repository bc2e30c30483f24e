import { formatAmount, parseAmount, currencyOf } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { recordAudit } from '../audit/index.js';
import { lockAccounts } from '../ledger/index.js';
import { loadAccounts, visibleAccount, type Account } from './access.js';
import { accountErrors } from './errors.js';
import { setDailyLimit } from './store.js';

/**
 * Sets one account's daily limit (admins), or restores the default of its type with null.
 * Errors: account_not_found (404), invalid_amount (422), account_closed (409).
 */
export async function setAccountDailyLimit(
  context: AppContext,
  principal: Principal,
  input: { accountId: string; dailyLimit: string | number | null },
): Promise<Account> {
  const account = await visibleAccount(context, principal, input.accountId);
  const limitMinor =
    input.dailyLimit === null
      ? null
      : parseAmount(input.dailyLimit, currencyOf(account.record.currency), { field: 'daily_limit', allowZero: true });
  // null: the default of the account type.
  const limitText = (minor: bigint | null) => (minor === null ? null : formatAmount(minor, currencyOf(account.record.currency)));
  await context.transact(async (tx) => {
    const state = (await lockAccounts(tx, [account.record.id])).get(account.record.id);
    if (state?.status === 'closed') throw accountErrors.alreadyClosed();
    await setDailyLimit(tx, account.record.id, limitMinor);
    await recordAudit(tx, {
      actor: principal,
      action: 'account.limit_changed',
      target: { type: 'account', id: account.record.id },
      before: { daily_limit: limitText(account.record.dailyLimitMinor) },
      after: { daily_limit: limitText(limitMinor) },
    });
  });
  const reloaded = (await loadAccounts(context.db, [account.record.id])).get(account.record.id);
  if (reloaded === undefined) throw accountErrors.notFound();
  return reloaded;
}
