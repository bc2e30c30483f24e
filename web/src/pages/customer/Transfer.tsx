import { ActionIcon, Alert, Button, Card, Grid, Group, Modal, SegmentedControl, Select, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { modals } from '@mantine/modals';
import { IconArrowRight, IconCircleCheck, IconTrash } from '@tabler/icons-react';
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { api, unwrap } from '../../api/client';
import { accountLabel, useAccounts, useBeneficiaries } from '../../api/hooks';
import { problemWords } from '../../api/problem';
import type { Account, Beneficiary, Transaction } from '../../api/types';
import { AccountSelect } from '../../components/AccountSelect';
import { useConfirmedOperation } from '../../components/money-ops';
import { Empty, ErrorBox, Loading, maskNumber, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { formatMinor, formatMoney, parseAmountInput, toMinor } from '../../money';
import { notifyError, notifySuccess } from '../../notify';

type Mode = 'own' | 'number' | 'beneficiary';

interface Plan {
  readonly from: Account;
  readonly toLabel: string;
  readonly amount: string;
  readonly description: string;
  readonly body: { to_account_id?: string; to_account_number?: string; beneficiary_id?: string };
}

function describeDestination(mode: Mode, values: { to: string; number: string; beneficiary: string }, accounts: readonly Account[], beneficiaries: readonly Beneficiary[]) {
  if (mode === 'own') {
    const to = accounts.find((account) => account.id === values.to);
    return to === undefined ? undefined : { label: `your ${accountLabel(to)}`, body: { to_account_id: to.id } };
  }
  if (mode === 'number') {
    const number = values.number.replace(/\s/g, '');
    return { label: `account number ${number}`, body: { to_account_number: number } };
  }
  const beneficiary = beneficiaries.find((item) => item.id === values.beneficiary);
  return beneficiary === undefined ? undefined : { label: `${beneficiary.name} (${beneficiary.account_number})`, body: { beneficiary_id: beneficiary.id } };
}

function TransferForm({ accounts, beneficiaries }: { accounts: readonly Account[]; beneficiaries: readonly Beneficiary[] }) {
  const [mode, setMode] = useState<Mode>('own');
  const [done, setDone] = useState<Transaction | undefined>(undefined);
  const operation = useConfirmedOperation({
    send: (confirmed: Plan, key, pin) =>
      unwrap(
        api.POST('/api/v1/transfers', {
          params: { header: { 'idempotency-key': key } },
          body: {
            from_account_id: confirmed.from.id,
            amount: confirmed.amount,
            ...confirmed.body,
            ...(confirmed.description === '' ? {} : { description: confirmed.description }),
            ...(pin === undefined ? {} : { pin }),
          },
        }),
      ),
    onDone: (transaction) => {
      setDone(transaction);
      form.setValues({ amount: '', description: '' });
      notifySuccess('Transfer sent', `${formatMoney(transaction.amount, transaction.currency)} is on its way.`);
    },
  });
  const { plan } = operation;
  const usable = accounts.filter((account) => account.status !== 'closed');
  const form = useForm({
    initialValues: { from: usable[0]?.id ?? '', to: '', number: '', beneficiary: '', amount: '', description: '' },
    validate: {
      from: (value) => (value === '' ? 'Choose the account to pay from.' : null),
      to: (value, values) => (mode !== 'own' ? null : value === '' ? 'Choose the account to pay into.' : value === values.from ? 'Choose a different account from the one you pay from.' : null),
      number: (value) => (mode !== 'number' ? null : /^\d{8,30}$/.test(value.replace(/\s/g, '')) ? null : 'Enter the account number (digits only).'),
      beneficiary: (value) => (mode !== 'beneficiary' ? null : value === '' ? 'Choose a saved beneficiary.' : null),
      amount: (value, values) => {
        const from = accounts.find((account) => account.id === values.from);
        const parsed = parseAmountInput(value, from?.currency ?? 'INR');
        return 'error' in parsed ? parsed.error : null;
      },
    },
  });

  const review = form.onSubmit((values) => {
    const from = accounts.find((account) => account.id === values.from);
    const destination = describeDestination(mode, values, accounts, beneficiaries);
    const parsed = parseAmountInput(values.amount, from?.currency ?? 'INR');
    if (from === undefined || destination === undefined || 'error' in parsed) return;
    operation.review({ from, toLabel: destination.label, amount: parsed.amount, description: values.description.trim(), body: destination.body });
  });

  const balanceAfter = plan === undefined ? undefined : toMinor(plan.from.balance, plan.from.currency) - toMinor(plan.amount, plan.from.currency);

  return (
    <Card withBorder padding="lg">
      <form onSubmit={review} noValidate>
        <Stack>
          <SegmentedControl
            value={mode}
            onChange={(value) => setMode(value as Mode)}
            data={[
              { value: 'own', label: 'Between my accounts' },
              { value: 'number', label: 'To an account number' },
              { value: 'beneficiary', label: 'To a beneficiary' },
            ]}
            fullWidth
            aria-label="Where to send the money"
          />
          <AccountSelect label="From" accounts={usable} {...form.getInputProps('from')} />
          {mode === 'own' && <AccountSelect label="To" accounts={usable.filter((account) => account.id !== form.values.from)} {...form.getInputProps('to')} />}
          {mode === 'number' && <TextInput label="To account number" inputMode="numeric" autoComplete="off" description="The 12-digit number of the account you pay into." {...form.getInputProps('number')} />}
          {mode === 'beneficiary' &&
            (beneficiaries.length === 0 ? (
              <Text size="sm" c="dimmed">
                No saved beneficiaries yet: add one below.
              </Text>
            ) : (
              <Select
                label="To beneficiary"
                data={beneficiaries.map((item) => ({ value: item.id, label: `${item.name}${item.nickname === null ? '' : ` (${item.nickname})`} · ${item.account_number}` }))}
                {...form.getInputProps('beneficiary')}
              />
            ))}
          <TextInput label="Amount" inputMode="decimal" placeholder="0.00" leftSection="₹" {...form.getInputProps('amount')} />
          <TextInput label="Description (optional)" maxLength={200} {...form.getInputProps('description')} />
          {operation.failure !== undefined && <TransferFailure error={operation.failure} />}
          <Group justify="flex-end">
            <Button type="submit" rightSection={<IconArrowRight size={16} />}>
              Review transfer
            </Button>
          </Group>
        </Stack>
      </form>

      <Modal opened={plan !== undefined} onClose={operation.cancel} title="Confirm the transfer" centered>
        {plan !== undefined && (
          <Stack>
            <Text>
              <strong data-testid="confirm-amount">{formatMoney(plan.amount, plan.from.currency)}</strong> will leave your {accountLabel(plan.from)} and go to {plan.toLabel}.
            </Text>
            {plan.description !== '' && <Text size="sm">Description: {plan.description}</Text>}
            {balanceAfter !== undefined && (
              <Text size="sm" c={balanceAfter < 0n ? 'red' : 'dimmed'}>
                {balanceAfter < 0n ? `This is more than the ${formatMoney(plan.from.balance, plan.from.currency)} in the account: the bank will refuse it.` : `Balance after: ${formatMinor(balanceAfter, plan.from.currency)}.`}
              </Text>
            )}
            <Text size="xs" c="dimmed">
              Transfers are immediate and cannot be cancelled once sent.
            </Text>
            <Group justify="flex-end">
              <Button variant="default" onClick={operation.cancel}>
                Change
              </Button>
              <Button loading={operation.pending} onClick={operation.confirm}>
                Send {formatMoney(plan.amount, plan.from.currency)}
              </Button>
            </Group>
          </Stack>
        )}
      </Modal>
      <Modal opened={done !== undefined} onClose={() => setDone(undefined)} title="Transfer sent" centered>
        {done !== undefined && (
          <Stack>
            <Group gap="xs">
              <IconCircleCheck color="var(--mantine-color-teal-6)" />
              <Text data-testid="transfer-done">
                <Money amount={done.amount} currency={done.currency} /> sent on {formatDateTime(done.created_at)}.
              </Text>
            </Group>
            <Text size="xs" c="dimmed" ff="monospace">
              Reference {done.id}
            </Text>
            <Group justify="flex-end">
              <Button component={Link} to="/history" variant="default">
                See history
              </Button>
              <Button onClick={() => setDone(undefined)}>Done</Button>
            </Group>
          </Stack>
        )}
      </Modal>
      {operation.pinPrompt}
    </Card>
  );
}

/** Why a transfer was refused, in words, with the way forward. */
export function TransferFailure({ error }: { error: unknown }) {
  const words = problemWords(error);
  return (
    <Alert color="red" title={words.title} role="alert" data-testid="transfer-error">
      {words.message}
    </Alert>
  );
}

function Beneficiaries({ beneficiaries }: { beneficiaries: readonly Beneficiary[] }) {
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { name: '', account_number: '', nickname: '' },
    validate: {
      name: (value) => (value.trim() === '' ? 'Enter the name of the account holder.' : null),
      account_number: (value) => (/^\d{8,30}$/.test(value.replace(/\s/g, '')) ? null : 'Enter the account number (digits only).'),
    },
  });
  const add = useMutation({
    mutationFn: (values: typeof form.values) =>
      unwrap(
        api.POST('/api/v1/beneficiaries', {
          body: { name: values.name.trim(), account_number: values.account_number.replace(/\s/g, ''), ...(values.nickname.trim() === '' ? {} : { nickname: values.nickname.trim() }) },
        }),
      ),
    onSuccess: async (beneficiary) => {
      form.reset();
      notifySuccess('Beneficiary saved', `${beneficiary.name} can now be paid from the transfer form.`);
      await queryClient.invalidateQueries({ queryKey: ['beneficiaries'] });
    },
    onError: notifyError,
  });
  const remove = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/beneficiaries/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      notifySuccess('Beneficiary removed', 'The beneficiary is no longer saved.');
      await queryClient.invalidateQueries({ queryKey: ['beneficiaries'] });
    },
    onError: notifyError,
  });
  const confirmRemove = (beneficiary: Beneficiary) =>
    modals.openConfirmModal({
      title: 'Remove this beneficiary?',
      children: <Text size="sm">{beneficiary.name} ({beneficiary.account_number}) will no longer be listed. Past transfers stay in your history.</Text>,
      labels: { confirm: 'Remove', cancel: 'Keep' },
      confirmProps: { color: 'red' },
      onConfirm: () => remove.mutate(beneficiary.id),
    });
  return (
    <Card withBorder padding="lg">
      <Title order={4} mb="sm">
        Beneficiaries
      </Title>
      {beneficiaries.length === 0 ? (
        <Empty title="No beneficiaries">Save the people you pay often.</Empty>
      ) : (
        <Table aria-label="Beneficiaries" mb="md">
          <Table.Tbody>
            {beneficiaries.map((beneficiary) => (
              <Table.Tr key={beneficiary.id}>
                <Table.Td>
                  <Text size="sm" fw={500}>
                    {beneficiary.name}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {beneficiary.nickname ?? ''} {maskNumber(beneficiary.account_number)}
                  </Text>
                </Table.Td>
                <Table.Td ta="right">
                  <ActionIcon variant="subtle" color="red" aria-label={`Remove ${beneficiary.name}`} onClick={() => confirmRemove(beneficiary)}>
                    <IconTrash size={16} />
                  </ActionIcon>
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      )}
      <form onSubmit={form.onSubmit((values) => add.mutate(values))} noValidate>
        <Stack gap="xs">
          <Text size="sm" fw={600}>
            Add a beneficiary
          </Text>
          <TextInput label="Name" {...form.getInputProps('name')} />
          <TextInput label="Account number" inputMode="numeric" {...form.getInputProps('account_number')} />
          <TextInput label="Nickname (optional)" maxLength={50} {...form.getInputProps('nickname')} />
          <Button type="submit" variant="light" loading={add.isPending}>
            Save beneficiary
          </Button>
        </Stack>
      </form>
    </Card>
  );
}

export function TransferPage() {
  const accounts = useAccounts();
  const beneficiaries = useBeneficiaries();
  return (
    <>
      <PageTitle title="Transfer" description="Move money between your accounts or pay someone else." />
      {accounts.isPending || beneficiaries.isPending ? (
        <Loading />
      ) : accounts.isError ? (
        <ErrorBox error={accounts.error} />
      ) : accounts.data.filter((account) => account.status !== 'closed').length === 0 ? (
        <Empty title="No account to pay from">
          <Link to="/accounts">Open an account</Link> first.
        </Empty>
      ) : (
        <Grid>
          <Grid.Col span={{ base: 12, md: 7 }}>
            <TransferForm accounts={accounts.data} beneficiaries={beneficiaries.data ?? []} />
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 5 }}>
            <Beneficiaries beneficiaries={beneficiaries.data ?? []} />
          </Grid.Col>
        </Grid>
      )}
    </>
  );
}
