/** Queries shared by several pages, and the keys that money movements make stale. */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, unwrap } from './client';
import type { Account, Transaction, TransactionQuery } from './types';

export const ACCOUNT_PAGE_MAX = 100;

export function useAccounts() {
  return useQuery({
    queryKey: ['accounts'],
    queryFn: async (): Promise<Account[]> => (await unwrap(api.GET('/api/v1/accounts', { params: { query: { limit: ACCOUNT_PAGE_MAX } } }))).items,
  });
}

export function useBeneficiaries() {
  return useQuery({
    queryKey: ['beneficiaries'],
    queryFn: async () => (await unwrap(api.GET('/api/v1/beneficiaries'))).items,
  });
}

/** Every transaction matching a query (pages of 100, at most `maxRows`), for sums and exports. */
export async function fetchAllTransactions(query: Omit<TransactionQuery, 'limit' | 'cursor'>, maxRows = 10_000): Promise<Transaction[]> {
  const rows: Transaction[] = [];
  let cursor: string | undefined;
  do {
    const page = await unwrap(api.GET('/api/v1/transactions', { params: { query: { ...query, limit: 100, ...(cursor === undefined ? {} : { cursor }) } } }));
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor !== undefined && rows.length < maxRows);
  return rows;
}

/** After money moved: balances, limits, statements and history are stale. */
export function useInvalidateMoney() {
  const queryClient = useQueryClient();
  return () =>
    Promise.all(
      ['accounts', 'account', 'limits', 'statement', 'transactions', 'dashboard'].map((key) => queryClient.invalidateQueries({ queryKey: [key] })),
    );
}

export function accountLabel(account: Pick<Account, 'type' | 'nickname' | 'number'>): string {
  const name = account.nickname ?? `${account.type[0]!.toUpperCase()}${account.type.slice(1)}`;
  return `${name} •••• ${account.number.slice(-4)}`;
}
