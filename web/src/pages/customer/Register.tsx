import { Anchor, Button, List, Paper, PasswordInput, Stack, Text, TextInput, ThemeIcon, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { IconCheck, IconX } from '@tabler/icons-react';
import { useState } from 'react';
import { Link } from 'react-router';
import { useAuth } from '../../auth/AuthProvider';
import { ErrorBox } from '../../components/ui';
import { notifySuccess } from '../../notify';
import { PublicFrame } from './PublicFrame';

/** The password rules the server applies, checked as the user types (the server has the last word). */
export function passwordRules(password: string, identity: { username: string; email: string }) {
  const lower = password.toLowerCase();
  const local = identity.email.split('@')[0]?.toLowerCase() ?? '';
  return [
    { label: '8 to 128 characters (15 or more is stronger)', ok: password.length >= 8 && password.length <= 128 },
    {
      label: 'Does not contain your username or email',
      ok: password.length > 0 && !(identity.username.length >= 3 && lower.includes(identity.username.toLowerCase())) && !(local.length >= 3 && lower.includes(local)),
    },
    { label: 'Not a common password (checked when you submit)', ok: password.length >= 8 },
  ];
}

export function PasswordRules({ password, username, email }: { password: string; username: string; email: string }) {
  return (
    <List spacing={2} size="sm" center aria-label="Password rules">
      {passwordRules(password, { username, email }).map((rule) => (
        <List.Item
          key={rule.label}
          icon={
            <ThemeIcon color={rule.ok ? 'teal' : 'gray'} size={18} radius="xl">
              {rule.ok ? <IconCheck size={12} /> : <IconX size={12} />}
            </ThemeIcon>
          }
        >
          {rule.label}
        </List.Item>
      ))}
    </List>
  );
}

export function RegisterPage() {
  const { register } = useAuth();
  const [error, setError] = useState<unknown>(undefined);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { full_name: '', username: '', email: '', phone: '', password: '', confirm: '' },
    validate: {
      full_name: (value) => (value.trim() === '' ? 'Enter your full name.' : null),
      username: (value) => (/^[a-zA-Z0-9][a-zA-Z0-9._-]{2,31}$/.test(value.trim()) ? null : 'Use 3 to 32 letters, digits, ".", "_" or "-", starting with a letter or digit.'),
      email: (value) => (/^\S+@\S+\.\S+$/.test(value.trim()) ? null : 'Enter a valid email address.'),
      password: (value, values) =>
        passwordRules(value, { username: values.username, email: values.email }).every((rule) => rule.ok) ? null : 'The password does not meet the rules below.',
      confirm: (value, values) => (value === values.password ? null : 'The passwords do not match.'),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setBusy(true);
    setError(undefined);
    try {
      await register({
        full_name: values.full_name.trim(),
        username: values.username.trim(),
        email: values.email.trim(),
        password: values.password,
        ...(values.phone.trim() === '' ? {} : { phone: values.phone.trim() }),
      });
      // Signed in now: the public route sends the user to the dashboard, which leads to opening an account.
      notifySuccess('Welcome to Kosh', 'Your profile is ready. Open your first account to get started.');
    } catch (caught) {
      setError(caught);
    } finally {
      setBusy(false);
    }
  });

  return (
    <PublicFrame>
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={480}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <div>
              <Title order={2}>Create your Kosh profile</Title>
              <Text c="dimmed" size="sm">
                It takes a minute. You can open accounts right after.
              </Text>
            </div>
            {error !== undefined && <ErrorBox error={error} />}
            <TextInput label="Full name" autoComplete="name" required {...form.getInputProps('full_name')} />
            <TextInput label="Username" autoComplete="username" required {...form.getInputProps('username')} />
            <TextInput label="Email" type="email" autoComplete="email" required {...form.getInputProps('email')} />
            <TextInput label="Mobile number (optional)" type="tel" autoComplete="tel" {...form.getInputProps('phone')} />
            <PasswordInput label="Password" autoComplete="new-password" required {...form.getInputProps('password')} />
            <PasswordRules password={form.values.password} username={form.values.username} email={form.values.email} />
            <PasswordInput label="Repeat the password" autoComplete="new-password" required {...form.getInputProps('confirm')} />
            <Button type="submit" loading={busy} fullWidth>
              Create profile
            </Button>
            <Text size="sm" ta="center">
              Already with Kosh?{' '}
              <Anchor component={Link} to="/signin">
                Sign in
              </Anchor>
            </Text>
          </Stack>
        </form>
      </Paper>
    </PublicFrame>
  );
}
