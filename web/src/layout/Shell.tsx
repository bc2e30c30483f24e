/**
 * The signed-in frame: header (menu button on phones, theme toggle, notification center, user
 * menu) and a navigation bar whose links depend on the role: customers see their banking pages,
 * admins and auditors see the console under /admin.
 */
import { ActionIcon, Anchor, AppShell, Badge, Burger, Group, Indicator, Menu, NavLink, Popover, ScrollArea, Stack, Text, Title, Tooltip, UnstyledButton, useComputedColorScheme, useMantineColorScheme } from '@mantine/core';
import { useDisclosure } from '@mantine/hooks';
import {
  IconArrowsExchange,
  IconBell,
  IconBuildingBank,
  IconCash,
  IconChevronDown,
  IconHistory,
  IconLayoutDashboard,
  IconLogout,
  IconMoon,
  IconShieldCheck,
  IconSun,
  IconUser,
  IconUsers,
  IconListCheck,
  IconScale,
  IconActivity,
  IconClockPlay,
} from '@tabler/icons-react';
import type { ComponentType } from 'react';
import { Link, Outlet, useLocation, useNavigate } from 'react-router';
import { isStaff, useAuth, type Role } from '../auth/AuthProvider';
import { SessionTimer } from '../auth/SessionTimer';
import { clearNotifications, markAllRead, useNotificationCenter } from '../notify';

interface NavItem {
  readonly to: string;
  readonly label: string;
  readonly icon: ComponentType<{ size?: number; stroke?: number }>;
  readonly end?: boolean;
}

export const CUSTOMER_NAV: readonly NavItem[] = [
  { to: '/', label: 'Dashboard', icon: IconLayoutDashboard, end: true },
  { to: '/accounts', label: 'Accounts', icon: IconBuildingBank },
  { to: '/transfer', label: 'Transfer', icon: IconArrowsExchange },
  { to: '/cash', label: 'Deposit & withdraw', icon: IconCash },
  { to: '/history', label: 'History', icon: IconHistory },
  { to: '/profile', label: 'Profile & security', icon: IconUser },
];

/** The console's sections; the console pages live under web/src/pages/admin. */
export const ADMIN_NAV: readonly NavItem[] = [
  { to: '/admin', label: 'Console', icon: IconShieldCheck, end: true },
  { to: '/admin/users', label: 'Users', icon: IconUsers },
  { to: '/admin/transactions', label: 'Transactions', icon: IconActivity },
  { to: '/admin/ledger', label: 'Ledger', icon: IconScale },
  { to: '/admin/audit', label: 'Audit log', icon: IconListCheck },
  { to: '/admin/jobs', label: 'Jobs', icon: IconClockPlay },
];

export function navFor(role: Role | undefined): readonly NavItem[] {
  if (isStaff(role)) return [...ADMIN_NAV, { to: '/profile', label: 'Profile & security', icon: IconUser }];
  return CUSTOMER_NAV;
}

export function ThemeToggle() {
  const { setColorScheme } = useMantineColorScheme();
  const scheme = useComputedColorScheme('light');
  const next = scheme === 'dark' ? 'light' : 'dark';
  return (
    <Tooltip label={`Switch to ${next} theme`}>
      <ActionIcon variant="default" size="lg" aria-label={`Switch to ${next} theme`} data-testid="theme-toggle" onClick={() => setColorScheme(next)}>
        {scheme === 'dark' ? <IconSun size={18} /> : <IconMoon size={18} />}
      </ActionIcon>
    </Tooltip>
  );
}

function NotificationCenter() {
  const items = useNotificationCenter();
  const unread = items.filter((item) => !item.read).length;
  return (
    <Popover width={340} position="bottom-end" shadow="md" onClose={markAllRead}>
      <Popover.Target>
        <Indicator disabled={unread === 0} label={unread} size={16} offset={4}>
          <ActionIcon variant="default" size="lg" aria-label={`Notifications (${unread} unread)`}>
            <IconBell size={18} />
          </ActionIcon>
        </Indicator>
      </Popover.Target>
      <Popover.Dropdown>
        <Group justify="space-between" mb="xs">
          <Text fw={600}>Notifications</Text>
          {items.length > 0 && (
            <UnstyledButton onClick={clearNotifications}>
              <Text size="xs" c="dimmed">
                Clear all
              </Text>
            </UnstyledButton>
          )}
        </Group>
        {items.length === 0 ? (
          <Text size="sm" c="dimmed">
            Nothing yet.
          </Text>
        ) : (
          <ScrollArea.Autosize mah={360}>
            <Stack gap="xs">
              {items.map((item) => (
                <div key={item.id}>
                  <Group gap={6}>
                    <Badge size="xs" color={item.color} variant="dot" />
                    <Text size="sm" fw={item.read ? 400 : 600}>
                      {item.title}
                    </Text>
                  </Group>
                  <Text size="xs" c="dimmed">
                    {item.message}
                  </Text>
                  <Text size="xs" c="dimmed">
                    {item.at.toLocaleTimeString('en-IN')}
                  </Text>
                </div>
              ))}
            </Stack>
          </ScrollArea.Autosize>
        )}
      </Popover.Dropdown>
    </Popover>
  );
}

export function Shell() {
  const [opened, { toggle, close }] = useDisclosure();
  const { user, signOut } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const items = navFor(user?.role);
  const isActive = (item: NavItem) => (item.end === true ? location.pathname === item.to : location.pathname.startsWith(item.to));

  return (
    <AppShell header={{ height: 60 }} navbar={{ width: 240, breakpoint: 'sm', collapsed: { mobile: !opened } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={opened} onClick={toggle} hiddenFrom="sm" size="sm" aria-label="Open navigation" />
            <Anchor component={Link} to={isStaff(user?.role) ? '/admin' : '/'} underline="never" c="inherit">
              <Title order={3}>Kosh</Title>
            </Anchor>
            {isStaff(user?.role) && (
              <Badge variant="light" color={user?.role === 'auditor' ? 'grape' : 'red'}>
                {user?.role === 'auditor' ? 'Auditor (read-only)' : 'Admin'}
              </Badge>
            )}
          </Group>
          <Group gap="xs" wrap="nowrap">
            <ThemeToggle />
            <NotificationCenter />
            <Menu position="bottom-end" width={200}>
              <Menu.Target>
                <UnstyledButton aria-label="Account menu" data-testid="user-menu">
                  <Group gap={4} wrap="nowrap">
                    <IconUser size={18} />
                    <Text size="sm" visibleFrom="xs" truncate maw={140}>
                      {user?.full_name}
                    </Text>
                    <IconChevronDown size={14} />
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{user?.username}</Menu.Label>
                <Menu.Item leftSection={<IconUser size={16} />} onClick={() => void navigate('/profile')}>
                  Profile & security
                </Menu.Item>
                <Menu.Item leftSection={<IconLogout size={16} />} color="red" onClick={() => void signOut()}>
                  Sign out
                </Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main navigation">
        {items.map((item) => (
          <NavLink
            key={item.to}
            component={Link}
            to={item.to}
            label={item.label}
            leftSection={<item.icon size={18} stroke={1.6} />}
            active={isActive(item)}
            onClick={close}
          />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <Outlet />
      </AppShell.Main>
      <SessionTimer />
    </AppShell>
  );
}
