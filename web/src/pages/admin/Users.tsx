/**
 * The console's user list: search by username, email or name, filters by role, status and KYC
 * status, newest first with cursor paging. Contact details arrive masked; the detail page opens a
 * user and holds the controls (for admins).
 */
import { Anchor, Box, Button, Card, Group, Select, SimpleGrid, Stack, Table, Text, TextInput } from '@mantine/core';
import { useDebouncedValue, useMediaQuery } from '@mantine/hooks';
import { IconSearch } from '@tabler/icons-react';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { useAuth } from '../../auth/AuthProvider';
import { Empty, ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDate } from '../../dates';
import { CONSOLE_PAGE_SIZE, KycBadge, Pager, RoleBadge, StatusBadge, useCursorStack } from './common';

type UserQuery = NonNullable<paths['/api/v1/admin/users']['get']['parameters']['query']>;

interface Filters {
  q: string;
  role: UserQuery['role'] | null;
  status: UserQuery['status'] | null;
  kyc: UserQuery['kyc_status'] | null;
}

const EMPTY: Filters = { q: '', role: null, status: null, kyc: null };

const SELECTS: ReadonlyArray<{ key: 'role' | 'status' | 'kyc'; label: string; placeholder: string; options: Array<{ value: string; label: string }> }> = [
  {
    key: 'role',
    label: 'Role',
    placeholder: 'All roles',
    options: [
      { value: 'customer', label: 'Customer' },
      { value: 'auditor', label: 'Auditor' },
      { value: 'admin', label: 'Admin' },
      { value: 'super_admin', label: 'Super admin' },
    ],
  },
  {
    key: 'status',
    label: 'Status',
    placeholder: 'Any status',
    options: [
      { value: 'active', label: 'Active' },
      { value: 'blocked', label: 'Blocked' },
    ],
  },
  {
    key: 'kyc',
    label: 'KYC',
    placeholder: 'Any KYC status',
    options: [
      { value: 'pending', label: 'Pending' },
      { value: 'verified', label: 'Verified' },
      { value: 'rejected', label: 'Rejected' },
    ],
  },
];

export function AdminUsersPage() {
  const { user } = useAuth();
  const phone = useMediaQuery('(max-width: 48em)');
  const [filters, setFilters] = useState<Filters>(EMPTY);
  const [debounced] = useDebouncedValue(filters, 300);
  const pages = useCursorStack();
  const query: UserQuery = {
    limit: CONSOLE_PAGE_SIZE,
    ...(debounced.q.trim() === '' ? {} : { q: debounced.q.trim() }),
    ...(debounced.role === null ? {} : { role: debounced.role }),
    ...(debounced.status === null ? {} : { status: debounced.status }),
    ...(debounced.kyc === null ? {} : { kyc_status: debounced.kyc }),
    ...(pages.cursor === undefined ? {} : { cursor: pages.cursor }),
  };
  const list = useQuery({
    queryKey: ['admin-users', query],
    queryFn: () => unwrap(api.GET('/api/v1/admin/users', { params: { query } })),
    placeholderData: keepPreviousData,
  });
  const update = (patch: Partial<Filters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    pages.reset();
  };
  const items = list.data?.items ?? [];

  return (
    <>
      <PageTitle
        title="Users"
        description={user?.role === 'auditor' ? 'Every user of the bank, read-only. Contact details are masked.' : 'Find a user to block or unblock them, decide their KYC or change their role.'}
      />
      <Card withBorder mb="md">
        <SimpleGrid cols={{ base: 1, sm: 2, lg: 4 }}>
          <TextInput
            label="Search users"
            placeholder="Username, email or name"
            leftSection={<IconSearch size={16} />}
            value={filters.q}
            onChange={(event) => update({ q: event.currentTarget.value })}
          />
          {SELECTS.map((select) => (
            <Select
              key={select.key}
              label={select.label}
              clearable
              placeholder={select.placeholder}
              data={select.options}
              value={filters[select.key]}
              onChange={(value) => update({ [select.key]: value })}
            />
          ))}
        </SimpleGrid>
        <Group justify="flex-end" mt="xs">
          <Button variant="subtle" size="xs" onClick={() => update(EMPTY)}>
            Clear filters
          </Button>
        </Group>
      </Card>
      {list.isPending ? (
        <Loading label="Loading users…" />
      ) : list.isError ? (
        <ErrorBox error={list.error} />
      ) : items.length === 0 ? (
        <Empty title="No users">Nobody matches this search and these filters.</Empty>
      ) : (
        <Card withBorder padding={0}>
          {phone === true ? (
            <Stack gap={0} role="list" aria-label="Users">
              {items.map((row) => (
                <Box key={row.id} role="listitem" data-testid="user-row" p="sm" style={{ borderBottom: '1px solid var(--mantine-color-default-border)' }}>
                  <Anchor component={Link} to={`/admin/users/${row.id}`} fw={600}>
                    {row.username}
                  </Anchor>
                  <Text size="sm">{row.full_name}</Text>
                  <Text size="xs" c="dimmed" ff="monospace">
                    {row.email}
                  </Text>
                  <Group gap={4} mt={4}>
                    <RoleBadge role={row.role} />
                    <StatusBadge status={row.status} />
                    <KycBadge status={row.kyc_status} />
                  </Group>
                </Box>
              ))}
            </Stack>
          ) : (
            <Table.ScrollContainer minWidth={720}>
              <Table striped highlightOnHover aria-label="Users">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>User</Table.Th>
                    <Table.Th>Email</Table.Th>
                    <Table.Th>Role</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th>KYC</Table.Th>
                    <Table.Th>Joined</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {items.map((row) => (
                    <Table.Tr key={row.id} data-testid="user-row">
                      <Table.Td>
                        <Anchor component={Link} to={`/admin/users/${row.id}`} fw={600}>
                          {row.username}
                        </Anchor>
                        <Text size="xs" c="dimmed">
                          {row.full_name}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <Text size="sm" ff="monospace">
                          {row.email}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <RoleBadge role={row.role} />
                      </Table.Td>
                      <Table.Td>
                        <StatusBadge status={row.status} />
                      </Table.Td>
                      <Table.Td>
                        <KycBadge status={row.kyc_status} />
                      </Table.Td>
                      <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDate(row.created_at)}</Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
          <Pager page={pages.page} nextCursor={list.data?.next_cursor} onPrevious={pages.previous} onNext={() => pages.next(list.data?.next_cursor)} />
        </Card>
      )}
    </>
  );
}
