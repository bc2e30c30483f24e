/**
 * The transactions monitor: every movement of the bank, newest first, with filters. The first page
 * refreshes itself every few seconds while the tab is visible (TanStack Query pauses interval
 * refetches in a hidden tab), shows when it last did, and highlights rows that arrived since the
 * page was opened. Admins reverse a posted transaction after confirming it with a reason; the
 * reversal carries an idempotency key made when the dialog opens, so a retried click cannot
 * reverse twice.
 */
import { Anchor, Badge, Box, Button, Card, Group, Select, SimpleGrid, Stack, Switch, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { IconRefresh, IconSearch } from '@tabler/icons-react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useMemo, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { api, newIdempotencyKey, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { parseAmountInput } from '../../money';
import { notifySuccess } from '../../notify';
import { CONSOLE_PAGE_SIZE, Pager, ReasonModal, useAccountsById, useCursorStack, useStaffPowers } from './common';

type TransactionQuery = NonNullable<paths['/api/v1/transactions']['get']['parameters']['query']>;
type Transaction = paths['/api/v1/transactions']['get']['responses'][200]['content']['application/json']['items'][number];

/** How often the first page refreshes itself. */
export const MONITOR_REFRESH_MS = 4_000;
/** How long a newly arrived row stays highlighted. */
const NEW_ROW_HIGHLIGHT_MS = 20_000;

interface Filters {
  q: string;
  type: Transaction['type'] | null;
  account: string;
  min: string;
  max: string;
  from: string;
  to: string;
}

const TYPE_LABELS: Record<Transaction['type'], string> = { deposit: 'Deposit', withdrawal: 'Withdrawal', transfer: 'Transfer', reversal: 'Reversal' };
const TYPE_COLORS: Record<Transaction['type'], string> = { deposit: 'teal', withdrawal: 'orange', transfer: 'blue', reversal: 'gray' };

function toQuery(filters: Filters, accountId: string | undefined): { query: Omit<TransactionQuery, 'limit' | 'cursor'>; error?: string } {
  const query: Omit<TransactionQuery, 'limit' | 'cursor'> = {};
  if (filters.q.trim() !== '') query.q = filters.q.trim();
  if (filters.type !== null) query.type = filters.type;
  if (accountId !== undefined) query.account_id = accountId;
  if (filters.from !== '') query.from = filters.from;
  if (filters.to !== '') query.to = filters.to;
  for (const [key, value, name] of [['min_amount', filters.min, 'Minimum'], ['max_amount', filters.max, 'Maximum']] as const) {
    if (value.trim() === '') continue;
    const parsed = parseAmountInput(value, 'INR');
    if ('error' in parsed) return { query, error: `${name} amount: ${parsed.error}` };
    query[key] = parsed.amount;
  }
  return { query };
}

/** The account id of a full account number typed in the filter, or why it cannot be used. */
function useAccountByNumber(number: string) {
  const digits = number.replace(/\s/g, '');
  const valid = /^\d{1,12}$/.test(digits);
  const lookup = useQuery({
    queryKey: ['staff-account-number', digits],
    queryFn: () => unwrap(api.GET('/api/v1/accounts', { params: { query: { number: digits, limit: 1 } } })),
    enabled: valid,
    staleTime: Infinity,
  });
  if (digits === '') return { accountId: undefined, error: undefined, pending: false };
  if (!valid) return { accountId: undefined, error: 'Account number: digits only, at most 12.', pending: false };
  if (lookup.isPending) return { accountId: undefined, error: undefined, pending: true };
  const account = lookup.data?.items[0];
  if (account === undefined) return { accountId: undefined, error: 'No account has this number.', pending: false };
  return { accountId: account.id, error: undefined, pending: false };
}

/** When each row was first seen (0: on the first load of these filters), to highlight new arrivals. */
function useArrivals(key: string, items: readonly Transaction[] | undefined): ReadonlyMap<string, number> {
  const [seen, setSeen] = useState<{ key: string; at: Map<string, number> }>({ key: '', at: new Map() });
  useEffect(() => {
    if (items === undefined) return;
    setSeen((current) => {
      const first = current.key !== key;
      const at = first ? new Map<string, number>() : new Map(current.at);
      let added = false;
      for (const item of items) {
        if (at.has(item.id)) continue;
        at.set(item.id, first ? 0 : Date.now());
        added = true;
      }
      return added || first ? { key, at } : current;
    });
  }, [key, items]);
  return seen.key === key ? seen.at : new Map();
}

const NEW_ROW_BACKGROUND = 'var(--mantine-color-yellow-light)';

function TypeBadges({ row, fresh }: { row: Transaction; fresh: boolean }) {
  return (
    <Group gap={4}>
      <Badge variant="light" color={TYPE_COLORS[row.type]} style={{ flexShrink: 0 }}>
        {TYPE_LABELS[row.type]}
      </Badge>
      {row.status === 'reversed' && (
        <Badge variant="outline" color="red" style={{ flexShrink: 0 }}>
          Reversed
        </Badge>
      )}
      {fresh && (
        <Badge size="xs" color="yellow" style={{ flexShrink: 0 }}>
          New
        </Badge>
      )}
    </Group>
  );
}

export function AdminTransactionsPage() {
  const powers = useStaffPowers();
  const phone = useMediaQuery('(max-width: 48em)');
  const queryClient = useQueryClient();
  const [searchParams] = useSearchParams();
  const [filters, setFilters] = useState<Filters>({ q: '', type: null, account: '', min: '', max: '', from: '', to: '' });
  // Links from a user's page name one account by id (staff see account numbers masked).
  const [linkedAccountId, setLinkedAccountId] = useState<string | null>(searchParams.get('account_id'));
  const [debounced] = useDebouncedValue(filters, 300);
  const [live, setLive] = useState(true);
  const [reversing, setReversing] = useState<{ row: Transaction; key: string } | undefined>(undefined);
  const pages = useCursorStack();
  const account = useAccountByNumber(debounced.account);
  const accountId = account.accountId ?? linkedAccountId ?? undefined;
  const { query, error: amountError } = useMemo(() => toQuery(debounced, accountId), [debounced, accountId]);
  const filterError = account.error ?? amountError;
  const cursor = pages.cursor;

  const page = useQuery({
    queryKey: ['transactions', 'monitor', query, cursor],
    queryFn: () => unwrap(api.GET('/api/v1/transactions', { params: { query: { ...query, limit: CONSOLE_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) } } })),
    enabled: filterError === undefined && !account.pending,
    placeholderData: keepPreviousData,
    refetchInterval: live && cursor === undefined ? MONITOR_REFRESH_MS : false,
    refetchIntervalInBackground: false,
    staleTime: 0,
  });
  const items = page.data?.items;
  // Rows kept on screen from the previous filters while the new ones load are not arrivals.
  const arrivals = useArrivals(JSON.stringify([query, cursor]), page.isPlaceholderData ? undefined : items);
  const accounts = useAccountsById([...(items ?? []).flatMap((row) => [row.from_account_id, row.to_account_id]), linkedAccountId]);
  const linkedLabel = linkedAccountId === null ? undefined : accounts.get(linkedAccountId)?.number;

  const update = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    pages.reset();
  };

  const reverse = async (row: Transaction, key: string, reason: string) => {
    const reversal = await unwrap(
      api.POST('/api/v1/admin/transfers/{id}/reverse', { params: { path: { id: row.id }, header: { 'idempotency-key': key } }, body: { reason } }),
    );
    notifySuccess('Transaction reversed', `A reversal of ${reversal.amount} ${reversal.currency} was posted; the original is marked reversed.`);
    await Promise.all(['transactions', 'accounts', 'admin-user-accounts', 'ledger', 'audit-logs'].map((name) => queryClient.invalidateQueries({ queryKey: [name] })));
  };

  const accountCell = (id: string | null) => {
    if (id === null) return <Text span size="sm" c="dimmed">cash</Text>;
    const known = accounts.get(id);
    if (known === undefined) return <Text span size="sm" ff="monospace">…</Text>;
    return (
      <Anchor component={Link} to={`/admin/users/${known.owner_id}`} size="sm" ff="monospace">
        {known.number}
      </Anchor>
    );
  };

  const now = Date.now();
  const isFresh = (id: string) => {
    const arrived = arrivals.get(id) ?? 0;
    return arrived > 0 && now - arrived < NEW_ROW_HIGHLIGHT_MS;
  };
  const reverseButton = (row: Transaction) =>
    powers.canWrite && row.type !== 'reversal' && row.status === 'posted' ? (
      <Button
        size="xs"
        variant="light"
        color="red"
        aria-label={`Reverse ${TYPE_LABELS[row.type].toLowerCase()} of ${row.amount} ${row.currency}`}
        onClick={() => setReversing({ row, key: newIdempotencyKey() })}
      >
        Reverse
      </Button>
    ) : null;
  return (
    <>
      <PageTitle
        title="Transactions monitor"
        description="Every deposit, withdrawal, transfer and reversal, newest first."
        actions={
          <Group gap="sm">
            <Switch label="Live updates" checked={live} onChange={(event) => setLive(event.currentTarget.checked)} />
            <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} loading={page.isFetching} onClick={() => void page.refetch()}>
              Refresh now
            </Button>
          </Group>
        }
      />
      <Card withBorder mb="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <TextInput label="Search descriptions" leftSection={<IconSearch size={16} />} value={filters.q} onChange={(event) => update({ q: event.currentTarget.value })} />
          <Select
            label="Type"
            clearable
            placeholder="All types"
            data={(Object.keys(TYPE_LABELS) as Transaction['type'][]).map((type) => ({ value: type, label: TYPE_LABELS[type] }))}
            value={filters.type}
            onChange={(value) => update({ type: value as Transaction['type'] | null })}
          />
          <TextInput label="Account number" inputMode="numeric" value={filters.account} onChange={(event) => update({ account: event.currentTarget.value })} />
          <Group grow gap="xs">
            <TextInput label="Min amount" inputMode="decimal" value={filters.min} onChange={(event) => update({ min: event.currentTarget.value })} />
            <TextInput label="Max amount" inputMode="decimal" value={filters.max} onChange={(event) => update({ max: event.currentTarget.value })} />
          </Group>
          <TextInput type="date" label="From date" value={filters.from} onChange={(event) => update({ from: event.currentTarget.value })} />
          <TextInput type="date" label="To date" value={filters.to} onChange={(event) => update({ to: event.currentTarget.value })} />
          <Group align="flex-end">
            <Button
              variant="subtle"
              onClick={() => {
                setLinkedAccountId(null);
                update({ q: '', type: null, account: '', min: '', max: '', from: '', to: '' });
              }}
            >
              Clear filters
            </Button>
          </Group>
        </SimpleGrid>
        {linkedAccountId !== null && account.accountId === undefined && (
          <Group gap="xs" mt="xs">
            <Text size="sm">Showing one account{linkedLabel === undefined ? '' : ` (${linkedLabel})`}.</Text>
            <Button variant="subtle" size="xs" onClick={() => setLinkedAccountId(null)}>
              Show all accounts
            </Button>
          </Group>
        )}
        {filterError !== undefined && (
          <Text c="red" size="sm" mt="xs" role="alert">
            {filterError}
          </Text>
        )}
      </Card>
      <Text size="xs" c="dimmed" mb="xs" aria-live="polite" data-testid="monitor-updated">
        {page.dataUpdatedAt > 0 ? `Last updated ${new Date(page.dataUpdatedAt).toLocaleTimeString('en-IN')}` : 'Not loaded yet'}
        {cursor === undefined ? (live ? ` · refreshes every ${MONITOR_REFRESH_MS / 1000} seconds` : ' · live updates paused') : ' · live updates only on the first page'}
      </Text>
      {filterError !== undefined ? null : page.isPending ? (
        <Loading label="Loading transactions…" />
      ) : page.isError ? (
        <ErrorBox error={page.error} />
      ) : page.data.items.length === 0 ? (
        <Empty title="No transactions">Nothing matches these filters.</Empty>
      ) : (
        <Card withBorder padding={0}>
          {phone === true ? (
            <Stack gap={0} role="list" aria-label="Transactions">
              {page.data.items.map((row) => {
                const fresh = isFresh(row.id);
                return (
                  <Box
                    key={row.id}
                    role="listitem"
                    data-testid="monitor-row"
                    data-new={fresh ? 'true' : undefined}
                    p="sm"
                    bg={fresh ? NEW_ROW_BACKGROUND : undefined}
                    style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}
                  >
                    <Group justify="space-between" wrap="nowrap" align="flex-start">
                      <Stack gap={4} style={{ minWidth: 0 }}>
                        <TypeBadges row={row} fresh={fresh} />
                        <Text size="sm">{row.description ?? '—'}</Text>
                        <Group gap={4}>
                          {accountCell(row.from_account_id)}
                          <Text span size="sm" c="dimmed">
                            →
                          </Text>
                          {accountCell(row.to_account_id)}
                        </Group>
                        <Text size="xs" c="dimmed">
                          {formatDateTime(row.created_at)}
                        </Text>
                      </Stack>
                      <Stack gap={6} align="flex-end">
                        <Money amount={row.amount} currency={row.currency} />
                        {reverseButton(row)}
                      </Stack>
                    </Group>
                  </Box>
                );
              })}
            </Stack>
          ) : (
            <Table.ScrollContainer minWidth={760}>
              <Table striped highlightOnHover aria-label="Transactions">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Time</Table.Th>
                    <Table.Th miw={120}>Type</Table.Th>
                    <Table.Th>From</Table.Th>
                    <Table.Th>To</Table.Th>
                    <Table.Th>Description</Table.Th>
                    <Table.Th ta="right">Amount</Table.Th>
                    {powers.canWrite && <Table.Th>Actions</Table.Th>}
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {page.data.items.map((row) => {
                    const fresh = isFresh(row.id);
                    return (
                      <Table.Tr key={row.id} data-testid="monitor-row" data-new={fresh ? 'true' : undefined} bg={fresh ? NEW_ROW_BACKGROUND : undefined}>
                        <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(row.created_at)}</Table.Td>
                        <Table.Td>
                          <TypeBadges row={row} fresh={fresh} />
                        </Table.Td>
                        <Table.Td>{accountCell(row.from_account_id)}</Table.Td>
                        <Table.Td>{accountCell(row.to_account_id)}</Table.Td>
                        <Table.Td>
                          <Text size="sm" lineClamp={2}>
                            {row.description ?? '—'}
                          </Text>
                        </Table.Td>
                        <Table.Td ta="right">
                          <Money amount={row.amount} currency={row.currency} />
                        </Table.Td>
                        {powers.canWrite && <Table.Td>{reverseButton(row)}</Table.Td>}
                      </Table.Tr>
                    );
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <Pager page={pages.page} nextCursor={page.data.next_cursor} onPrevious={pages.previous} onNext={() => pages.next(page.data.next_cursor)} />
        </Card>
      )}
      {powers.canWrite && reversing !== undefined && (
        <ReasonModal
          opened
          title="Reverse this transaction?"
          confirmLabel="Reverse transaction"
          reasonMin={3}
          onClose={() => setReversing(undefined)}
          onConfirm={(reason) => reverse(reversing.row, reversing.key, reason)}
        >
          <Text size="sm">
            A new entry moves <Money amount={reversing.row.amount} currency={reversing.row.currency} /> back
            {reversing.row.type === 'transfer' ? ' from the receiving account to the sending one' : reversing.row.type === 'deposit' ? ' out of the account it was deposited into' : ' into the account it was withdrawn from'}.
            The original stays in the books, marked reversed. This cannot be undone.
          </Text>
          <Text size="xs" c="dimmed">
            {TYPE_LABELS[reversing.row.type]} of {formatDateTime(reversing.row.created_at)} · {reversing.row.description ?? 'no description'}
          </Text>
        </ReasonModal>
      )}
    </>
  );
}
