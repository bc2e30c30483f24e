import { PageTitle } from '../../components/ui';

export function ProfilePage() {
  return <PageTitle title="Profile" />;
}
