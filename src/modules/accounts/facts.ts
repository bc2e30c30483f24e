/**
 * The immutable facts of accounts (owner, number, type, currency) for the hot path of money
 * movement. They never change once an account exists, so they are cached in memory without any
 * risk of staleness, and concurrent lookups of uncached accounts are gathered into one query.
 * Everything that can change (status, balance, daily limit) is read under lock in the transaction.
 */
import DataLoader from 'dataloader';
import { LRUCache } from 'lru-cache';
import type { AppContext } from '../../platform/context.js';
import { isUuid } from '../../platform/ids.js';
import { findAccountByNumber, findAccountsByIds, type AccountType } from './store.js';

export interface AccountFacts {
  readonly id: string;
  readonly ownerId: string;
  readonly number: string;
  readonly type: AccountType;
  readonly currency: string;
}

const CACHED_ACCOUNTS_MAX = 200_000;

interface FactsCache {
  readonly known: LRUCache<string, AccountFacts>;
  readonly loader: DataLoader<string, AccountFacts | null>;
  readonly idByNumber: LRUCache<string, string>;
}

const caches = new WeakMap<AppContext, FactsCache>();

function cacheOf(context: AppContext): FactsCache {
  let cache = caches.get(context);
  if (cache === undefined) {
    const known = new LRUCache<string, AccountFacts>({ max: CACHED_ACCOUNTS_MAX });
    const byId = new DataLoader<string, AccountFacts | null>(
      async (ids) => {
        const records = await findAccountsByIds(context.db, ids);
        const found = new Map(records.map((record) => [record.id, record]));
        return ids.map((id) => {
          const record = found.get(id);
          if (record === undefined) return null;
          const facts: AccountFacts = { id: record.id, ownerId: record.ownerId, number: record.number, type: record.type, currency: record.currency };
          known.set(id, facts);
          return facts;
        });
      },
      // Only found accounts are remembered (an id unknown now may be opened later).
      { cache: false, maxBatchSize: 500, batchScheduleFn: (callback) => setImmediate(callback) },
    );
    cache = { known, loader: byId, idByNumber: new LRUCache({ max: CACHED_ACCOUNTS_MAX }) };
    caches.set(context, cache);
  }
  return cache;
}

/** The facts of an account, or undefined when no account has this id. */
export async function accountFacts(context: AppContext, id: string): Promise<AccountFacts | undefined> {
  if (!isUuid(id)) return undefined;
  const cache = cacheOf(context);
  return cache.known.get(id) ?? (await cache.loader.load(id)) ?? undefined;
}

/** The facts of the account with this number, or undefined. */
export async function accountFactsByNumber(context: AppContext, number: string): Promise<AccountFacts | undefined> {
  const cache = cacheOf(context);
  let id = cache.idByNumber.get(number);
  if (id === undefined) {
    id = (await findAccountByNumber(context.db, number))?.id;
    if (id === undefined) return undefined;
    cache.idByNumber.set(number, id);
  }
  return accountFacts(context, id);
}
