import { PageTitle } from '../../components/ui';

export function DashboardPage() {
  return <PageTitle title="Dashboard" />;
}
