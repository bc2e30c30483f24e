import { ActionIcon, Button, Card, CopyButton, Group, Progress, SimpleGrid, Stack, Table, Text, TextInput, Title, Tooltip } from '@mantine/core';
import { modals } from '@mantine/modals';
import { IconCheck, IconCopy, IconDownload, IconLock, IconLockOpen, IconX } from '@tabler/icons-react';
import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useInvalidateMoney } from '../../api/hooks';
import type { Account } from '../../api/types';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { firstOfMonth, formatDateTime, today } from '../../dates';
import { downloadText } from '../../download';
import { toMinor } from '../../money';
import { notifyError, notifySuccess } from '../../notify';
import { AccountBadges } from './Accounts';

function LimitsCard({ account }: { account: Account }) {
  const limits = useQuery({
    queryKey: ['limits', account.id],
    queryFn: () => unwrap(api.GET('/api/v1/accounts/{id}/limits', { params: { path: { id: account.id } } })),
  });
  if (limits.isPending) return <Loading label="Loading limits…" />;
  if (limits.isError) return <ErrorBox error={limits.error} />;
  const { daily_limit: limit, used_today: used, remaining, currency, resets_at: resetsAt } = limits.data;
  const limitMinor = toMinor(limit, currency);
  const percent = limitMinor === 0n ? 100 : Number((toMinor(used, currency) * 10_000n) / limitMinor) / 100;
  return (
    <Card withBorder>
      <Text fw={600} mb="xs">
        Limits used today
      </Text>
      <Progress value={percent} color={percent >= 90 ? 'red' : percent >= 70 ? 'yellow' : 'teal'} aria-label="Daily limit used" mb="xs" />
      <Text size="sm" data-testid="limits-used">
        <Money amount={used} currency={currency} /> of <Money amount={limit} currency={currency} /> used; <Money amount={remaining} currency={currency} /> left.
      </Text>
      <Text size="xs" c="dimmed">
        Withdrawals and transfers out count. Resets {formatDateTime(resetsAt)}.
      </Text>
    </Card>
  );
}

function MiniStatement({ account }: { account: Account }) {
  const statement = useQuery({
    queryKey: ['statement', account.id, 'month'],
    queryFn: () => unwrap(api.GET('/api/v1/accounts/{id}/statement', { params: { path: { id: account.id }, query: { from: firstOfMonth(), to: today() } } })),
  });
  if (statement.isPending) return <Loading label="Loading statement…" />;
  if (statement.isError) return <ErrorBox error={statement.error} />;
  const lines = [...statement.data.lines].reverse().slice(0, 10);
  return (
    <Card withBorder>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>This month</Text>
        <Text size="sm" c="dimmed">
          In <Money amount={statement.data.total_credits} currency={account.currency} /> · Out <Money amount={statement.data.total_debits} currency={account.currency} />
        </Text>
      </Group>
      {lines.length === 0 ? (
        <Empty title="No movements this month" />
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table striped aria-label="Mini statement">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Date</Table.Th>
                <Table.Th>Description</Table.Th>
                <Table.Th ta="right">Amount</Table.Th>
                <Table.Th ta="right">Balance</Table.Th>
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {lines.map((line) => (
                <Table.Tr key={`${line.entry_id}-${line.balance}`}>
                  <Table.Td>{formatDateTime(line.date)}</Table.Td>
                  <Table.Td>{line.description ?? line.type}</Table.Td>
                  <Table.Td ta="right">
                    <Money amount={line.amount} currency={account.currency} signed />
                  </Table.Td>
                  <Table.Td ta="right">
                    <Money amount={line.balance} currency={account.currency} />
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
    </Card>
  );
}

function StatementDownload({ account }: { account: Account }) {
  const [from, setFrom] = useState(firstOfMonth());
  const [to, setTo] = useState(today());
  const download = useMutation({
    mutationFn: async () => {
      const result = await api.GET('/api/v1/accounts/{id}/statement', {
        params: { path: { id: account.id }, query: { from, to, format: 'csv' } },
        parseAs: 'text',
      });
      const text = await unwrap(Promise.resolve(result));
      downloadText(`kosh-statement-${account.number}-${from}-to-${to}.csv`, text as unknown as string);
    },
    onError: notifyError,
  });
  return (
    <Card withBorder>
      <Text fw={600} mb="xs">
        Statement (CSV)
      </Text>
      <Group align="flex-end" wrap="wrap">
        <TextInput type="date" label="From" value={from} max={to} onChange={(event) => setFrom(event.currentTarget.value)} />
        <TextInput type="date" label="To" value={to} min={from} max={today()} onChange={(event) => setTo(event.currentTarget.value)} />
        <Button leftSection={<IconDownload size={16} />} variant="light" loading={download.isPending} onClick={() => download.mutate()}>
          Download statement
        </Button>
      </Group>
    </Card>
  );
}

export function AccountDetailPage() {
  const { id = '' } = useParams();
  const invalidate = useInvalidateMoney();
  const account = useQuery({ queryKey: ['account', id], queryFn: () => unwrap(api.GET('/api/v1/accounts/{id}', { params: { path: { id } } })) });
  const freeze = useMutation({
    mutationFn: (frozen: boolean) => unwrap(api.PATCH('/api/v1/accounts/{id}/freeze', { params: { path: { id } }, body: { frozen } })),
    onSuccess: async (updated) => {
      await invalidate();
      notifySuccess(updated.status === 'frozen' ? 'Account frozen' : 'Account unfrozen', updated.status === 'frozen' ? 'No money can move in or out until you unfreeze it.' : 'The account works normally again.');
    },
    onError: notifyError,
  });
  const close = useMutation({
    mutationFn: () => unwrap(api.PATCH('/api/v1/accounts/{id}/close', { params: { path: { id } } })),
    onSuccess: async () => {
      await invalidate();
      notifySuccess('Account closed', 'The account is closed. Its statements stay available.');
    },
    onError: notifyError,
  });

  if (account.isPending) return <Loading />;
  if (account.isError) return <ErrorBox error={account.error} />;
  const data = account.data;
  const frozen = data.status === 'frozen';

  const confirmFreeze = () =>
    modals.openConfirmModal({
      title: frozen ? 'Unfreeze this account?' : 'Freeze this account?',
      children: (
        <Text size="sm">
          {frozen
            ? 'Deposits, withdrawals and transfers will work again.'
            : 'While the account is frozen, no money can move in or out: deposits, withdrawals and transfers are refused. You can unfreeze it at any time.'}
        </Text>
      ),
      labels: { confirm: frozen ? 'Unfreeze' : 'Freeze account', cancel: 'Cancel' },
      confirmProps: { color: frozen ? 'blue' : 'cyan' },
      onConfirm: () => freeze.mutate(!frozen),
    });
  const confirmClose = () =>
    modals.openConfirmModal({
      title: 'Close this account?',
      children: (
        <Stack gap="xs">
          <Text size="sm">
            An account can be closed only when its balance is exactly zero. The balance now is <Money amount={data.balance} currency={data.currency} />.
          </Text>
          <Text size="sm">{toMinor(data.balance, data.currency) === 0n ? 'Closing cannot be undone. Statements stay available.' : 'Move or withdraw the remaining money first; until then the bank will refuse to close it.'}</Text>
        </Stack>
      ),
      labels: { confirm: 'Close account', cancel: 'Keep it open' },
      confirmProps: { color: 'red' },
      onConfirm: () => close.mutate(),
    });

  return (
    <>
      <PageTitle
        title={data.nickname ?? `${data.type[0]!.toUpperCase()}${data.type.slice(1)} account`}
        description="Account details, limits and statement."
        actions={
          <Button component={Link} to="/accounts" variant="subtle">
            All accounts
          </Button>
        }
      />
      <Stack>
        <Card withBorder>
          <Group justify="space-between" align="flex-start" wrap="wrap">
            <div>
              <AccountBadges account={data} />
              <Group gap={4} mt="xs">
                <Text ff="monospace" data-testid="account-number">
                  {data.number}
                </Text>
                <CopyButton value={data.number}>
                  {({ copied, copy }) => (
                    <Tooltip label={copied ? 'Copied' : 'Copy the account number'}>
                      <ActionIcon variant="subtle" onClick={copy} aria-label="Copy the account number">
                        {copied ? <IconCheck size={16} /> : <IconCopy size={16} />}
                      </ActionIcon>
                    </Tooltip>
                  )}
                </CopyButton>
              </Group>
              <Title order={2} mt="sm" data-testid="detail-balance">
                <Money amount={data.balance} currency={data.currency} />
              </Title>
              <Text size="sm" c="dimmed">
                Available balance
              </Text>
            </div>
            {data.status !== 'closed' && (
              <Group>
                <Button
                  variant="light"
                  color={frozen ? 'blue' : 'cyan'}
                  leftSection={frozen ? <IconLockOpen size={16} /> : <IconLock size={16} />}
                  onClick={confirmFreeze}
                  loading={freeze.isPending}
                  disabled={data.frozen_by_bank}
                >
                  {frozen ? 'Unfreeze' : 'Freeze'}
                </Button>
                <Button variant="light" color="red" leftSection={<IconX size={16} />} onClick={confirmClose} loading={close.isPending}>
                  Close account
                </Button>
              </Group>
            )}
          </Group>
          {data.frozen_by_bank && (
            <Text size="sm" c="red" mt="sm">
              The bank froze this account. Contact support to unfreeze it.
            </Text>
          )}
        </Card>
        <SimpleGrid cols={{ base: 1, md: 2 }}>
          <LimitsCard account={data} />
          <StatementDownload account={data} />
        </SimpleGrid>
        <MiniStatement account={data} />
      </Stack>
    </>
  );
}
