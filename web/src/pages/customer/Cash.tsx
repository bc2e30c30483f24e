import { PageTitle } from '../../components/ui';

export function CashPage() {
  return <PageTitle title="Cash" />;
}
