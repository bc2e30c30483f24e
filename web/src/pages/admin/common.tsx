/**
 * Pieces shared by the console pages: what the signed-in staff member may change (auditors change
 * nothing, so the controls are not rendered for them at all), the confirmation modal that asks for
 * a reason, cursor paging, account numbers for account ids, and refusals in words for staff.
 */
import { Alert, Badge, Button, Group, Modal, Stack, Text, Textarea } from '@mantine/core';
import { useQueries } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { api, unwrap } from '../../api/client';
import { ApiError, problemWords, type ProblemWords } from '../../api/problem';
import type { Account } from '../../api/types';
import { useAuth } from '../../auth/AuthProvider';
import { notify } from '../../notify';

/** Page size of the console's lists. */
export const CONSOLE_PAGE_SIZE = 20;

export interface StaffPowers {
  readonly userId: string | undefined;
  /** Admins and super admins change things; auditors only read. */
  readonly canWrite: boolean;
  /** Only super admins change roles and act on other administrators. */
  readonly isSuperAdmin: boolean;
}

export function useStaffPowers(): StaffPowers {
  const { user } = useAuth();
  const role = user?.role;
  return { userId: user?.id, canWrite: role === 'admin' || role === 'super_admin', isSuperAdmin: role === 'super_admin' };
}

const STAFF_WORDS: Record<string, ProblemWords> = {
  self_change_forbidden: { title: 'Not on your own account', message: 'Staff cannot block, unblock, change the role or decide the KYC of their own account. Ask another administrator.' },
  super_admin_required: { title: 'Super admin needed', message: 'Only a super admin can do this (administrators and roles are theirs to change).' },
  last_super_admin: { title: 'Last super admin', message: 'This is the last active super admin: they cannot be blocked or demoted. Make someone else super admin first.' },
  user_already_blocked: { title: 'Already blocked', message: 'This user is blocked already. The page shows the current state now.' },
  user_not_blocked: { title: 'Not blocked', message: 'This user is not blocked. The page shows the current state now.' },
  not_a_customer: { title: 'Not a customer', message: 'KYC decisions apply to customers only.' },
  user_not_found: { title: 'No such user', message: 'This user does not exist. Go back to the list and search again.' },
  already_reversed: { title: 'Already reversed', message: 'This transaction has been reversed already; it cannot be reversed twice.' },
  not_reversible: { title: 'Cannot be reversed', message: 'A reversal cannot itself be reversed.' },
  transfer_not_found: { title: 'No such transaction', message: 'This transaction does not exist.' },
  insufficient_funds: {
    title: 'The money has been spent',
    message: 'The receiving account no longer holds the amount, so the reversal would overdraw it. Nothing was moved.',
  },
  read_only_role: { title: 'Read-only role', message: 'Auditors can look at everything but change nothing.' },
};

/** An API refusal in words for staff (their own situations first, then the shared words). */
export function staffProblemWords(error: unknown): ProblemWords {
  if (error instanceof ApiError) {
    const words = STAFF_WORDS[error.code];
    if (words !== undefined) return words;
  }
  return problemWords(error);
}

export function notifyStaffError(error: unknown): void {
  const words = staffProblemWords(error);
  notify({ title: words.title, message: words.message, color: 'red' });
}

export interface ReasonModalProps {
  readonly opened: boolean;
  readonly title: string;
  readonly children?: ReactNode;
  readonly confirmLabel: string;
  readonly color?: string;
  /** Shortest reason accepted; 0 makes the reason optional. */
  readonly reasonMin?: number;
  readonly reasonLabel?: string;
  readonly onClose: () => void;
  /** Runs the change; a rejection keeps the modal open and shows the refusal in words. */
  readonly onConfirm: (reason: string) => Promise<unknown>;
}

/**
 * Confirmation of a change that staff must explain: the reason goes to the audit log. The modal
 * stays open while the change runs and shows a refusal in words; it closes when the change is done.
 */
export function ReasonModal({ opened, title, children, confirmLabel, color = 'red', reasonMin = 1, reasonLabel = 'Reason (kept in the audit log)', onClose, onConfirm }: ReasonModalProps) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ProblemWords | undefined>(undefined);
  const trimmed = reason.trim();
  const tooShort = trimmed.length < reasonMin;
  const close = () => {
    if (busy) return;
    setReason('');
    setError(undefined);
    onClose();
  };
  const confirm = async () => {
    if (tooShort || busy) return;
    setBusy(true);
    setError(undefined);
    try {
      await onConfirm(trimmed);
      setReason('');
      onClose();
    } catch (caught) {
      setError(staffProblemWords(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Modal opened={opened} onClose={close} title={title} centered>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          void confirm();
        }}
      >
        <Stack>
          {children}
          <Textarea
            label={reasonLabel}
            required={reasonMin > 0}
            autosize
            minRows={2}
            maxLength={500}
            value={reason}
            onChange={(event) => setReason(event.currentTarget.value)}
            description={reasonMin > 1 ? `At least ${reasonMin} characters.` : undefined}
            data-autofocus
          />
          {error !== undefined && (
            <Alert color="red" title={error.title} role="alert">
              {error.message}
            </Alert>
          )}
          <Group justify="flex-end">
            <Button variant="default" onClick={close} disabled={busy}>
              Cancel
            </Button>
            <Button type="submit" color={color} loading={busy} disabled={tooShort}>
              {confirmLabel}
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

/** A stack of cursors for "Previous" and "Next" over a cursor-paginated list. */
export function useCursorStack() {
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  return {
    cursor: cursors[cursors.length - 1],
    page: cursors.length,
    reset: () => setCursors([undefined]),
    previous: () => setCursors((stack) => (stack.length > 1 ? stack.slice(0, -1) : stack)),
    next: (cursor: string | null | undefined) => {
      if (cursor !== null && cursor !== undefined) setCursors((stack) => [...stack, cursor]);
    },
  };
}

export function Pager({ page, nextCursor, onPrevious, onNext }: { page: number; nextCursor: string | null | undefined; onPrevious: () => void; onNext: () => void }) {
  return (
    <Group justify="space-between" p="sm">
      <Text size="sm" c="dimmed">
        Page {page}
      </Text>
      <Group gap="xs">
        <Button variant="default" size="xs" disabled={page === 1} onClick={onPrevious}>
          Previous
        </Button>
        <Button variant="default" size="xs" disabled={nextCursor === null || nextCursor === undefined} onClick={onNext}>
          Next
        </Button>
      </Group>
    </Group>
  );
}

/** Accounts by id (numbers never change, so each is fetched once), for lists that carry only ids. */
export function useAccountsById(ids: readonly (string | null)[]): ReadonlyMap<string, Pick<Account, 'id' | 'number' | 'owner_id' | 'type' | 'currency'>> {
  const unique = [...new Set(ids.filter((id): id is string => id !== null))];
  const results = useQueries({
    queries: unique.map((id) => ({
      queryKey: ['staff-account', id],
      queryFn: () => unwrap(api.GET('/api/v1/accounts/{id}', { params: { path: { id } } })),
      staleTime: Infinity,
    })),
  });
  const map = new Map<string, Pick<Account, 'id' | 'number' | 'owner_id' | 'type' | 'currency'>>();
  for (const result of results) if (result.data !== undefined) map.set(result.data.id, result.data);
  return map;
}

const ROLE_COLORS: Record<string, string> = { customer: 'blue', auditor: 'grape', admin: 'red', super_admin: 'red' };
const ROLE_LABELS: Record<string, string> = { customer: 'Customer', auditor: 'Auditor', admin: 'Admin', super_admin: 'Super admin', system: 'System' };

export function roleLabel(role: string): string {
  return ROLE_LABELS[role] ?? role;
}

export function RoleBadge({ role }: { role: string }) {
  return (
    <Badge variant="light" color={ROLE_COLORS[role] ?? 'gray'}>
      {roleLabel(role)}
    </Badge>
  );
}

export function StatusBadge({ status }: { status: string }) {
  return (
    <Badge variant="dot" color={status === 'active' ? 'teal' : 'red'}>
      {status === 'active' ? 'Active' : 'Blocked'}
    </Badge>
  );
}

const KYC_COLORS: Record<string, string> = { verified: 'teal', pending: 'yellow', rejected: 'red' };
const KYC_LABELS: Record<string, string> = { verified: 'KYC verified', pending: 'KYC pending', rejected: 'KYC rejected' };

export function KycBadge({ status }: { status: string }) {
  return (
    <Badge variant="outline" color={KYC_COLORS[status] ?? 'gray'}>
      {KYC_LABELS[status] ?? status}
    </Badge>
  );
}

/**
 * The last characters of an id, for places where the whole id is too long to read (ids are UUIDv7,
 * whose first characters are a timestamp shared by ids made close together).
 */
export function shortId(id: string): string {
  return id.length > 8 ? `…${id.slice(-8)}` : id;
}
