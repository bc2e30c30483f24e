import { Alert, Badge, Button, Card, Code, CopyButton, Grid, Group, Image, List, Modal, PasswordInput, Stack, Table, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { modals } from '@mantine/modals';
import { IconLogout } from '@tabler/icons-react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { api, unwrap } from '../../api/client';
import type { Profile } from '../../api/types';
import { useAuth } from '../../auth/AuthProvider';
import { ErrorBox, Loading, PageTitle } from '../../components/ui';
import { formatDateTime } from '../../dates';
import { notifyError, notifySuccess } from '../../notify';
import { PasswordRules, passwordRules } from './Register';

const KYC_COLORS: Record<Profile['kyc_status'], string> = { pending: 'yellow', verified: 'teal', rejected: 'red' };
const KYC_WORDS: Record<Profile['kyc_status'], string> = {
  pending: 'KYC pending: lower daily limits apply until the bank verifies your identity.',
  verified: 'KYC verified: your identity is confirmed.',
  rejected: 'KYC rejected: contact the bank to complete verification.',
};

function ProfileCard({ profile }: { profile: Profile }) {
  const queryClient = useQueryClient();
  const form = useForm({
    initialValues: { full_name: profile.full_name, email: profile.email, phone: profile.phone ?? '', current_password: '' },
    validate: {
      full_name: (value) => (value.trim() === '' ? 'Enter your full name.' : null),
      email: (value) => (/^\S+@\S+\.\S+$/.test(value.trim()) ? null : 'Enter a valid email address.'),
    },
  });
  const contactChanged = form.values.email.trim() !== profile.email || form.values.phone.trim() !== (profile.phone ?? '');
  const save = useMutation({
    mutationFn: (values: typeof form.values) => {
      const body: { full_name?: string; email?: string; phone?: string | null; current_password?: string } = {};
      if (values.full_name.trim() !== profile.full_name) body.full_name = values.full_name.trim();
      if (values.email.trim() !== profile.email) body.email = values.email.trim();
      if (values.phone.trim() !== (profile.phone ?? '')) body.phone = values.phone.trim() === '' ? null : values.phone.trim();
      if (contactChanged) body.current_password = values.current_password;
      return unwrap(api.PUT('/api/v1/users/me', { body }));
    },
    onSuccess: async (updated) => {
      queryClient.setQueryData(['me'], updated);
      await queryClient.invalidateQueries({ queryKey: ['profile'] });
      form.setValues({ current_password: '' });
      form.resetDirty();
      notifySuccess('Profile saved', 'Your details are up to date.');
    },
    onError: notifyError,
  });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Profile</Title>
        <Badge color={KYC_COLORS[profile.kyc_status]} data-testid="kyc-badge">
          KYC {profile.kyc_status}
        </Badge>
      </Group>
      <Text size="sm" c="dimmed" mb="md">
        {KYC_WORDS[profile.kyc_status]} Username: <strong>{profile.username}</strong>. Member since {formatDateTime(profile.created_at)}.
      </Text>
      <form onSubmit={form.onSubmit((values) => save.mutate(values))} noValidate>
        <Stack>
          <TextInput label="Full name" autoComplete="name" {...form.getInputProps('full_name')} />
          <TextInput label="Email" type="email" autoComplete="email" {...form.getInputProps('email')} />
          <TextInput label="Mobile number" type="tel" autoComplete="tel" {...form.getInputProps('phone')} />
          {contactChanged && (
            <PasswordInput label="Current password" description="Needed to change the email or mobile number." autoComplete="current-password" {...form.getInputProps('current_password')} />
          )}
          {save.error !== null && <ErrorBox error={save.error} />}
          <Group justify="flex-end">
            <Button type="submit" loading={save.isPending} disabled={!form.isDirty()}>
              Save profile
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function PasswordCard({ profile }: { profile: Profile }) {
  const form = useForm({
    initialValues: { old_password: '', new_password: '', confirm: '' },
    validate: {
      old_password: (value) => (value === '' ? 'Enter your current password.' : null),
      new_password: (value) => (passwordRules(value, profile).every((rule) => rule.ok) ? null : 'The new password does not meet the rules below.'),
      confirm: (value, values) => (value === values.new_password ? null : 'The passwords do not match.'),
    },
  });
  const change = useMutation({
    mutationFn: (values: typeof form.values) => unwrap(api.PUT('/api/v1/users/me/password', { body: { old_password: values.old_password, new_password: values.new_password } })),
    onSuccess: () => {
      form.reset();
      notifySuccess('Password changed', 'Use the new password next time you sign in.');
    },
    onError: notifyError,
  });
  return (
    <Card withBorder padding="lg">
      <Title order={4} mb="sm">
        Change password
      </Title>
      <form onSubmit={form.onSubmit((values) => change.mutate(values))} noValidate>
        <Stack>
          <PasswordInput label="Current password" autoComplete="current-password" {...form.getInputProps('old_password')} />
          <PasswordInput label="New password" autoComplete="new-password" {...form.getInputProps('new_password')} />
          <PasswordRules password={form.values.new_password} username={profile.username} email={profile.email} />
          <PasswordInput label="Repeat the new password" autoComplete="new-password" {...form.getInputProps('confirm')} />
          {change.error !== null && <ErrorBox error={change.error} />}
          <Group justify="flex-end">
            <Button type="submit" loading={change.isPending}>
              Change password
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function PinCard() {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['pin'], queryFn: () => unwrap(api.GET('/api/v1/users/me/pin')) });
  const form = useForm({
    initialValues: { password: '', pin: '', confirm: '' },
    validate: {
      password: (value) => (value === '' ? 'Enter your password.' : null),
      pin: (value) => (/^\d{4,6}$/.test(value) ? null : 'The PIN is 4 to 6 digits.'),
      confirm: (value, values) => (value === values.pin ? null : 'The PINs do not match.'),
    },
  });
  const set = useMutation({
    mutationFn: (values: typeof form.values) => unwrap(api.PUT('/api/v1/users/me/pin', { body: { password: values.password, pin: values.pin } })),
    onSuccess: async (result) => {
      form.reset();
      queryClient.setQueryData(['pin'], result);
      notifySuccess('PIN saved', 'Large withdrawals and transfers will ask for this PIN.');
    },
    onError: notifyError,
  });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Transaction PIN</Title>
        {status.data !== undefined && <Badge color={status.data.pin_set ? 'teal' : 'gray'}>{status.data.pin_set ? 'Set' : 'Not set'}</Badge>}
      </Group>
      <Text size="sm" c="dimmed" mb="sm">
        Withdrawals and transfers above the bank's threshold ask for this PIN. Avoid simple patterns like 1111 or 1234.
      </Text>
      {(status.data?.locked_until ?? null) !== null && (
        <Alert color="red" mb="sm">
          Locked after too many wrong PINs until {formatDateTime(status.data?.locked_until ?? "")}.
        </Alert>
      )}
      <form onSubmit={form.onSubmit((values) => set.mutate(values))} noValidate>
        <Stack>
          <PasswordInput label="Password" autoComplete="current-password" {...form.getInputProps('password')} />
          <Group grow>
            <PasswordInput label="New PIN" inputMode="numeric" maxLength={6} autoComplete="off" {...form.getInputProps('pin')} />
            <PasswordInput label="Repeat the PIN" inputMode="numeric" maxLength={6} autoComplete="off" {...form.getInputProps('confirm')} />
          </Group>
          {set.error !== null && <ErrorBox error={set.error} />}
          <Group justify="flex-end">
            <Button type="submit" loading={set.isPending}>
              {status.data?.pin_set === true ? 'Change PIN' : 'Set PIN'}
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function RecoveryCodes({ codes }: { codes: readonly string[] }) {
  return (
    <Stack gap="xs">
      <Text size="sm">Store these one-time recovery codes somewhere safe. Each signs you in once if you lose your authenticator. They are shown only now.</Text>
      <Code block data-testid="recovery-codes">
        {codes.join('\n')}
      </Code>
      <CopyButton value={codes.join('\n')}>{({ copied, copy }) => <Button variant="light" onClick={copy}>{copied ? 'Copied' : 'Copy codes'}</Button>}</CopyButton>
    </Stack>
  );
}

function TwoFactorCard() {
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: ['2fa'], queryFn: () => unwrap(api.GET('/api/v1/users/me/2fa')) });
  const [password, setPassword] = useState('');
  const [code, setCode] = useState('');
  const [enrolment, setEnrolment] = useState<{ qr_code: string; secret: string } | undefined>(undefined);
  const [codes, setCodes] = useState<readonly string[] | undefined>(undefined);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['2fa'] });
  const enroll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/me/2fa/enroll', { body: { password } })),
    onSuccess: (result) => {
      setEnrolment(result);
      setPassword('');
    },
    onError: notifyError,
  });
  const confirm = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/me/2fa/confirm', { body: { code: code.trim() } })),
    onSuccess: async (result) => {
      setEnrolment(undefined);
      setCode('');
      setCodes(result.recovery_codes);
      notifySuccess('Two-factor authentication on', 'Signing in now also needs a code from your authenticator app.');
      await refresh();
    },
    onError: notifyError,
  });
  const disable = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/me/2fa/disable', { body: { password, code: code.trim() } })),
    onSuccess: async () => {
      setPassword('');
      setCode('');
      notifySuccess('Two-factor authentication off', 'Signing in needs only your password now.');
      await refresh();
    },
    onError: notifyError,
  });
  const enabled = status.data?.enabled === true;
  const confirmDisable = () =>
    modals.openConfirmModal({
      title: 'Turn off two-factor authentication?',
      children: <Text size="sm">Your account will be protected by your password alone. Anyone who learns it could sign in.</Text>,
      labels: { confirm: 'Turn off', cancel: 'Keep it on' },
      confirmProps: { color: 'red' },
      onConfirm: () => disable.mutate(),
    });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Two-factor authentication</Title>
        {status.data !== undefined && <Badge color={enabled ? 'teal' : 'gray'}>{enabled ? `On · ${status.data.recovery_codes_left} recovery codes left` : 'Off'}</Badge>}
      </Group>
      {status.isPending ? (
        <Loading />
      ) : enabled ? (
        <Stack>
          <Text size="sm" c="dimmed">
            To turn it off, confirm with your password and a current code (or a recovery code).
          </Text>
          <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.currentTarget.value)} />
          <TextInput label="Authentication code" autoComplete="one-time-code" value={code} onChange={(event) => setCode(event.currentTarget.value)} />
          <Group justify="flex-end">
            <Button color="red" variant="light" disabled={password === '' || code.trim() === ''} loading={disable.isPending} onClick={confirmDisable}>
              Turn off
            </Button>
          </Group>
        </Stack>
      ) : enrolment === undefined ? (
        <Stack>
          <Text size="sm" c="dimmed">
            Add a second step to signing in: a 6-digit code from an authenticator app (Google Authenticator, Microsoft Authenticator, Aegis, 1Password…).
          </Text>
          <PasswordInput label="Password" autoComplete="current-password" value={password} onChange={(event) => setPassword(event.currentTarget.value)} />
          <Group justify="flex-end">
            <Button disabled={password === ''} loading={enroll.isPending} onClick={() => enroll.mutate()}>
              Set up
            </Button>
          </Group>
        </Stack>
      ) : (
        <Stack>
          <Text size="sm">Scan this QR code with your authenticator app, or type the key by hand. Then enter the code it shows.</Text>
          <Image src={enrolment.qr_code} alt="QR code for the authenticator app" w={180} h={180} />
          <Text size="sm">
            Key: <Code>{enrolment.secret}</Code>
          </Text>
          <TextInput label="Code from the app" inputMode="numeric" autoComplete="one-time-code" value={code} onChange={(event) => setCode(event.currentTarget.value)} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setEnrolment(undefined)}>
              Cancel
            </Button>
            <Button disabled={code.trim().length < 6} loading={confirm.isPending} onClick={() => confirm.mutate()}>
              Turn on
            </Button>
          </Group>
        </Stack>
      )}
      <Modal opened={codes !== undefined} onClose={() => setCodes(undefined)} title="Your recovery codes" centered>
        {codes !== undefined && <RecoveryCodes codes={codes} />}
      </Modal>
    </Card>
  );
}

function SessionsCard() {
  const queryClient = useQueryClient();
  const { signOut } = useAuth();
  const sessions = useQuery({ queryKey: ['sessions'], queryFn: async () => (await unwrap(api.GET('/api/v1/users/me/sessions'))).items });
  const revoke = useMutation({
    mutationFn: (id: string) => unwrap(api.DELETE('/api/v1/users/me/sessions/{id}', { params: { path: { id } } })),
    onSuccess: async () => {
      notifySuccess('Session ended', 'That device is signed out.');
      await queryClient.invalidateQueries({ queryKey: ['sessions'] });
    },
    onError: notifyError,
  });
  const revokeAll = useMutation({
    mutationFn: () => unwrap(api.POST('/api/v1/users/me/sessions/revoke-all')),
    onSuccess: async () => {
      notifySuccess('Signed out everywhere', 'Every session, this one included, has ended.');
      await signOut();
    },
    onError: notifyError,
  });
  const confirmAll = () =>
    modals.openConfirmModal({
      title: 'Log out everywhere?',
      children: <Text size="sm">Every device signed in to your profile, this one included, will be signed out. You will need your password to sign in again.</Text>,
      labels: { confirm: 'Log out everywhere', cancel: 'Cancel' },
      confirmProps: { color: 'red' },
      onConfirm: () => revokeAll.mutate(),
    });
  return (
    <Card withBorder padding="lg">
      <Group justify="space-between" mb="sm">
        <Title order={4}>Active sessions</Title>
        <Button color="red" variant="light" leftSection={<IconLogout size={16} />} onClick={confirmAll} loading={revokeAll.isPending}>
          Log out everywhere
        </Button>
      </Group>
      {sessions.isPending ? (
        <Loading />
      ) : sessions.isError ? (
        <ErrorBox error={sessions.error} />
      ) : (
        <Table.ScrollContainer minWidth={480}>
          <Table aria-label="Active sessions">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Device</Table.Th>
                <Table.Th>Signed in</Table.Th>
                <Table.Th>Last active</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {sessions.data.map((item) => (
                <Table.Tr key={item.id}>
                  <Table.Td>
                    {item.device} {item.current && <Badge size="xs">This device</Badge>}
                    <Text size="xs" c="dimmed">
                      {item.ip ?? ''}
                    </Text>
                  </Table.Td>
                  <Table.Td>{formatDateTime(item.created_at)}</Table.Td>
                  <Table.Td>{formatDateTime(item.last_used_at)}</Table.Td>
                  <Table.Td ta="right">
                    {!item.current && (
                      <Button
                        size="xs"
                        variant="subtle"
                        color="red"
                        onClick={() =>
                          modals.openConfirmModal({
                            title: 'End this session?',
                            children: <Text size="sm">{item.device} will be signed out.</Text>,
                            labels: { confirm: 'End session', cancel: 'Cancel' },
                            confirmProps: { color: 'red' },
                            onConfirm: () => revoke.mutate(item.id),
                          })
                        }
                      >
                        End
                      </Button>
                    )}
                  </Table.Td>
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      <List size="xs" c="dimmed" mt="xs">
        <List.Item>Sessions end by themselves after a period without use.</List.Item>
      </List>
    </Card>
  );
}

export function ProfilePage() {
  const profile = useQuery({ queryKey: ['profile'], queryFn: () => unwrap(api.GET('/api/v1/users/me')) });
  return (
    <>
      <PageTitle title="Profile & security" description="Your details, password, PIN, two-factor authentication and sessions." />
      {profile.isPending ? (
        <Loading />
      ) : profile.isError ? (
        <ErrorBox error={profile.error} />
      ) : (
        <Grid>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Stack>
              <ProfileCard profile={profile.data} />
              <PasswordCard profile={profile.data} />
            </Stack>
          </Grid.Col>
          <Grid.Col span={{ base: 12, md: 6 }}>
            <Stack>
              <PinCard />
              <TwoFactorCard />
            </Stack>
          </Grid.Col>
          <Grid.Col span={12}>
            <SessionsCard />
          </Grid.Col>
        </Grid>
      )}
    </>
  );
}
