import { Anchor, Button, Paper, PasswordInput, PinInput, Stack, Text, TextInput, Title } from '@mantine/core';
import { useForm } from '@mantine/form';
import { useState } from 'react';
import { Link } from 'react-router';
import { ApiError } from '../../api/problem';
import { useAuth } from '../../auth/AuthProvider';
import { ErrorBox } from '../../components/ui';
import { PublicFrame } from './PublicFrame';

/** Sign in, with a second step for the authenticator code when two-factor authentication is on. */
export function SignInPage() {
  const { signIn } = useAuth();
  const [error, setError] = useState<unknown>(undefined);
  const [needsCode, setNeedsCode] = useState(false);
  const [useRecovery, setUseRecovery] = useState(false);
  const [busy, setBusy] = useState(false);
  const form = useForm({
    initialValues: { username: '', password: '', otp: '' },
    validate: {
      username: (value) => (value.trim() === '' ? 'Enter your username or email.' : null),
      password: (value) => (value === '' ? 'Enter your password.' : null),
    },
  });

  const submit = form.onSubmit(async (values) => {
    setBusy(true);
    setError(undefined);
    try {
      await signIn({ username: values.username.trim(), password: values.password, ...(needsCode ? { otp: values.otp.trim() } : {}) });
      // Signed in now: the public route sends the user back where they were going (or home).
    } catch (caught) {
      if (caught instanceof ApiError && caught.code === 'otp_required') {
        setNeedsCode(true);
      } else {
        setError(caught);
      }
    } finally {
      setBusy(false);
    }
  });

  return (
    <PublicFrame>
      <Paper withBorder shadow="sm" p="xl" radius="md" w="100%" maw={420}>
        <form onSubmit={submit} noValidate>
          <Stack>
            <div>
              <Title order={2}>Sign in</Title>
              <Text c="dimmed" size="sm">
                Welcome back to Kosh.
              </Text>
            </div>
            {error !== undefined && <ErrorBox error={error} />}
            {!needsCode ? (
              <>
                <TextInput label="Username or email" autoComplete="username" required {...form.getInputProps('username')} />
                <PasswordInput label="Password" autoComplete="current-password" required {...form.getInputProps('password')} />
              </>
            ) : (
              <>
                <Text size="sm">
                  Two-factor authentication is on. {useRecovery ? 'Enter one of your recovery codes.' : 'Enter the 6-digit code from your authenticator app.'}
                </Text>
                {useRecovery ? (
                  <TextInput label="Recovery code" autoComplete="one-time-code" {...form.getInputProps('otp')} />
                ) : (
                  <div>
                    <Text component="label" size="sm" fw={500} htmlFor="otp">
                      Authentication code
                    </Text>
                    <PinInput id="otp" length={6} type="number" oneTimeCode autoFocus aria-label="Authentication code" {...form.getInputProps('otp')} />
                  </div>
                )}
                <Anchor component="button" type="button" size="sm" onClick={() => setUseRecovery((value) => !value)}>
                  {useRecovery ? 'Use the authenticator app instead' : 'Use a recovery code instead'}
                </Anchor>
              </>
            )}
            <Button type="submit" loading={busy} fullWidth>
              {needsCode ? 'Verify and sign in' : 'Sign in'}
            </Button>
            <Text size="sm" ta="center">
              New to Kosh?{' '}
              <Anchor component={Link} to="/register">
                Open an account
              </Anchor>
            </Text>
          </Stack>
        </form>
      </Paper>
    </PublicFrame>
  );
}
