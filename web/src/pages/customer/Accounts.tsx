import { Badge, Button, Card, Group, Modal, Select, SimpleGrid, Stack, Text, TextInput } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useDisclosure } from '@mantine/hooks';
import { IconPlus } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate } from 'react-router';
import { api, unwrap } from '../../api/client';
import { useAccounts } from '../../api/hooks';
import type { Account, AccountType } from '../../api/types';
import { Empty, ErrorBox, Loading, maskNumber, Money, PageTitle } from '../../components/ui';
import { notifyError, notifySuccess } from '../../notify';

export const TYPE_COLORS: Record<AccountType, string> = { savings: 'teal', checking: 'blue', wallet: 'grape', loan: 'orange' };
export const STATUS_COLORS: Record<Account['status'], string> = { active: 'green', frozen: 'cyan', closed: 'gray' };

export function AccountBadges({ account }: { account: Account }) {
  return (
    <Group gap={6}>
      <Badge color={TYPE_COLORS[account.type]} variant="light">
        {account.type}
      </Badge>
      {account.status !== 'active' && (
        <Badge color={STATUS_COLORS[account.status]} variant="filled">
          {account.status}
          {account.frozen_by_bank ? ' by the bank' : ''}
        </Badge>
      )}
    </Group>
  );
}

export function AccountCard({ account }: { account: Account }) {
  return (
    <Card withBorder padding="lg" component={Link} to={`/accounts/${account.id}`} data-testid="account-card" aria-label={`${account.type} account ending ${account.number.slice(-4)}`}>
      <Group justify="space-between" mb="xs">
        <Text fw={600}>{account.nickname ?? `${account.type[0]!.toUpperCase()}${account.type.slice(1)} account`}</Text>
        <AccountBadges account={account} />
      </Group>
      <Text c="dimmed" size="sm" ff="monospace">
        {maskNumber(account.number)}
      </Text>
      <Text size="xl" fw={700} mt="sm" data-testid="account-balance">
        <Money amount={account.balance} currency={account.currency} />
      </Text>
    </Card>
  );
}

function OpenAccountModal({ opened, onClose }: { opened: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const form = useForm<{ type: AccountType; nickname: string }>({ initialValues: { type: 'savings', nickname: '' } });
  const open = useMutation({
    mutationFn: (values: { type: AccountType; nickname: string }) =>
      unwrap(
        api.POST('/api/v1/accounts', {
          body: { type: values.type as 'savings' | 'checking' | 'wallet', ...(values.nickname.trim() === '' ? {} : { nickname: values.nickname.trim() }) },
        }),
      ),
    onSuccess: async (account) => {
      await queryClient.invalidateQueries({ queryKey: ['accounts'] });
      notifySuccess('Account opened', `Your ${account.type} account ${maskNumber(account.number)} is ready.`);
      form.reset();
      onClose();
      await navigate(`/accounts/${account.id}`);
    },
    onError: notifyError,
  });
  return (
    <Modal opened={opened} onClose={onClose} title="Open a new account" centered>
      <form onSubmit={form.onSubmit((values) => open.mutate(values))}>
        <Stack>
          <Select
            label="Account type"
            data={[
              { value: 'savings', label: 'Savings: earns interest' },
              { value: 'checking', label: 'Checking: for everyday payments' },
              { value: 'wallet', label: 'Wallet: small amounts, quick spending' },
            ]}
            allowDeselect={false}
            {...form.getInputProps('type')}
          />
          <TextInput label="Nickname (optional)" placeholder="e.g. Rainy day fund" maxLength={50} {...form.getInputProps('nickname')} />
          {open.error !== null && <ErrorBox error={open.error} />}
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={open.isPending}>
              Open account
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function AccountsPage() {
  const accounts = useAccounts();
  const [opened, { open, close }] = useDisclosure(false);
  const visible = (accounts.data ?? []).filter((account) => account.status !== 'closed');
  const closed = (accounts.data ?? []).filter((account) => account.status === 'closed');
  return (
    <>
      <PageTitle
        title="Accounts"
        description="Your savings, checking and wallet accounts."
        actions={
          <Button leftSection={<IconPlus size={16} />} onClick={open}>
            Open account
          </Button>
        }
      />
      {accounts.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorBox error={accounts.error} />
      ) : visible.length === 0 && closed.length === 0 ? (
        <Empty title="No accounts yet">Open your first account to deposit and move money.</Empty>
      ) : (
        <Stack>
          <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
            {visible.map((account) => (
              <AccountCard key={account.id} account={account} />
            ))}
          </SimpleGrid>
          {closed.length > 0 && (
            <>
              <Text fw={600} mt="md">
                Closed accounts
              </Text>
              <SimpleGrid cols={{ base: 1, sm: 2, lg: 3 }}>
                {closed.map((account) => (
                  <AccountCard key={account.id} account={account} />
                ))}
              </SimpleGrid>
            </>
          )}
        </Stack>
      )}
      <OpenAccountModal opened={opened} onClose={close} />
    </>
  );
}
