import { Card, Group, SimpleGrid, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useAuth } from '../../auth/AuthProvider';
import { PageTitle } from '../../components/ui';
import { ADMIN_NAV } from '../../layout/Shell';

const DESCRIPTIONS: Record<string, { write: string; read: string }> = {
  '/admin/users': { write: 'Search users; block, unblock and unlock them; decide KYC; change roles.', read: 'Search users and see their status, KYC and accounts.' },
  '/admin/transactions': { write: 'Every movement, live, with filters; reverse a transaction with a reason.', read: 'Every movement, live, with filters.' },
  '/admin/ledger': { write: 'Integrity check of the books and the balance sheet.', read: 'Integrity check of the books and the balance sheet.' },
  '/admin/audit': { write: 'Who changed what and when, with the hash-chain verification.', read: 'Who changed what and when, with the hash-chain verification.' },
  '/admin/jobs': { write: 'Background job queues and failed jobs to run again.', read: 'Background job queues and failed jobs.' },
};

/** The console's start page: its sections, described for the signed-in role. */
export function AdminHomePage() {
  const { user } = useAuth();
  const readOnly = user?.role === 'auditor';
  return (
    <>
      <PageTitle
        title="Console"
        description={readOnly ? 'Read-only view of users, transactions, the ledger and the audit log.' : 'Users, transactions, the ledger and the audit log.'}
      />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {ADMIN_NAV.slice(1).map((item) => {
          const description = DESCRIPTIONS[item.to];
          return (
            <Card key={item.to} withBorder component={Link} to={item.to}>
              <Group gap="xs" mb={4}>
                <item.icon size={20} stroke={1.6} />
                <Text fw={600}>{item.label}</Text>
              </Group>
              {description !== undefined && (
                <Text size="sm" c="dimmed">
                  {readOnly ? description.read : description.write}
                </Text>
              )}
            </Card>
          );
        })}
      </SimpleGrid>
    </>
  );
}
