import { Card, SimpleGrid, Text } from '@mantine/core';
import { Link } from 'react-router';
import { useAuth } from '../../auth/AuthProvider';
import { PageTitle } from '../../components/ui';
import { ADMIN_NAV } from '../../layout/Shell';

/** The console's start page: its sections (filled in by the console pages). */
export function AdminHomePage() {
  const { user } = useAuth();
  return (
    <>
      <PageTitle
        title="Console"
        description={user?.role === 'auditor' ? 'Read-only view of users, transactions, the ledger and the audit log.' : 'Users, transactions, the ledger and the audit log.'}
      />
      <SimpleGrid cols={{ base: 1, sm: 2 }}>
        {ADMIN_NAV.slice(1).map((item) => (
          <Card key={item.to} withBorder component={Link} to={item.to}>
            <Text fw={600}>{item.label}</Text>
          </Card>
        ))}
      </SimpleGrid>
    </>
  );
}
