import { PageTitle } from '../../components/ui';

export function HistoryPage() {
  return <PageTitle title="History" />;
}
