import { isStaff } from '../../core/roles.js';
import { validationError } from '../../core/errors.js';
import type { AppContext } from '../../platform/context.js';
import type { Principal } from '../../platform/http/auth.js';
import { decodeCursor, encodeCursor } from '../../platform/http/schemas.js';
import { isUuid } from '../../platform/ids.js';
import { recentPostings, type StatementPosting } from '../ledger/index.js';
import { loadAccounts, visibleAccount, type Account } from './access.js';
import { listAccounts as listAccountRecords, type AccountType } from './store.js';

export interface AccountPage {
  readonly items: Account[];
  readonly nextCursor: string | null;
}

/**
 * Lists accounts newest first: a customer's own, or for staff every account with filters
 * (owner, type, currency, status, number prefix). Errors: invalid_cursor (422).
 */
export async function listAccounts(
  context: AppContext,
  principal: Principal,
  query: {
    ownerId?: string | undefined;
    type?: AccountType | undefined;
    currency?: string | undefined;
    status?: 'active' | 'frozen' | 'closed' | undefined;
    number?: string | undefined;
    limit: number;
    cursor?: string | undefined;
  },
): Promise<AccountPage> {
  const beforeSeq = decodeCursor(query.cursor);
  if (beforeSeq === 'invalid') throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  const ownerId = isStaff(principal.role) ? query.ownerId : principal.userId;
  if (ownerId !== undefined && !isUuid(ownerId)) return { items: [], nextCursor: null };
  const items: Account[] = [];
  let cursor = beforeSeq;
  // A status filter is applied after the ledger lookup, so pages are filled in bounded rounds.
  for (let round = 0; round < 10 && items.length < query.limit; round += 1) {
    const records = await listAccountRecords(context.db, {
      ownerId,
      type: query.type,
      currency: query.currency,
      numberPrefix: query.number,
      beforeSeq: cursor,
      limit: query.limit + 1,
    });
    const accounts = await loadAccounts(context.db, records.map((record) => record.id));
    const page = records.slice(0, query.limit);
    let examined = 0;
    for (const record of page) {
      if (items.length === query.limit) break;
      examined += 1;
      cursor = record.seq;
      const account = accounts.get(record.id);
      if (account === undefined) continue;
      if (query.status !== undefined && account.ledger.status !== query.status) continue;
      items.push(account);
    }
    if (records.length <= query.limit && examined === page.length) return { items, nextCursor: null };
  }
  return { items, nextCursor: cursor === undefined ? null : encodeCursor(cursor) };
}

/** One account with its ten latest postings. Errors: account_not_found (404). */
export async function getAccount(
  context: AppContext,
  principal: Principal,
  accountId: string,
): Promise<{ account: Account; recent: StatementPosting[] }> {
  const account = await visibleAccount(context, principal, accountId);
  const recent = await recentPostings(context.db, { accountId: account.record.id, limit: 10 });
  return { account, recent };
}
