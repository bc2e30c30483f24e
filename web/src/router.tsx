/**
 * The routes. Public: sign-in and registration. Signed in: the customer pages at the top level
 * and the admin and auditor console under /admin (shown by role). Unknown paths show "not found".
 */
import { Button, Center, Stack, Text, Title } from '@mantine/core';
import type { ReactNode } from 'react';
import { createBrowserRouter, Link, Navigate, useLocation } from 'react-router';
import { isStaff, useAuth, type Role } from './auth/AuthProvider';
import { Loading } from './components/ui';
import { Shell } from './layout/Shell';
import { AdminHomePage } from './pages/admin/AdminHome';
import { AdminAuditPage } from './pages/admin/AuditLog';
import { AdminJobsPage } from './pages/admin/Jobs';
import { AdminLedgerPage } from './pages/admin/Ledger';
import { AdminTransactionsPage } from './pages/admin/Transactions';
import { AdminUserDetailPage } from './pages/admin/UserDetail';
import { AdminUsersPage } from './pages/admin/Users';
import { AccountDetailPage } from './pages/customer/AccountDetail';
import { AccountsPage } from './pages/customer/Accounts';
import { CashPage } from './pages/customer/Cash';
import { DashboardPage } from './pages/customer/Dashboard';
import { HistoryPage } from './pages/customer/History';
import { ProfilePage } from './pages/customer/Profile';
import { RegisterPage } from './pages/customer/Register';
import { SignInPage } from './pages/customer/SignIn';
import { TransferPage } from './pages/customer/Transfer';

const STAFF: readonly Role[] = ['admin', 'super_admin', 'auditor'];

/** Shows its children to a signed-in user with one of the roles; others go to sign-in or their home. */
function RequireRole({ roles, children }: { roles?: readonly Role[]; children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading label="Opening your session…" />;
  if (user === null) return <Navigate to="/signin" replace state={{ from: location.pathname }} />;
  if (roles !== undefined && !roles.includes(user.role)) return <Navigate to={isStaff(user.role) ? '/admin' : '/'} replace />;
  return children;
}

function PublicOnly({ children }: { children: ReactNode }) {
  const { user, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Loading />;
  if (user !== null) {
    const from = (location.state as { from?: string } | null)?.from;
    return <Navigate to={from ?? (isStaff(user.role) ? '/admin' : '/')} replace />;
  }
  return children;
}

function NotFound() {
  return (
    <Center py="xl">
      <Stack align="center">
        <Title order={2}>Page not found</Title>
        <Text c="dimmed">There is nothing at this address.</Text>
        <Button component={Link} to="/">
          Go home
        </Button>
      </Stack>
    </Center>
  );
}

const customer = (page: ReactNode) => <RequireRole roles={['customer']}>{page}</RequireRole>;
const staff = (page: ReactNode) => <RequireRole roles={STAFF}>{page}</RequireRole>;

export const router = createBrowserRouter([
  { path: '/signin', element: <PublicOnly><SignInPage /></PublicOnly> },
  { path: '/register', element: <PublicOnly><RegisterPage /></PublicOnly> },
  {
    element: <RequireRole><Shell /></RequireRole>,
    children: [
      { path: '/', element: customer(<DashboardPage />) },
      { path: '/accounts', element: customer(<AccountsPage />) },
      { path: '/accounts/:id', element: customer(<AccountDetailPage />) },
      { path: '/transfer', element: customer(<TransferPage />) },
      { path: '/cash', element: customer(<CashPage />) },
      { path: '/history', element: customer(<HistoryPage />) },
      { path: '/profile', element: <ProfilePage /> },
      {
        path: '/admin',
        children: [
          { index: true, element: staff(<AdminHomePage />) },
          { path: 'users', element: staff(<AdminUsersPage />) },
          { path: 'users/:id', element: staff(<AdminUserDetailPage />) },
          { path: 'transactions', element: staff(<AdminTransactionsPage />) },
          { path: 'ledger', element: staff(<AdminLedgerPage />) },
          { path: 'audit', element: staff(<AdminAuditPage />) },
          { path: 'jobs', element: staff(<AdminJobsPage />) },
        ],
      },
      { path: '*', element: <NotFound /> },
    ],
  },
]);
