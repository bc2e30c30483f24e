/**
 * Freezing, unfreezing and closing accounts.
 */
import { isManager } from '../../core/roles.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { recordAudit } from '../audit/index.js';
import { lockAccounts, setAccountStatus } from '../ledger/index.js';
import { loadAccounts, visibleAccount, type Account } from './access.js';
import { accountErrors } from './errors.js';
import { setFrozenByBank } from './store.js';

async function reload(context: AppContext, id: string): Promise<Account> {
  const account = (await loadAccounts(context.db, [id])).get(id);
  if (account === undefined) throw accountErrors.notFound();
  return account;
}

function checkCanManage(principal: Principal, account: Account): void {
  if (principal.role === 'customer' && account.record.ownerId === principal.userId) return;
  if (isManager(principal.role)) return;
  // Auditors are stopped by the route; anyone else does not see the account.
  throw accountErrors.notFound();
}

/**
 * Freezes or unfreezes an account. A frozen account can neither send nor receive. The owner may
 * freeze their account and unfreeze it again; an account frozen by the bank (an admin) is unfrozen
 * only by the bank. Freezing a frozen account (or unfreezing an active one) changes nothing.
 * Errors: account_not_found (404), frozen_by_bank (403), account_closed (409).
 */
export async function setFrozen(context: AppContext, principal: Principal, input: { accountId: string; frozen: boolean }): Promise<Account> {
  const account = await visibleAccount(context, principal, input.accountId);
  checkCanManage(principal, account);
  const byBank = isManager(principal.role);
  await context.transact(async (tx) => {
    const state = (await lockAccounts(tx, [account.record.id])).get(account.record.id);
    if (state === undefined) throw accountErrors.notFound();
    if (state.status === 'closed') throw accountErrors.alreadyClosed();
    const current = (await loadAccounts(tx, [account.record.id])).get(account.record.id);
    const before = { status: state.status, frozen_by_bank: current?.record.frozenByBank ?? false };
    let after: typeof before | undefined;
    if (input.frozen && state.status === 'active') {
      await setAccountStatus(tx, account.record.id, 'frozen');
      await setFrozenByBank(tx, account.record.id, byBank);
      after = { status: 'frozen', frozen_by_bank: byBank };
    } else if (input.frozen && byBank && current?.record.frozenByBank === false) {
      // The bank freezes an account its owner had frozen: from now on only the bank unfreezes it.
      await setFrozenByBank(tx, account.record.id, true);
      after = { status: 'frozen', frozen_by_bank: true };
    } else if (!input.frozen && state.status === 'frozen') {
      if (current?.record.frozenByBank === true && !byBank) throw accountErrors.frozenByBank();
      await setAccountStatus(tx, account.record.id, 'active');
      await setFrozenByBank(tx, account.record.id, false);
      after = { status: 'active', frozen_by_bank: false };
    }
    if (after !== undefined) {
      const action = input.frozen ? 'account.frozen' : 'account.unfrozen';
      await writeOutbox(tx, [
        {
          topic: action,
          userIds: [account.record.ownerId],
          payload: { account_id: account.record.id, user_id: account.record.ownerId, by: byBank ? 'bank' : 'customer' },
        },
      ]);
      await recordAudit(tx, { actor: principal, action, target: { type: 'account', id: account.record.id }, before, after });
    }
  });
  return reload(context, account.record.id);
}

/**
 * Closes an account for good. Only an account with a zero balance can be closed; a closed account
 * accepts nothing and cannot be reopened. Errors: account_not_found (404), balance_not_zero,
 * account_closed (409).
 */
export async function closeAccount(context: AppContext, principal: Principal, input: { accountId: string }): Promise<Account> {
  const account = await visibleAccount(context, principal, input.accountId);
  checkCanManage(principal, account);
  await context.transact(async (tx) => {
    const state = (await lockAccounts(tx, [account.record.id])).get(account.record.id);
    if (state === undefined) throw accountErrors.notFound();
    if (state.status === 'closed') throw accountErrors.alreadyClosed();
    if (state.balanceMinor !== 0n) throw accountErrors.balanceNotZero();
    await setAccountStatus(tx, account.record.id, 'closed');
    await writeOutbox(tx, [{ topic: 'account.closed', userIds: [account.record.ownerId], payload: { account_id: account.record.id, user_id: account.record.ownerId } }]);
    await recordAudit(tx, {
      actor: principal,
      action: 'account.closed',
      target: { type: 'account', id: account.record.id },
      before: { status: state.status },
      after: { status: 'closed' },
    });
  });
  return reload(context, account.record.id);
}
