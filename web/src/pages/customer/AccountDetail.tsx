import { PageTitle } from '../../components/ui';

export function AccountDetailPage() {
  return <PageTitle title="AccountDetail" />;
}
