import { reversalPostings } from '../../core/ledger.js';
import { bankDay } from '../../core/time.js';
import type { AppContext } from '../../platform/context.js';
import type { Tx } from '../../platform/db/transaction.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid } from '../../platform/ids.js';
import { recordAudit } from '../audit/index.js';
import { entryPostings } from '../ledger/index.js';
import { paymentErrors } from './errors.js';
import { postOne, type PostedTransfer } from './post-batch.js';
import { transactionView } from './views.js';
import { lockTransfer, markReversed, restoreDailyUsage } from './store.js';

/**
 * Reverses a posted movement (admins): a new journal entry mirrors the original's postings; the
 * original entry stays as it was and the transaction is marked reversed. A reversed withdrawal or
 * transfer no longer counts toward the sender's daily limit of the bank day it was sent on (a
 * reversal the same day makes the amount available again). A second reversal is refused.
 * Errors: transfer_not_found (404), not_reversible (422), already_reversed, account_frozen,
 * account_closed (409), insufficient_funds (402) when the money has been spent.
 */
export async function reverseTransfer(
  context: AppContext,
  tx: Tx,
  principal: Principal,
  input: { transferId: string; reason: string },
): Promise<PostedTransfer> {
  const original = isUuid(input.transferId) ? await lockTransfer(tx, input.transferId) : undefined;
  if (original === undefined) throw paymentErrors.transferNotFound();
  if (original.kind === 'reversal') throw paymentErrors.notReversible();
  if (original.status === 'reversed') throw paymentErrors.alreadyReversed();
  const postings = reversalPostings(await entryPostings(tx, original.entryId));
  const reversal = await postOne(
    context,
    tx,
    {
    kind: 'reversal',
    fromAccountId: original.toAccountId,
    toAccountId: original.fromAccountId,
    amountMinor: original.amountMinor,
    currency: original.currency,
    description: `Reversal of ${original.kind} ${original.id}`,
    initiatedBy: principal.userId,
    actor: principal,
    postings,
    limited: false,
    reversal: { transferId: original.id, entryId: original.entryId, reason: input.reason.trim() },
    path: '',
    },
    transactionView,
  );
  await markReversed(tx, original.id);
  // Deposits never count toward a limit; the usage row is that of the day the engine counted the
  // movement against (for records older than that column, the day it was created).
  const limitRestored =
    original.kind === 'deposit' || original.fromAccountId === null
      ? 0n
      : await restoreDailyUsage(tx, {
          accountId: original.fromAccountId,
          day: original.limitDay ?? bankDay(original.createdAt, context.config.BANK_TIMEZONE).date,
          amountMinor: original.amountMinor,
        });
  await recordAudit(tx, {
    actor: principal,
    action: 'transfer.reversed',
    target: { type: 'transfer', id: original.id },
    before: { status: original.status },
    after: { status: 'reversed', reversal_id: reversal.id, reason: input.reason.trim(), daily_usage_restored_minor: limitRestored.toString() },
  });
  return reversal;
}
