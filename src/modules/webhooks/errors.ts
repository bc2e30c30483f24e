import { conflict, forbidden, notFound, validationError } from '../../core/errors.js';
import type { GuardRefusal } from './ssrf.js';

export const webhookErrors = {
  notFound: () => notFound('webhook_not_found', 'No such webhook endpoint.'),
  /** A refusal of the SSRF guard or of the URL's form (422 with the guard's code). */
  urlRefused: (code: GuardRefusal, message: string) => validationError(code, message, 'url'),
  unknownEventType: (type: string) =>
    validationError('webhook_event_type_unknown', `event_types: ${JSON.stringify(type.slice(0, 64))} is not an event type Kosh publishes.`, 'event_types'),
  limitReached: (max: number) => conflict('webhook_limit_reached', `A user may register at most ${max} webhook endpoints; delete one first.`),
  emptyUpdate: () => validationError('empty_update', 'Send at least one of event_types, description or enabled.'),
  disabledByBank: () =>
    forbidden('webhook_disabled_by_bank', 'The bank disabled this endpoint; only the bank can enable it again. Contact support.'),
  disabled: () => conflict('webhook_disabled', 'This endpoint is disabled; re-enable it first (PATCH with enabled: true).'),
  ownerOnly: () =>
    forbidden('webhook_owner_only', "Only the customer who registered this endpoint may see its secret or send it test events."),
};
