import { Box, Center, Group, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { ThemeToggle } from '../../layout/Shell';

/** The frame of the pages seen before signing in. */
export function PublicFrame({ children }: { children: ReactNode }) {
  return (
    <Box mih="100vh" p="md">
      <Group justify="space-between" mb="xl">
        <Title order={3}>Kosh</Title>
        <ThemeToggle />
      </Group>
      <Center component="main">{children}</Center>
    </Box>
  );
}
