import { Badge, Button, Card, Group, Select, SimpleGrid, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconDownload, IconSearch } from '@tabler/icons-react';
import { keepPreviousData, useMutation, useQuery } from '@tanstack/react-query';
import { useMemo, useState } from 'react';
import { api, unwrap } from '../../api/client';
import { accountLabel, fetchAllTransactions, useAccounts } from '../../api/hooks';
import type { Transaction, TransactionQuery } from '../../api/types';
import { directionOf, routeLabel, signedAmount, typeLabel } from '../../activity';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { csvLine, downloadText } from '../../download';
import { parseAmountInput } from '../../money';
import { notifyError, notifySuccess } from '../../notify';

export const HISTORY_PAGE_SIZE = 20;

interface Filters {
  q: string;
  type: string | null;
  account: string | null;
  min: string;
  max: string;
  from: string;
  to: string;
}

const EMPTY_FILTERS: Filters = { q: '', type: null, account: null, min: '', max: '', from: '', to: '' };

function toQuery(filters: Filters): { query: Omit<TransactionQuery, 'limit' | 'cursor'>; error?: string } {
  const query: Omit<TransactionQuery, 'limit' | 'cursor'> = {};
  if (filters.q.trim() !== '') query.q = filters.q.trim();
  if (filters.type !== null) query.type = filters.type as Transaction['type'];
  if (filters.account !== null) query.account_id = filters.account;
  if (filters.from !== '') query.from = filters.from;
  if (filters.to !== '') query.to = filters.to;
  for (const [key, value] of [['min_amount', filters.min], ['max_amount', filters.max]] as const) {
    if (value.trim() === '') continue;
    const parsed = parseAmountInput(value, 'INR');
    if ('error' in parsed) return { query, error: `${key === 'min_amount' ? 'Minimum' : 'Maximum'} amount: ${parsed.error}` };
    query[key] = parsed.amount;
  }
  return { query };
}

export function HistoryPage() {
  const accounts = useAccounts();
  const [filters, setFilters] = useState<Filters>(EMPTY_FILTERS);
  const [debounced] = useDebouncedValue(filters, 300);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const { query, error: filterError } = useMemo(() => toQuery(debounced), [debounced]);
  const cursor = cursors[cursors.length - 1];
  const ownIds = useMemo(() => new Set((accounts.data ?? []).map((account) => account.id)), [accounts.data]);

  const page = useQuery({
    queryKey: ['transactions', query, cursor],
    queryFn: () =>
      unwrap(api.GET('/api/v1/transactions', { params: { query: { ...query, limit: HISTORY_PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) } } })),
    enabled: filterError === undefined,
    placeholderData: keepPreviousData,
  });

  const update = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    setCursors([undefined]);
  };

  const exportCsv = useMutation({
    mutationFn: async () => {
      const rows = await fetchAllTransactions(query);
      const lines = [
        csvLine(['date', 'type', 'direction', 'amount', 'currency', 'description', 'from_account', 'to_account', 'status', 'reference']),
        ...rows.map((row) => {
          const number = (id: string | null) => (id === null ? '' : (accounts.data?.find((account) => account.id === id)?.number ?? 'other'));
          return csvLine([row.created_at, row.type, directionOf(row, ownIds), signedAmount(row, ownIds), row.currency, row.description, number(row.from_account_id), number(row.to_account_id), row.status, row.id]);
        }),
      ];
      downloadText(`kosh-history-${new Date().toISOString().slice(0, 10)}.csv`, `${lines.join('\r\n')}\r\n`);
      return rows.length;
    },
    onSuccess: (count) => notifySuccess('Export ready', `${count} transaction${count === 1 ? '' : 's'} saved as CSV.`),
    onError: notifyError,
  });

  const items = page.data?.items ?? [];
  return (
    <>
      <PageTitle
        title="History"
        description="Every deposit, withdrawal and transfer on your accounts."
        actions={
          <Button variant="light" leftSection={<IconDownload size={16} />} loading={exportCsv.isPending} onClick={() => exportCsv.mutate()} disabled={filterError !== undefined}>
            Export CSV
          </Button>
        }
      />
      <Card withBorder mb="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <TextInput label="Search descriptions" leftSection={<IconSearch size={16} />} value={filters.q} onChange={(event) => update({ q: event.currentTarget.value })} />
          <Select
            label="Type"
            clearable
            placeholder="All types"
            data={(['deposit', 'withdrawal', 'transfer', 'reversal'] as const).map((type) => ({ value: type, label: typeLabel(type) }))}
            value={filters.type}
            onChange={(value) => update({ type: value })}
          />
          <Select
            label="Account"
            clearable
            placeholder="All accounts"
            data={(accounts.data ?? []).map((account) => ({ value: account.id, label: accountLabel(account) }))}
            value={filters.account}
            onChange={(value) => update({ account: value })}
          />
          <Group grow gap="xs">
            <TextInput label="Min amount" inputMode="decimal" value={filters.min} onChange={(event) => update({ min: event.currentTarget.value })} />
            <TextInput label="Max amount" inputMode="decimal" value={filters.max} onChange={(event) => update({ max: event.currentTarget.value })} />
          </Group>
          <TextInput type="date" label="From date" value={filters.from} onChange={(event) => update({ from: event.currentTarget.value })} />
          <TextInput type="date" label="To date" value={filters.to} onChange={(event) => update({ to: event.currentTarget.value })} />
          <Group align="flex-end">
            <Button variant="subtle" onClick={() => update(EMPTY_FILTERS)}>
              Clear filters
            </Button>
          </Group>
        </SimpleGrid>
        {filterError !== undefined && (
          <Text c="red" size="sm" mt="xs" role="alert">
            {filterError}
          </Text>
        )}
      </Card>
      {page.isPending && filterError === undefined ? (
        <Loading />
      ) : page.isError ? (
        <ErrorBox error={page.error} />
      ) : items.length === 0 ? (
        <Empty title="No transactions">Nothing matches these filters.</Empty>
      ) : (
        <Card withBorder padding={0}>
          <Table.ScrollContainer minWidth={640}>
            <Table striped highlightOnHover aria-label="Transactions">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Date</Table.Th>
                  <Table.Th>Type</Table.Th>
                  <Table.Th>Details</Table.Th>
                  <Table.Th ta="right">Amount</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {items.map((row) => (
                  <Table.Tr key={row.id} data-testid="history-row">
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(row.created_at)}</Table.Td>
                    <Table.Td>
                      <Badge variant="light" color={row.type === 'deposit' ? 'teal' : row.type === 'withdrawal' ? 'orange' : row.type === 'reversal' ? 'gray' : 'blue'}>
                        {typeLabel(row.type)}
                      </Badge>
                    </Table.Td>
                    <Table.Td>
                      <Text size="sm">{row.description ?? typeLabel(row.type)}</Text>
                      <Text size="xs" c="dimmed">
                        {routeLabel(row, accounts.data ?? [])}
                      </Text>
                    </Table.Td>
                    <Table.Td ta="right">
                      <Money amount={signedAmount(row, ownIds)} currency={row.currency} signed={directionOf(row, ownIds) !== 'internal'} />
                    </Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Group justify="space-between" p="sm">
            <Text size="sm" c="dimmed">
              Page {cursors.length}
            </Text>
            <Group gap="xs">
              <Button variant="default" size="xs" disabled={cursors.length === 1} onClick={() => setCursors((stack) => stack.slice(0, -1))}>
                Previous
              </Button>
              <Button
                variant="default"
                size="xs"
                disabled={(page.data?.next_cursor ?? null) === null}
                onClick={() => {
                  const next = page.data?.next_cursor;
                  if (next !== undefined && next !== null) setCursors((stack) => [...stack, next]);
                }}
              >
                Next
              </Button>
            </Group>
          </Group>
        </Card>
      )}
    </>
  );
}
