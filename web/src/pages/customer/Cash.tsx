import { Button, Card, Divider, Group, Modal, SegmentedControl, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconPrinter } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { accountLabel, useAccounts } from '../../api/hooks';
import type { Account, Transaction } from '../../api/types';
import { AccountSelect } from '../../components/AccountSelect';
import { useConfirmedOperation } from '../../components/money-ops';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { formatMoney, parseAmountInput } from '../../money';
import { notifySuccess } from '../../notify';
import { TransferFailure } from './Transfer';

type Kind = 'deposit' | 'withdraw';

interface Plan {
  readonly kind: Kind;
  readonly account: Account;
  readonly amount: string;
  readonly description: string;
}

/** A printable receipt of a deposit or withdrawal. */
function Receipt({ transaction, account }: { transaction: Transaction; account: Account }) {
  const rows: Array<[string, React.ReactNode]> = [
    ['Operation', transaction.type === 'deposit' ? 'Deposit' : 'Withdrawal'],
    ['Amount', <Money key="amount" amount={transaction.amount} currency={transaction.currency} />],
    ['Account', accountLabel(account)],
    ['Date', formatDateTime(transaction.created_at)],
    ['Description', transaction.description ?? '—'],
    ['Reference', transaction.id],
    ['Status', transaction.status],
  ];
  return (
    <div className="kosh-receipt" data-testid="receipt">
      <Title order={3}>Kosh receipt</Title>
      <Table mt="sm">
        <Table.Tbody>
          {rows.map(([label, value]) => (
            <Table.Tr key={label}>
              <Table.Th w={130}>{label}</Table.Th>
              <Table.Td style={{ wordBreak: 'break-all' }}>{value}</Table.Td>
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </div>
  );
}

function CashForm({ accounts }: { accounts: readonly Account[] }) {
  const [kind, setKind] = useState<Kind>('deposit');
  const [receipt, setReceipt] = useState<{ transaction: Transaction; account: Account } | undefined>(undefined);
  const operation = useConfirmedOperation({
    send: (confirmed: Plan, key, pin) => {
      const body = {
        account_id: confirmed.account.id,
        amount: confirmed.amount,
        ...(confirmed.description === '' ? {} : { description: confirmed.description }),
      };
      const params = { header: { 'idempotency-key': key } };
      return confirmed.kind === 'deposit'
        ? unwrap(api.POST('/api/v1/transactions/deposit', { params, body }))
        : unwrap(api.POST('/api/v1/transactions/withdraw', { params, body: { ...body, ...(pin === undefined ? {} : { pin }) } }));
    },
    onDone: (transaction, confirmed) => {
      setReceipt({ transaction, account: confirmed.account });
      form.setValues({ amount: '', description: '' });
      notifySuccess(transaction.type === 'deposit' ? 'Deposit done' : 'Withdrawal done', `${formatMoney(transaction.amount, transaction.currency)}, ${accountLabel(confirmed.account)}.`);
    },
  });
  const { plan } = operation;
  const usable = accounts.filter((account) => account.status !== 'closed');
  const form = useForm({
    initialValues: { account: usable[0]?.id ?? '', amount: '', description: '' },
    validate: {
      account: (value) => (value === '' ? 'Choose an account.' : null),
      amount: (value, values) => {
        const parsed = parseAmountInput(value, accounts.find((account) => account.id === values.account)?.currency ?? 'INR');
        return 'error' in parsed ? parsed.error : null;
      },
    },
  });

  const review = form.onSubmit((values) => {
    const account = accounts.find((item) => item.id === values.account);
    const parsed = parseAmountInput(values.amount, account?.currency ?? 'INR');
    if (account === undefined || 'error' in parsed) return;
    operation.review({ kind, account, amount: parsed.amount, description: values.description.trim() });
  });

  const verb = kind === 'deposit' ? 'Deposit' : 'Withdraw';
  return (
    <Card withBorder padding="lg" maw={560}>
      <form onSubmit={review} noValidate>
        <Stack>
          <SegmentedControl
            value={kind}
            onChange={(value) => setKind(value as Kind)}
            data={[
              { value: 'deposit', label: 'Deposit' },
              { value: 'withdraw', label: 'Withdraw' },
            ]}
            aria-label="Deposit or withdraw"
          />
          <AccountSelect label={kind === 'deposit' ? 'Into account' : 'From account'} accounts={usable} {...form.getInputProps('account')} />
          <TextInput label="Amount" inputMode="decimal" placeholder="0.00" leftSection="₹" {...form.getInputProps('amount')} />
          <TextInput label="Description (optional)" maxLength={200} {...form.getInputProps('description')} />
          {operation.failure !== undefined && <TransferFailure error={operation.failure} />}
          <Group justify="flex-end">
            <Button type="submit">Review {verb.toLowerCase()}</Button>
          </Group>
        </Stack>
      </form>
      <Modal opened={plan !== undefined} onClose={operation.cancel} title={`Confirm the ${plan?.kind === 'withdraw' ? 'withdrawal' : 'deposit'}`} centered>
        {plan !== undefined && (
          <Stack>
            <Text>
              {plan.kind === 'deposit' ? 'Deposit' : 'Withdraw'} <strong>{formatMoney(plan.amount, plan.account.currency)}</strong> {plan.kind === 'deposit' ? 'into' : 'from'} your {accountLabel(plan.account)}.
            </Text>
            {plan.description !== '' && <Text size="sm">Description: {plan.description}</Text>}
            <Group justify="flex-end">
              <Button variant="default" onClick={operation.cancel}>
                Change
              </Button>
              <Button loading={operation.pending} onClick={operation.confirm}>
                Confirm {plan.kind === 'deposit' ? 'deposit' : 'withdrawal'}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <Modal opened={receipt !== undefined} onClose={() => setReceipt(undefined)} title="Done" centered>
        {receipt !== undefined && (
          <Stack>
            <Receipt transaction={receipt.transaction} account={receipt.account} />
            <Divider className="kosh-no-print" />
            <Group justify="flex-end" className="kosh-no-print">
              <Button variant="default" leftSection={<IconPrinter size={16} />} onClick={() => window.print()}>
                Print receipt
              </Button>
              <Button onClick={() => setReceipt(undefined)}>Close</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      {operation.pinPrompt}
    </Card>
  );
}

export function CashPage() {
  const accounts = useAccounts();
  return (
    <>
      <PageTitle title="Deposit & withdraw" description="Add money to an account or take it out." />
      {accounts.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorBox error={accounts.error} />
      ) : accounts.data.filter((account) => account.status !== 'closed').length === 0 ? (
        <Empty title="No account yet">
          <Link to="/accounts">Open an account</Link> first.
        </Empty>
      ) : (
        <CashForm accounts={accounts.data} />
      )}
    </>
  );
}
