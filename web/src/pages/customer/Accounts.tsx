import { PageTitle } from '../../components/ui';

export function AccountsPage() {
  return <PageTitle title="Accounts" />;
}
