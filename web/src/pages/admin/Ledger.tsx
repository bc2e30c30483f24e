/**
 * The books as staff check them: the integrity check (every entry balances, every materialized
 * balance equals the sum of its postings; nothing to report when the books are right) and the
 * balance sheet per currency, with whether it balances. Read-only for every staff role.
 */
import { Alert, Badge, Button, Card, Group, SimpleGrid, Stack, Table, Text, Title } from '@mantine/core';
import { IconAlertTriangle, IconCircleCheck, IconRefresh } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';

type BalanceSheet = paths['/api/v1/admin/reports/balance-sheet']['get']['responses'][200]['content']['application/json'];
type CurrencySheet = BalanceSheet['currencies'][number];
type Section = CurrencySheet['assets'];

const SECTIONS: ReadonlyArray<{ key: 'assets' | 'liabilities' | 'equity' | 'income' | 'expenses'; label: string }> = [
  { key: 'assets', label: 'Assets' },
  { key: 'liabilities', label: 'Liabilities' },
  { key: 'equity', label: 'Equity' },
  { key: 'income', label: 'Income' },
  { key: 'expenses', label: 'Expenses' },
];

function lineLabel(line: Section['lines'][number]): string {
  const category = line.category.replaceAll('_', ' ');
  const named = `${category[0]?.toUpperCase() ?? ''}${category.slice(1)}`;
  return line.code === null ? named : `${named} (${line.code.replaceAll('_', ' ')})`;
}

function IntegrityCard() {
  const integrity = useQuery({ queryKey: ['ledger', 'integrity'], queryFn: () => unwrap(api.GET('/api/v1/admin/ledger/integrity')), staleTime: 0 });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Integrity check</Title>
        <Button variant="default" size="xs" leftSection={<IconRefresh size={14} />} loading={integrity.isFetching} onClick={() => void integrity.refetch()}>
          Check again
        </Button>
      </Group>
      {integrity.isPending ? (
        <Loading label="Checking the books…" />
      ) : integrity.isError ? (
        <ErrorBox error={integrity.error} />
      ) : integrity.data.ok ? (
        <Alert color="teal" icon={<IconCircleCheck />} title="No problems found" data-testid="integrity-result">
          Every entry balances and every balance equals the sum of its postings. Checked {formatDateTime(integrity.data.checked_at)}.
        </Alert>
      ) : (
        <Stack>
          <Alert color="red" icon={<IconAlertTriangle />} title={`${integrity.data.problems.length} problem${integrity.data.problems.length === 1 ? '' : 's'} found`} data-testid="integrity-result">
            The books do not add up. Checked {formatDateTime(integrity.data.checked_at)}.
          </Alert>
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label="Integrity problems">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Problem</Table.Th>
                  <Table.Th>Subject</Table.Th>
                  <Table.Th>Detail</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {integrity.data.problems.map((problem) => (
                  <Table.Tr key={`${problem.problem}:${problem.subject_id}`}>
                    <Table.Td>{problem.problem.replaceAll('_', ' ')}</Table.Td>
                    <Table.Td ff="monospace">{problem.subject_id}</Table.Td>
                    <Table.Td>{problem.detail}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        </Stack>
      )}
    </Card>
  );
}

function SectionTable({ label, section, currency }: { label: string; section: Section; currency: string }) {
  return (
    <div>
      <Group justify="space-between" mb={4}>
        <Text fw={600}>{label}</Text>
        <Money amount={section.total} currency={currency} />
      </Group>
      {section.lines.length === 0 ? (
        <Text size="sm" c="dimmed">
          None.
        </Text>
      ) : (
        <Table aria-label={`${label} (${currency})`} withRowBorders={false} verticalSpacing={2}>
          <Table.Tbody>
            {section.lines.map((line) => (
              <Table.Tr key={`${line.category}:${line.code ?? ''}`}>
                <Table.Td>
                  <Text size="sm">{lineLabel(line)}</Text>
                  <Text size="xs" c="dimmed">
                    {line.accounts} account{line.accounts === 1 ? '' : 's'}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <Money amount={line.balance} currency={currency} />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
    </div>
  );
}

function BalanceSheetCard() {
  const sheet = useQuery({ queryKey: ['ledger', 'balance-sheet'], queryFn: () => unwrap(api.GET('/api/v1/admin/reports/balance-sheet')), staleTime: 0 });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Balance sheet</Title>
        {sheet.data !== undefined && (
          <Text size="xs" c="dimmed">
            As of {formatDateTime(sheet.data.generated_at)}
          </Text>
        )}
      </Group>
      {sheet.isPending ? (
        <Loading label="Adding up the books…" />
      ) : sheet.isError ? (
        <ErrorBox error={sheet.error} />
      ) : sheet.data.currencies.length === 0 ? (
        <Empty title="Nothing in the books yet" />
      ) : (
        <Stack gap="xl">
          {sheet.data.currencies.map((currency) => (
            <Stack key={currency.currency} gap="sm">
              <Group gap="xs">
                <Title order={5}>{currency.currency}</Title>
                <Badge color={currency.balanced ? 'teal' : 'red'} variant="light" data-testid={`balanced-${currency.currency}`}>
                  {currency.balanced ? 'Balanced' : 'Does not balance'}
                </Badge>
              </Group>
              <SimpleGrid cols={{ base: 1, md: 2 }} spacing="lg">
                {SECTIONS.map((section) => (
                  <SectionTable key={section.key} label={section.label} section={currency[section.key]} currency={currency.currency} />
                ))}
              </SimpleGrid>
              <Text size="xs" c="dimmed">
                Assets and expenses equal liabilities, equity and income when the books balance.
              </Text>
            </Stack>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export function AdminLedgerPage() {
  return (
    <>
      <PageTitle title="Ledger" description="Whether the books are right, and what the bank holds and owes." />
      <Stack>
        <IntegrityCard />
        <BalanceSheetCard />
      </Stack>
    </>
  );
}
