/**
 * The audit log: the result of verifying its hash chain (every row's hash recomputed from the
 * previous one), and the rows newest first, searchable by action (a prefix such as "user." finds
 * every action on users), target, actor and time, each opening to what changed.
 */
import { Alert, Button, Card, Code, Group, SimpleGrid, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useDebouncedValue } from '@mantine/hooks';
import { IconAlertTriangle, IconRefresh, IconSearch, IconShieldCheck } from '@tabler/icons-react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Fragment, useState } from 'react';
import { useSearchParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { Empty, ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { CONSOLE_PAGE_SIZE, Pager, roleLabel, shortId, useCursorStack } from './common';

type AuditQuery = NonNullable<paths['/api/v1/audit-logs']['get']['parameters']['query']>;
type AuditRow = paths['/api/v1/audit-logs']['get']['responses'][200]['content']['application/json']['items'][number];

interface Filters {
  action: string;
  targetType: string;
  targetId: string;
  actorId: string;
  from: string;
  to: string;
}

function toQuery(filters: Filters): Omit<AuditQuery, 'limit' | 'cursor'> {
  const query: Omit<AuditQuery, 'limit' | 'cursor'> = {};
  const set = (key: keyof typeof query, value: string) => {
    if (value.trim() !== '') query[key] = value.trim();
  };
  set('action', filters.action);
  set('target_type', filters.targetType);
  set('target_id', filters.targetId);
  set('actor_id', filters.actorId);
  set('from', filters.from);
  set('to', filters.to);
  return query;
}

function ChainCard() {
  const verify = useQuery({ queryKey: ['audit-logs', 'verify'], queryFn: () => unwrap(api.GET('/api/v1/admin/audit-logs/verify')), staleTime: 0 });
  return (
    <Card withBorder padding="lg" mb="md">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Hash chain</Title>
        <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} loading={verify.isFetching} onClick={() => void verify.refetch()}>
          Verify again
        </Button>
      </Group>
      {verify.isPending ? (
        <Loading label="Verifying the chain…" />
      ) : verify.isError ? (
        <ErrorBox error={verify.error} />
      ) : verify.data.valid ? (
        <Alert color="teal" icon={<IconShieldCheck />} title="Chain valid" data-testid="chain-result">
          <Stack gap={4}>
            <Text size="sm">
              {verify.data.rows_checked.toLocaleString('en-IN')} rows verified up to #{verify.data.head_seq}; none was changed or removed. Checked{' '}
              {formatDateTime(verify.data.checked_at)}.
            </Text>
            <Text size="xs">
              Head hash (publish it elsewhere to detect a rewrite of the whole chain): <Code style={{ wordBreak: 'break-all' }}>{verify.data.head_hash}</Code>
            </Text>
          </Stack>
        </Alert>
      ) : (
        <Alert color="red" icon={<IconAlertTriangle />} title="Chain broken" data-testid="chain-result">
          {verify.data.first_broken === null
            ? 'The chain does not verify.'
            : `The first broken row is #${verify.data.first_broken.seq}: ${verify.data.first_broken.problem.replaceAll('_', ' ')}. Rows from there on cannot be trusted.`}
        </Alert>
      )}
    </Card>
  );
}

function Details({ row }: { row: AuditRow }) {
  return (
    <Stack gap="xs" py="xs">
      <SimpleGrid cols={{ base: 1, md: 2 }}>
        <div>
          <Text size="xs" fw={600}>
            Before
          </Text>
          <Code block>{JSON.stringify(row.before ?? null, null, 2)}</Code>
        </div>
        <div>
          <Text size="xs" fw={600}>
            After
          </Text>
          <Code block>{JSON.stringify(row.after ?? null, null, 2)}</Code>
        </div>
      </SimpleGrid>
      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
        Actor {row.actor_id ?? 'system'} · IP {row.ip ?? '—'} · request {row.request_id ?? '—'} · {row.user_agent ?? 'no user agent'}
      </Text>
      <Text size="xs" c="dimmed" style={{ wordBreak: 'break-all' }}>
        Row #{row.seq} · hash {row.hash}
      </Text>
    </Stack>
  );
}

export function AdminAuditPage() {
  const [searchParams] = useSearchParams();
  const [filters, setFilters] = useState<Filters>({ action: '', targetType: '', targetId: searchParams.get('target_id') ?? '', actorId: '', from: '', to: '' });
  const [debounced] = useDebouncedValue(filters, 300);
  const [open, setOpen] = useState<string | undefined>(undefined);
  const pages = useCursorStack();
  const query = toQuery(debounced);
  const list = useQuery({
    queryKey: ['audit-logs', query, pages.cursor],
    queryFn: () => unwrap(api.GET('/api/v1/audit-logs', { params: { query: { ...query, limit: CONSOLE_PAGE_SIZE, ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }) } } })),
    placeholderData: keepPreviousData,
  });
  const update = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    pages.reset();
  };

  return (
    <>
      <PageTitle title="Audit log" description="Every change to users, accounts and money, who made it and when, in a tamper-evident chain." />
      <ChainCard />
      <Card withBorder mb="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
          <TextInput
            label="Action"
            placeholder="user.blocked, or user. for all"
            leftSection={<IconSearch size={16} />}
            value={filters.action}
            onChange={(event) => update({ action: event.currentTarget.value })}
          />
          <TextInput label="Target type" placeholder="user, account, transfer…" value={filters.targetType} onChange={(event) => update({ targetType: event.currentTarget.value })} />
          <TextInput label="Target id" value={filters.targetId} onChange={(event) => update({ targetId: event.currentTarget.value })} />
          <TextInput label="Actor id" placeholder="A user id" value={filters.actorId} onChange={(event) => update({ actorId: event.currentTarget.value })} />
          <TextInput type="date" label="From date" value={filters.from} onChange={(event) => update({ from: event.currentTarget.value })} />
          <TextInput type="date" label="Before date" value={filters.to} onChange={(event) => update({ to: event.currentTarget.value })} />
        </SimpleGrid>
        <Group justify="flex-end" mt="xs">
          <Button variant="subtle" size="xs" onClick={() => update({ action: '', targetType: '', targetId: '', actorId: '', from: '', to: '' })}>
            Clear filters
          </Button>
        </Group>
      </Card>
      {list.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : list.isError ? (
        <ErrorBox error={list.error} />
      ) : list.data.items.length === 0 ? (
        <Empty title="No audit entries">Nothing matches these filters.</Empty>
      ) : (
        <Card withBorder padding={0}>
          <Table.ScrollContainer minWidth={720}>
            <Table striped aria-label="Audit log">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>#</Table.Th>
                  <Table.Th>Time</Table.Th>
                  <Table.Th>Action</Table.Th>
                  <Table.Th>Target</Table.Th>
                  <Table.Th>Actor</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {list.data.items.map((row) => (
                  <Fragment key={row.id}>
                    <Table.Tr data-testid="audit-row">
                      <Table.Td ff="monospace">{row.seq}</Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(row.occurred_at)}</Table.Td>
                      <Table.Td ff="monospace">{row.action}</Table.Td>
                      <Table.Td>
                        <Text size="sm">{row.target_type}</Text>
                        <Text size="xs" c="dimmed" ff="monospace" title={row.target_id}>
                          {shortId(row.target_id)}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm">{row.actor_role === null ? 'System' : roleLabel(row.actor_role)}</Text>
                        {row.actor_id !== null && (
                          <Text size="xs" c="dimmed" ff="monospace" title={row.actor_id}>
                            {shortId(row.actor_id)}
                          </Text>
                        )}
                      </Table.Td>
                      <Table.Td ta="right">
                        <Button variant="subtle" size="xs" aria-expanded={open === row.id} aria-label={`Details of entry ${row.seq}`} onClick={() => setOpen(open === row.id ? undefined : row.id)}>
                          {open === row.id ? 'Hide' : 'Details'}
                        </Button>
                      </Table.Td>
                    </Table.Tr>
                    {open === row.id && (
                      <Table.Tr>
                        <Table.Td colSpan={6}>
                          <Details row={row} />
                        </Table.Td>
                      </Table.Tr>
                    )}
                  </Fragment>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager page={pages.page} nextCursor={list.data.next_cursor} onPrevious={pages.previous} onNext={() => pages.next(list.data.next_cursor)} />
        </Card>
      )}
    </>
  );
}
