/**
 * One user in the console: profile (contact details masked, revealed on request with a reason),
 * access (block, unblock, lift a sign-in lock), KYC decisions, role (super admins), the user's
 * accounts and the latest audit rows about them. Every change is confirmed in a modal; auditors
 * see the same page without any of the controls.
 */
import { Alert, Anchor, Button, Card, Grid, Group, Select, Stack, Table, Text, Title } from '@mantine/core';
import { modals } from '@mantine/modals';
import { IconArrowLeft } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { api, unwrap } from '../../api/client';
import type { paths } from '../../api/schema';
import { Empty, ErrorBox, Loading, Money, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { notifySuccess } from '../../notify';
import { KycBadge, notifyStaffError, ReasonModal, RoleBadge, roleLabel, shortId, StatusBadge, useStaffPowers } from './common';

type AdminUser = paths['/api/v1/admin/users/{id}']['get']['responses'][200]['content']['application/json'];
type Revealed = paths['/api/v1/admin/users/{id}/reveal']['post']['responses'][200]['content']['application/json'];
type KycStatus = AdminUser['kyc_status'];
type Role = AdminUser['role'];

type Pending = { kind: 'block' } | { kind: 'unblock' } | { kind: 'kyc'; status: KycStatus } | { kind: 'reveal' };

function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    <Group justify="space-between" wrap="nowrap" gap="md">
      <Text size="sm" c="dimmed">
        {label}
      </Text>
      <Text size="sm" ta="right" component="div">
        {children}
      </Text>
    </Group>
  );
}

function decidedLine(by: string | null, at: string | null): string {
  if (at === null) return 'Never';
  return `${formatDateTime(at)} by ${by === null ? 'the system' : shortId(by)}`;
}

/** A state with who last changed it, when and why. */
function Decision({ status, label, by, at, reason }: { status: ReactNode; label: string; by: string | null; at: string | null; reason: string | null }) {
  return (
    <Stack gap={6}>
      <Field label="Status">{status}</Field>
      <Field label={label}>{decidedLine(by, at)}</Field>
      {reason !== null && <Field label="Reason">{reason}</Field>}
    </Stack>
  );
}

function Panel({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Grid.Col span={{ base: 12, md: 6 }}>
      <Card withBorder padding="lg" h="100%">
        <Title order={4} mb="sm">
          {title}
        </Title>
        {children}
      </Card>
    </Grid.Col>
  );
}

const KYC_ACTIONS: ReadonlyArray<{ status: KycStatus; label: string; color: string }> = [
  { status: 'verified', label: 'Verify KYC', color: 'teal' },
  { status: 'rejected', label: 'Reject KYC', color: 'red' },
  { status: 'pending', label: 'Set KYC to pending', color: 'yellow' },
];

function pendingText(pending: Pending, user: AdminUser): { title: string; confirm: string; color: string; body: string } {
  switch (pending.kind) {
    case 'block':
      return {
        title: `Block ${user.username}?`,
        confirm: 'Block user',
        color: 'red',
        body: `${user.full_name} will be signed out everywhere at once and cannot sign in until unblocked. Their money stays where it is.`,
      };
    case 'unblock':
      return { title: `Unblock ${user.username}?`, confirm: 'Unblock user', color: 'teal', body: `${user.full_name} will be able to sign in again.` };
    case 'reveal':
      return {
        title: `Show ${user.username}'s contact details?`,
        confirm: 'Show details',
        color: 'blue',
        body: 'The full email, phone number and date of birth will be shown. The request and its reason are recorded in the audit log.',
      };
    case 'kyc':
      return {
        title: `${KYC_ACTIONS.find((action) => action.status === pending.status)?.label ?? 'Change KYC'} for ${user.username}?`,
        confirm: pending.status === 'verified' ? 'Verify' : pending.status === 'rejected' ? 'Reject' : 'Set to pending',
        color: pending.status === 'rejected' ? 'red' : pending.status === 'verified' ? 'teal' : 'yellow',
        body:
          pending.status === 'verified'
            ? 'The customer gets the ordinary limits of a verified customer.'
            : `The customer goes back to the limits of an unverified customer${pending.status === 'rejected' ? ' and is told the KYC was rejected' : ''}.`,
      };
  }
}

export function AdminUserDetailPage() {
  const { id = '' } = useParams();
  const powers = useStaffPowers();
  const queryClient = useQueryClient();
  const [pending, setPending] = useState<Pending | undefined>(undefined);
  const [revealed, setRevealed] = useState<Revealed | undefined>(undefined);
  const [newRole, setNewRole] = useState<Role | null>(null);

  const user = useQuery({ queryKey: ['admin-user', id], queryFn: () => unwrap(api.GET('/api/v1/admin/users/{id}', { params: { path: { id } } })) });
  const accounts = useQuery({
    queryKey: ['admin-user-accounts', id],
    queryFn: () => unwrap(api.GET('/api/v1/accounts', { params: { query: { owner_id: id, limit: 100 } } })),
    enabled: user.data?.role === 'customer',
  });
  const history = useQuery({
    queryKey: ['audit-logs', { target_id: id, limit: 10 }],
    queryFn: () => unwrap(api.GET('/api/v1/audit-logs', { params: { query: { target_id: id, limit: 10 } } })),
  });

  const changed = async (updated: AdminUser, title: string, message: string) => {
    queryClient.setQueryData(['admin-user', id], updated);
    notifySuccess(title, message);
    await Promise.all(['admin-users', 'audit-logs'].map((key) => queryClient.invalidateQueries({ queryKey: [key] })));
  };

  const run = async (action: Pending, reason: string, target: AdminUser) => {
    const path = { path: { id } };
    switch (action.kind) {
      case 'block':
        return changed(await unwrap(api.POST('/api/v1/admin/users/{id}/block', { params: path, body: { reason } })), 'User blocked', `${target.username} is signed out and cannot sign in.`);
      case 'unblock':
        return changed(
          await unwrap(api.POST('/api/v1/admin/users/{id}/unblock', { params: path, body: reason === '' ? {} : { reason } })),
          'User unblocked',
          `${target.username} can sign in again.`,
        );
      case 'kyc':
        return changed(
          await unwrap(api.PUT('/api/v1/admin/users/{id}/kyc', { params: path, body: { status: action.status, reason } })),
          'KYC decision recorded',
          `${target.username}'s KYC is now ${action.status}.`,
        );
      case 'reveal':
        setRevealed(await unwrap(api.POST('/api/v1/admin/users/{id}/reveal', { params: path, body: { reason } })));
        await queryClient.invalidateQueries({ queryKey: ['audit-logs'] });
        return undefined;
    }
  };

  const unlock = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/admin/users/{id}/unlock', { params: { path: { id } } })),
    onSuccess: async () => {
      notifySuccess('Sign-in lock lifted', 'Failed sign-ins were cleared; the user can try again now.');
      await queryClient.invalidateQueries({ queryKey: ['audit-logs'] });
    },
    onError: notifyStaffError,
  });

  const changeRole = useMutation({
    mutationFn: (role: Role) => unwrap(api.PUT('/api/v1/admin/users/{id}/role', { params: { path: { id } }, body: { role } })),
    onSuccess: async (updated) => {
      setNewRole(null);
      await changed(updated, 'Role changed', `${updated.username} is now ${roleLabel(updated.role)}.`);
    },
    onError: notifyStaffError,
  });

  if (user.isPending) return <Loading label="Loading the user…" />;
  if (user.isError) return <ErrorBox error={user.error} />;
  const target = user.data;
  const self = powers.userId === target.id;
  const targetIsAdmin = target.role === 'admin' || target.role === 'super_admin';
  const mayChangeAccess = powers.canWrite && !self && (!targetIsAdmin || powers.isSuperAdmin);
  const mayDecideKyc = powers.canWrite && !self && target.role === 'customer';
  const mayChangeRole = powers.isSuperAdmin && !self;
  const text = pending === undefined ? undefined : pendingText(pending, target);

  const confirmRole = (role: Role) =>
    modals.openConfirmModal({
      title: `Make ${target.username} ${roleLabel(role)}?`,
      children: (
        <Text size="sm">
          {target.full_name} changes from {roleLabel(target.role)} to {roleLabel(role)}. What they can see and do changes at their next request.
        </Text>
      ),
      labels: { confirm: 'Change role', cancel: 'Cancel' },
      confirmProps: { color: 'red' },
      onConfirm: () => changeRole.mutate(role),
    });

  return (
    <>
      <Anchor component={Link} to="/admin/users" size="sm">
        <Group gap={4}>
          <IconArrowLeft size={14} /> All users
        </Group>
      </Anchor>
      <PageTitle
        title={target.full_name}
        description={`@${target.username} · joined ${formatDateTime(target.created_at)}`}
        actions={
          <Group gap="xs">
            <RoleBadge role={target.role} />
            <StatusBadge status={target.status} />
            <KycBadge status={target.kyc_status} />
          </Group>
        }
      />
      <Grid>
        <Panel title="Profile">
          <Stack gap={6}>
            <Field label="Email">{revealed?.email ?? target.email}</Field>
            <Field label="Phone">{(revealed === undefined ? target.phone : revealed.phone) ?? '—'}</Field>
            <Field label="Date of birth">{(revealed === undefined ? target.date_of_birth : revealed.date_of_birth) ?? '—'}</Field>
            <Field label="User id">
              <Text span size="xs" ff="monospace">
                {target.id}
              </Text>
            </Field>
          </Stack>
          {revealed !== undefined ? (
            <Text size="xs" c="dimmed" mt="sm">
              Full contact details shown; this was recorded in the audit log.
            </Text>
          ) : (
            powers.canWrite && (
              <Button mt="md" variant="light" size="xs" onClick={() => setPending({ kind: 'reveal' })}>
                Reveal contact details
              </Button>
            )
          )}
        </Panel>
        <Panel title="Access">
          <Decision status={<StatusBadge status={target.status} />} label="Last change" by={target.status_changed_by} at={target.status_changed_at} reason={target.status_reason} />
          {mayChangeAccess && (
            <Group mt="md" gap="xs">
              {target.status === 'active' ? (
                <Button color="red" onClick={() => setPending({ kind: 'block' })}>
                  Block user
                </Button>
              ) : (
                <Button color="teal" onClick={() => setPending({ kind: 'unblock' })}>
                  Unblock user
                </Button>
              )}
              <Button variant="default" loading={unlock.isPending} onClick={() => unlock.mutate()}>
                Unlock sign-in
              </Button>
            </Group>
          )}
          {powers.canWrite && !self && targetIsAdmin && !powers.isSuperAdmin && (
            <Text size="xs" c="dimmed" mt="sm">
              Only a super admin can block or unblock an administrator.
            </Text>
          )}
        </Panel>
        <Panel title="KYC">
          <Decision status={<KycBadge status={target.kyc_status} />} label="Decided" by={target.kyc_decided_by} at={target.kyc_decided_at} reason={target.kyc_reason} />
          {mayDecideKyc && (
            <Group mt="md" gap="xs">
              {KYC_ACTIONS.filter((action) => action.status !== target.kyc_status).map((action) => (
                <Button key={action.status} variant="light" color={action.color} onClick={() => setPending({ kind: 'kyc', status: action.status })}>
                  {action.label}
                </Button>
              ))}
            </Group>
          )}
        </Panel>
        <Panel title="Role">
          <Field label="Role">
            <RoleBadge role={target.role} />
          </Field>
          {mayChangeRole && (
            <Group mt="md" align="flex-end" gap="xs">
              <Select
                label="New role"
                placeholder="Choose a role"
                data={(['customer', 'auditor', 'admin', 'super_admin'] as const).filter((role) => role !== target.role).map((role) => ({ value: role, label: roleLabel(role) }))}
                value={newRole}
                onChange={(value) => setNewRole(value as Role | null)}
                style={{ flex: 1, minWidth: 160 }}
              />
              <Button color="red" variant="light" disabled={newRole === null} loading={changeRole.isPending} onClick={() => newRole !== null && confirmRole(newRole)}>
                Change role
              </Button>
            </Group>
          )}
        </Panel>
      </Grid>

      {target.role === 'customer' && (
        <Card withBorder padding={0} mt="md">
          <Title order={4} p="md" pb={0}>
            Accounts
          </Title>
          {accounts.isPending ? (
            <Loading label="Loading accounts…" />
          ) : accounts.isError ? (
            <ErrorBox error={accounts.error} />
          ) : accounts.data.items.length === 0 ? (
            <Empty title="No accounts">This customer has not opened an account yet.</Empty>
          ) : (
            <Table.ScrollContainer minWidth={520}>
              <Table aria-label="Accounts of the user">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Number</Table.Th>
                    <Table.Th>Type</Table.Th>
                    <Table.Th>Status</Table.Th>
                    <Table.Th ta="right">Balance</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {accounts.data.items.map((account) => (
                    <Table.Tr key={account.id}>
                      <Table.Td ff="monospace">{account.number}</Table.Td>
                      <Table.Td>{account.nickname ?? account.type}</Table.Td>
                      <Table.Td>{account.status}</Table.Td>
                      <Table.Td ta="right" data-testid={`balance-${account.id}`}>
                        <Money amount={account.balance} currency={account.currency} />
                      </Table.Td>
                      <Table.Td ta="right">
                        <Anchor component={Link} to={`/admin/transactions?account_id=${account.id}`} size="sm">
                          Transactions
                        </Anchor>
                      </Table.Td>
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Card>
      )}

      <Card withBorder padding={0} mt="md">
        <Group justify="space-between" p="md" pb={0}>
          <Title order={4}>Latest audit entries</Title>
          <Anchor component={Link} to={`/admin/audit?target_id=${target.id}`} size="sm">
            All entries about this user
          </Anchor>
        </Group>
        {history.isPending ? (
          <Loading />
        ) : history.isError ? (
          <ErrorBox error={history.error} />
        ) : history.data.items.length === 0 ? (
          <Empty title="Nothing recorded yet" />
        ) : (
          <Table.ScrollContainer minWidth={520}>
            <Table aria-label="Latest audit entries about the user">
              <Table.Tbody>
                {history.data.items.map((row) => (
                  <Table.Tr key={row.id}>
                    <Table.Td style={{ whiteSpace: 'nowrap' }}>{formatDateTime(row.occurred_at)}</Table.Td>
                    <Table.Td ff="monospace">{row.action}</Table.Td>
                    <Table.Td>{row.actor_role === null ? 'system' : roleLabel(row.actor_role)}</Table.Td>
                  </Table.Tr>
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
      </Card>

      {powers.canWrite && text !== undefined && pending !== undefined && (
        <ReasonModal
          opened
          title={text.title}
          confirmLabel={text.confirm}
          color={text.color}
          reasonMin={pending.kind === 'unblock' ? 0 : 1}
          reasonLabel={pending.kind === 'unblock' ? 'Reason (optional, kept in the audit log)' : undefined}
          onClose={() => setPending(undefined)}
          onConfirm={(reason) => run(pending, reason, target)}
        >
          <Text size="sm">{text.body}</Text>
        </ReasonModal>
      )}
      {revealed !== undefined && (
        <Alert color="blue" mt="md" title="Contact details revealed" withCloseButton onClose={() => setRevealed(undefined)} closeButtonLabel="Hide contact details">
          Shown until you leave this page.
        </Alert>
      )}
    </>
  );
}
