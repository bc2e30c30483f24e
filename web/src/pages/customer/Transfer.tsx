import { PageTitle } from '../../components/ui';

export function TransferPage() {
  return <PageTitle title="Transfer" />;
}
