/** Small shared pieces: page titles, loading and empty states, error boxes, money text. */
import { Alert, Center, Group, Loader, Stack, Text, Title } from '@mantine/core';
import { IconAlertCircle, IconInbox } from '@tabler/icons-react';
import type { ReactNode } from 'react';
import { problemWords } from '../api/problem';
import { formatMoney } from '../money';

export function PageTitle({ title, description, actions }: { title: string; description?: string; actions?: ReactNode }) {
  return (
    <Group justify="space-between" align="flex-end" mb="lg" wrap="wrap">
      <div>
        <Title order={2}>{title}</Title>
        {description !== undefined && <Text c="dimmed">{description}</Text>}
      </div>
      {actions}
    </Group>
  );
}

export function Loading({ label = 'Loading…' }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Stack align="center" gap="xs">
        <Loader />
        <Text c="dimmed" size="sm">
          {label}
        </Text>
      </Stack>
    </Center>
  );
}

export function Empty({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Center py="xl">
      <Stack align="center" gap={4}>
        <IconInbox size={36} stroke={1.3} />
        <Text fw={600}>{title}</Text>
        {children !== undefined && (
          <Text c="dimmed" size="sm" ta="center">
            {children}
          </Text>
        )}
      </Stack>
    </Center>
  );
}

export function ErrorBox({ error }: { error: unknown }) {
  const words = problemWords(error);
  return (
    <Alert color="red" icon={<IconAlertCircle />} title={words.title} role="alert" data-testid="error-box">
      {words.message}
    </Alert>
  );
}

export function Money({ amount, currency, signed = false }: { amount: string; currency: string; signed?: boolean }) {
  const negative = amount.startsWith('-');
  const color = signed ? (negative ? 'red' : 'teal') : undefined;
  const text = formatMoney(amount, currency);
  return (
    <Text span c={color} ff="monospace" style={{ whiteSpace: 'nowrap' }}>
      {signed && !negative ? `+${text}` : text}
    </Text>
  );
}

/** 123456789012 → •••• 9012 */
export function maskNumber(number: string): string {
  return `•••• ${number.slice(-4)}`;
}
