import { BarChart, DonutChart } from '@mantine/charts';
import { Badge, Button, Card, Group, SimpleGrid, Stack, Text } from '@mantine/core';
import { IconArrowDownLeft, IconArrowUpRight, IconBuildingBank, IconWallet } from '@tabler/icons-react';
import { useQuery } from '@tanstack/react-query';
import type { ComponentType, ReactNode } from 'react';
import { Link } from 'react-router';
import { accountLabel, fetchAllTransactions, useAccounts } from '../../api/hooks';
import type { Account, Transaction } from '../../api/types';
import { directionOf, routeLabel, signedAmount, typeLabel } from '../../activity';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { firstOfMonth, formatDateTime, today } from '../../dates';
import { chartValue, currencyDecimals, formatMinor, toMinor } from '../../money';

const CURRENCY = 'INR';

function Kpi({ label, value, icon: Icon, testId }: { label: string; value: ReactNode; icon: ComponentType<{ size?: number }>; testId: string }) {
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" align="flex-start" wrap="nowrap">
        <div>
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            {label}
          </Text>
          <Text size="xl" fw={700} mt={4} data-testid={testId}>
            {value}
          </Text>
        </div>
        <Icon size={24} />
      </Group>
    </Card>
  );
}

/** Income, expenses and spending by kind this month, summed in minor units (transfers between own accounts count as neither). */
export function monthTotals(transactions: readonly Transaction[], ownIds: ReadonlySet<string>, currency: string) {
  let income = 0n;
  let expenses = 0n;
  const spending = new Map<string, bigint>();
  for (const transaction of transactions) {
    if (transaction.currency !== currency || transaction.status !== 'posted') continue;
    const direction = directionOf(transaction, ownIds);
    const amount = toMinor(transaction.amount, currency);
    if (direction === 'in') income += amount;
    if (direction === 'out') {
      expenses += amount;
      const kind = transaction.type === 'withdrawal' ? 'Cash withdrawals' : 'Transfers to others';
      spending.set(kind, (spending.get(kind) ?? 0n) + amount);
    }
  }
  return { income, expenses, spending };
}

function BalanceChart({ accounts }: { accounts: readonly Account[] }) {
  const data = accounts.map((account) => ({ account: accountLabel(account), balance: chartValue(toMinor(account.balance, account.currency), account.currency) }));
  const decimals = currencyDecimals(CURRENCY);
  return (
    <Card withBorder padding="lg">
      <Text fw={600} mb="md">
        Balance by account
      </Text>
      <BarChart
        h={240}
        data={data}
        dataKey="account"
        series={[{ name: 'balance', label: 'Balance', color: 'indigo.6' }]}
        valueFormatter={(value) => formatMinor(BigInt(Math.round(value * 10 ** decimals)), CURRENCY)}
        yAxisProps={{ width: 90 }}
        aria-label="Balance by account chart"
      />
    </Card>
  );
}

function SpendingChart({ spending }: { spending: Map<string, bigint> }) {
  const colors: Record<string, string> = { 'Cash withdrawals': 'orange.6', 'Transfers to others': 'blue.6' };
  const data = [...spending.entries()].map(([name, minor]) => ({ name, value: chartValue(minor, CURRENCY), color: colors[name] ?? 'gray.6' }));
  const decimals = currencyDecimals(CURRENCY);
  return (
    <Card withBorder padding="lg">
      <Text fw={600} mb="md">
        Spending this month
      </Text>
      {data.length === 0 ? (
        <Empty title="No spending this month" />
      ) : (
        <Group justify="center" gap="xl">
          <DonutChart data={data} withLabelsLine={false} size={180} thickness={28} valueFormatter={(value) => formatMinor(BigInt(Math.round(value * 10 ** decimals)), CURRENCY)} aria-label="Spending by kind chart" />
          <Stack gap={4}>
            {[...spending.entries()].map(([name, minor]) => (
              <Group key={name} gap="xs">
                <Badge color={(colors[name] ?? 'gray.6').split('.')[0]} variant="dot">
                  {name}
                </Badge>
                <Text size="sm">{formatMinor(minor, CURRENCY)}</Text>
              </Group>
            ))}
          </Stack>
        </Group>
      )}
    </Card>
  );
}

function RecentActivity({ transactions, accounts, ownIds }: { transactions: readonly Transaction[]; accounts: readonly Account[]; ownIds: ReadonlySet<string> }) {
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Text fw={600}>Recent activity</Text>
        <Button component={Link} to="/history" variant="subtle" size="xs">
          All history
        </Button>
      </Group>
      {transactions.length === 0 ? (
        <Empty title="No activity yet">Deposits and transfers will show here.</Empty>
      ) : (
        <Stack gap="xs">
          {transactions.map((transaction) => (
            <Group key={transaction.id} justify="space-between" wrap="nowrap" data-testid="recent-row">
              <div style={{ minWidth: 0 }}>
                <Text size="sm" fw={500} truncate>
                  {transaction.description ?? typeLabel(transaction.type)}
                </Text>
                <Text size="xs" c="dimmed" truncate>
                  {formatDateTime(transaction.created_at)} · {routeLabel(transaction, accounts)}
                </Text>
              </div>
              <Money amount={signedAmount(transaction, ownIds)} currency={transaction.currency} signed={directionOf(transaction, ownIds) !== 'internal'} />
            </Group>
          ))}
        </Stack>
      )}
    </Card>
  );
}

export function DashboardPage() {
  const accounts = useAccounts();
  const month = useQuery({ queryKey: ['dashboard', 'month'], queryFn: () => fetchAllTransactions({ from: firstOfMonth(), to: today() }, 5_000) });
  if (accounts.isPending) return <Loading />;
  if (accounts.isError) return <ErrorBox error={accounts.error} />;
  const open = accounts.data.filter((account) => account.status !== 'closed');
  const ownIds = new Set(accounts.data.map((account) => account.id));
  const total = open.filter((account) => account.currency === CURRENCY).reduce((sum, account) => sum + toMinor(account.balance, account.currency), 0n);
  const totals = monthTotals(month.data ?? [], ownIds, CURRENCY);
  const monthValue = (minor: bigint) => (month.isPending ? '…' : formatMinor(minor, CURRENCY));

  return (
    <>
      <PageTitle title="Dashboard" description="Your money at a glance." />
      {open.length === 0 ? (
        <Card withBorder padding="xl">
          <Empty title="Welcome to Kosh">
            Open your first account to start. <Link to="/accounts">Go to accounts</Link>
          </Empty>
        </Card>
      ) : (
        <Stack>
          <SimpleGrid cols={{ base: 1, xs: 2, lg: 4 }}>
            <Kpi label="Total balance" value={formatMinor(total, CURRENCY)} icon={IconWallet} testId="kpi-total" />
            <Kpi label="Accounts" value={String(open.length)} icon={IconBuildingBank} testId="kpi-accounts" />
            <Kpi label="Income this month" value={monthValue(totals.income)} icon={IconArrowDownLeft} testId="kpi-income" />
            <Kpi label="Expenses this month" value={monthValue(totals.expenses)} icon={IconArrowUpRight} testId="kpi-expenses" />
          </SimpleGrid>
          {month.isError && <ErrorBox error={month.error} />}
          <SimpleGrid cols={{ base: 1, md: 2 }}>
            <BalanceChart accounts={open} />
            <SpendingChart spending={totals.spending} />
          </SimpleGrid>
          <RecentActivity transactions={(month.data ?? []).slice(0, 8)} accounts={accounts.data} ownIds={ownIds} />
        </Stack>
      )}
    </>
  );
}
