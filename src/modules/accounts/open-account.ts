import { randomBytes } from 'node:crypto';
import { accountNumberFromRandom } from '../../core/account-number.js';
import { currencyOf } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { newId } from '../../platform/ids.js';
import { writeOutbox } from '../../platform/outbox/index.js';
import { recordAudit } from '../audit/index.js';
import { openCustomerLedgerAccount, readAccounts } from '../ledger/index.js';
import type { Account } from './access.js';
import { accountErrors } from './errors.js';
import { insertAccount, listAccountIdsOfOwner, lockOwner, type AccountType } from './store.js';

export const OPEN_ACCOUNTS_MAX = 20;
const NUMBER_ATTEMPTS_MAX = 8;

/**
 * Opens an account for the signed-in customer with a zero balance and a fresh 12-digit account
 * number with a check digit. Guarantees: the ledger account and the account are created together.
 * Errors: customers_only (403), unsupported_currency, unsupported_account_type (422),
 * account_limit_reached (409).
 */
export async function openAccount(
  context: AppContext,
  principal: Principal,
  input: { type: AccountType; currency?: string | undefined; nickname?: string | null | undefined },
): Promise<Account> {
  if (principal.role !== 'customer') throw accountErrors.customersOnly();
  if (input.type === 'loan') throw accountErrors.unsupportedType();
  const currency = currencyOf(input.currency ?? context.config.BANK_CURRENCY).code;
  const nickname = input.nickname === undefined || input.nickname === null || input.nickname.trim() === '' ? null : input.nickname.trim();
  return context.transact(async (tx) => {
    // Serialize account opening per customer so the cap on open accounts holds under concurrency.
    await lockOwner(tx, principal.userId);
    const ownedIds = await listAccountIdsOfOwner(tx, principal.userId);
    const openCount = (await readAccounts(tx, ownedIds)).filter((account) => account.status !== 'closed').length;
    if (openCount >= OPEN_ACCOUNTS_MAX) throw accountErrors.accountLimitReached(OPEN_ACCOUNTS_MAX);
    const id = newId();
    const ledger = await openCustomerLedgerAccount(tx, { id, name: `${input.type} account`, category: input.type, currency });
    for (let attempt = 0; attempt < NUMBER_ATTEMPTS_MAX; attempt += 1) {
      const record = await insertAccount(tx, {
        id,
        number: accountNumberFromRandom(randomBytes(8)),
        ownerId: principal.userId,
        type: input.type,
        currency,
        nickname,
      });
      if (record !== undefined) {
        await writeOutbox(tx, [
          { topic: 'account.opened', userIds: [record.ownerId], payload: { account_id: id, user_id: record.ownerId, type: record.type, currency: record.currency } },
        ]);
        await recordAudit(tx, {
          actor: principal,
          action: 'account.opened',
          target: { type: 'account', id },
          after: { number: record.number, type: record.type, currency: record.currency, nickname: record.nickname, owner_id: record.ownerId },
        });
        return { record, ledger };
      }
    }
    throw new Error('could not allocate a unique account number');
  });
}
