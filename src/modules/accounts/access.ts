/**
 * Loading accounts with their ledger state, and who may see them: a customer sees only their own
 * accounts (another customer's account is "not found"), staff see every account. Also the limits
 * of accounts, which depend on the owner's KYC tier: a customer whose KYC is not verified gets at
 * most KYC_UNVERIFIED_DAILY_LIMIT a day on every account, and wallets capped at
 * KYC_UNVERIFIED_WALLET_BALANCE_MAX (RBI's minimum-KYC wallets).
 */
import { isStaff } from '../../core/roles.js';
import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/database.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { kycStatusExpression, type KycStatus } from '../identity/index.js';
import { readAccounts, type LedgerAccount } from '../ledger/index.js';
import { parseAmount, currencyOf } from '../../core/money.js';
import type { Config } from '../../platform/config.js';
import { accountErrors } from './errors.js';
import { accountsByIdsStatement, type AccountRecord, type AccountType } from './store.js';
import { parameterized, runStatement, wrapStatement, type Statement } from '../../platform/db/script.js';

/**
 * An account record as loaded with its owner's KYC status, which decides the account's limits.
 * When the status was not loaded (a record just inserted), the stricter tier applies.
 */
export interface TieredAccountRecord extends AccountRecord {
  readonly ownerKycStatus?: KycStatus | undefined;
}

export interface Account {
  readonly record: TieredAccountRecord;
  readonly ledger: LedgerAccount;
}

/**
 * Accounts by id with their owners' KYC statuses, in one statement (the KYC status comes from the
 * identity module's published expression, so this module never names its tables).
 */
function tieredAccountsStatement(ids: readonly string[]): Statement<TieredAccountRecord[]> {
  const accounts = accountsByIdsStatement(ids);
  return wrapStatement(
    accounts,
    (text) => `select a.*, ${kycStatusExpression('a.owner_id')} as owner_kyc_status from (${text}) a`,
    (rows) =>
      accounts.parse(rows).map((record, index) => ({
        ...record,
        ownerKycStatus: (rows[index] as { owner_kyc_status: KycStatus | null }).owner_kyc_status ?? undefined,
      })),
  );
}

export async function loadAccounts(executor: Db | Tx, ids: readonly string[]): Promise<Map<string, Account>> {
  const validIds = ids.filter(isUuid);
  const [records, ledgerAccounts] = await Promise.all([
    validIds.length === 0 ? [] : runStatement(executor, tieredAccountsStatement(validIds)),
    readAccounts(executor, validIds),
  ]);
  const ledgerById = new Map(ledgerAccounts.map((account) => [account.id, account]));
  const accounts = new Map<string, Account>();
  for (const record of records) {
    const ledger = ledgerById.get(record.id);
    if (ledger !== undefined) accounts.set(record.id, { record, ledger });
  }
  return accounts;
}

/** The account if the principal may see it; otherwise account_not_found (404). */
export async function visibleAccount(context: AppContext, principal: Principal, id: string): Promise<Account> {
  const account = (await loadAccounts(context.db, [id])).get(id);
  if (account === undefined) throw accountErrors.notFound();
  if (!isStaff(principal.role) && account.record.ownerId !== principal.userId) throw accountErrors.notFound();
  return account;
}

/** The account if the principal owns it; otherwise account_not_found (404). */
export async function ownedAccount(context: AppContext, principal: Principal, id: string): Promise<Account> {
  const account = (await loadAccounts(context.db, [id])).get(id);
  if (account === undefined || account.record.ownerId !== principal.userId) throw accountErrors.notFound();
  return account;
}

/**
 * The daily limit in force on an account: its own when an admin set one, else the default of its
 * type; for an owner whose KYC is not verified, at most KYC_UNVERIFIED_DAILY_LIMIT.
 */
export function dailyLimitMinor(config: Config, record: TieredAccountRecord): bigint {
  const limitMinor = record.dailyLimitMinor ?? defaultDailyLimitMinor(config, record.type, record.currency);
  if (record.ownerKycStatus === 'verified') return limitMinor;
  const tierMinor = configuredAmountMinor(config.KYC_UNVERIFIED_DAILY_LIMIT, record.currency);
  return tierMinor < limitMinor ? tierMinor : limitMinor;
}

/** The most a wallet may hold: null (no cap) unless it is a wallet of an owner whose KYC is not verified. */
export function balanceMaxMinor(config: Config, record: TieredAccountRecord): bigint | null {
  if (record.type !== 'wallet' || record.ownerKycStatus === 'verified') return null;
  return configuredAmountMinor(config.KYC_UNVERIFIED_WALLET_BALANCE_MAX, record.currency);
}

export function defaultDailyLimitMinor(config: Config, type: AccountType, currency: string): bigint {
  const text = type === 'checking' ? config.DAILY_LIMIT_CHECKING : type === 'wallet' ? config.DAILY_LIMIT_WALLET : config.DAILY_LIMIT_SAVINGS;
  return configuredAmountMinor(text, currency);
}

/**
 * A configured amount in a currency's minor units. Amounts are configured in the base currency's
 * major units; other currencies use the same number of major units (converted limits arrive with
 * multi-currency support).
 */
function configuredAmountMinor(text: string, currency: string): bigint {
  const cacheKey = `${currency} ${text}`;
  let amountMinor = configuredAmounts.get(cacheKey);
  if (amountMinor === undefined) {
    amountMinor = parseConfiguredAmount(text, currency);
    configuredAmounts.set(cacheKey, amountMinor);
  }
  return amountMinor;
}

/** Configured amounts already converted (a handful of settings times a handful of currencies). */
const configuredAmounts = new Map<string, bigint>();

function parseConfiguredAmount(text: string, currency: string): bigint {
  const unit = currencyOf(currency);
  const [whole = '0', fraction = ''] = text.split('.');
  return parseAmount(`${whole}${unit.exponent > 0 ? `.${fraction.padEnd(unit.exponent, '0').slice(0, unit.exponent)}` : ''}`, unit, { allowZero: true, maxMinor: 10n ** 18n });
}

/**
 * The daily limits in force on several accounts (owners' KYC tiers applied), as a statement for
 * the caller's transaction (admins may change limits and KYC statuses at any time).
 */
export function dailyLimitsStatement(config: Config, ids: readonly string[]): Statement<Map<string, bigint>> {
  const statement = tieredAccountsStatement(ids.filter(isUuid));
  return wrapStatement(statement, (text) => text, (rows) => new Map(statement.parse(rows).map((record) => [record.id, dailyLimitMinor(config, record)])));
}

/**
 * The balance caps of those of several accounts that have one (wallets of owners whose KYC is not
 * verified), as a statement for the caller's transaction.
 */
export function balanceCapsStatement(config: Config, ids: readonly string[]): Statement<Map<string, bigint>> {
  const statement = tieredAccountsStatement(ids.filter(isUuid));
  return wrapStatement(
    statement,
    (text) => text,
    (rows) =>
      new Map(
        statement.parse(rows).flatMap((record) => {
          const capMinor = balanceMaxMinor(config, record);
          return capMinor === null ? [] : [[record.id, capMinor] as const];
        }),
      ),
  );
}

/**
 * The owners of customer accounts (ledger accounts of the bank itself have none), as a statement
 * for a script: the transfer engine reads it with its locks to address the outbox events.
 */
export function accountOwnersStatement(ids: readonly string[]): Statement<Map<string, string>> {
  const validIds = ids.filter(isUuid);
  if (validIds.length === 0) return { sql: 'select null where false', parse: () => new Map() };
  return parameterized(
    (values) => `select id, owner_id from accounts where id = any (${values.array(validIds, 'uuid')})`,
    (rows) => new Map((rows as Array<{ id: string; owner_id: string }>).map((row) => [row.id, row.owner_id])),
  );
}
