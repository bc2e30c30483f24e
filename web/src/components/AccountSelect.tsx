import { Select, type SelectProps } from '@mantine/core';
import { accountLabel } from '../api/hooks';
import type { Account } from '../api/types';
import { formatMoney } from '../money';

/** A select of the user's open accounts, each with its balance. */
export function AccountSelect({ accounts, ...props }: { accounts: readonly Account[] } & Omit<SelectProps, 'data'>) {
  return (
    <Select
      data={accounts
        .filter((account) => account.status !== 'closed')
        .map((account) => ({
          value: account.id,
          label: `${accountLabel(account)} · ${formatMoney(account.balance, account.currency)}${account.status === 'frozen' ? ' (frozen)' : ''}`,
        }))}
      allowDeselect={false}
      checkIconPosition="right"
      {...props}
    />
  );
}
