/**
 * Registering and managing webhook endpoints.
 *
 * Who may do what: a customer registers endpoints for the events that concern them (scope 'user')
 * and manages only their own (another customer's is 404). Admins and super admins register bank
 * endpoints (scope 'bank') that receive every event, manage them, and may disable, re-enable, change
 * or delete a customer's endpoint; only its owner sees its secret or sends it test events. Auditors
 * read every endpoint and delivery log and change nothing.
 */
import { sql } from 'kysely';
import { validationError } from '../../core/errors.js';
import { isManager, isStaff } from '../../core/roles.js';
import type { AppContext } from '../../platform/context.js';
import { dataKeyFor } from '../../platform/data-key.js';
import { decodeCursor, encodeCursor } from '../../platform/http/schemas.js';
import type { Principal } from '../../platform/http/auth.js';
import { isUuid, newId } from '../../platform/ids.js';
import { recordAudit } from '../audit/index.js';
import { webhookErrors } from './errors.js';
import { isWebhookEventType } from './events.js';
import { webhookRuntime } from './runtime.js';
import { newWebhookSecret } from './signing.js';
import { checkDestination } from './ssrf.js';
import {
  countEndpointsOf,
  deleteEndpoint,
  findEndpoint,
  insertEndpoint,
  listDeliveries,
  listEndpoints,
  replaceSecret,
  updateEndpoint,
  type DeliveryRecord,
  type EndpointChanges,
  type EndpointRecord,
  type EndpointScope,
} from './store.js';

/** How long a rotated secret still signs deliveries (next to the new one). */
export const PREVIOUS_SECRET_HOURS = 24;

export interface Page<T> {
  readonly items: readonly T[];
  readonly nextCursor: string | null;
}

/** The secret sealing context of an endpoint: a sealed secret copied to another row does not open. */
export function secretContext(endpointId: string): string {
  return `webhook:${endpointId}`;
}

function sealSecret(context: AppContext, endpointId: string, secret: string): string {
  return dataKeyFor(context.config).seal(Buffer.from(secret, 'utf8'), secretContext(endpointId));
}

/** The event types as given, deduplicated, each one Kosh publishes. Errors: webhook_event_type_unknown (422). */
function checkedEventTypes(types: readonly string[]): string[] {
  const unique = [...new Set(types)];
  const unknown = unique.find((type) => !isWebhookEventType(type));
  if (unknown !== undefined) throw webhookErrors.unknownEventType(unknown);
  return unique;
}

/** Checks a URL with the SSRF guard. Errors: the guard's refusals (422). */
async function checkedUrl(context: AppContext, url: string): Promise<string> {
  const runtime = webhookRuntime(context.config);
  const result = await checkDestination(url, { allowlist: runtime.allowlist, resolve: runtime.resolve });
  if (!result.ok) throw webhookErrors.urlRefused(result.code, result.message);
  return result.destination.url.href;
}

/**
 * One page in `seq` order, newest first: loads one row more than the page to know whether another
 * follows. Errors: invalid_cursor (422).
 */
async function paged<T extends { readonly seq: bigint }>(
  query: { limit: number; cursor?: string | undefined },
  load: (options: { before?: bigint; limit: number }) => Promise<T[]>,
): Promise<Page<T>> {
  const before = decodeCursor(query.cursor);
  if (before === 'invalid') throw validationError('invalid_cursor', 'cursor is not valid; use next_cursor from the previous page.', 'cursor');
  const items = await load({ ...(before === undefined ? {} : { before }), limit: query.limit + 1 });
  const page = items.slice(0, query.limit);
  const last = page[page.length - 1];
  return { items: page, nextCursor: items.length > query.limit && last !== undefined ? encodeCursor(last.seq) : null };
}

function canSee(principal: Principal, endpoint: EndpointRecord): boolean {
  return isStaff(principal.role) || (endpoint.scope === 'user' && endpoint.ownerId === principal.userId);
}

/** An endpoint the caller may see. Errors: webhook_not_found (404, also for another customer's). */
export async function visibleEndpoint(context: AppContext, principal: Principal, id: string): Promise<EndpointRecord> {
  const endpoint = isUuid(id) ? await findEndpoint(context.db, id) : undefined;
  if (endpoint === undefined || !canSee(principal, endpoint)) throw webhookErrors.notFound();
  return endpoint;
}

/**
 * An endpoint the caller may change: its owner, or an admin. `ownerOnly` (secrets, test events)
 * refuses admins on a customer's endpoint. Errors: webhook_not_found (404), webhook_owner_only (403).
 */
export async function manageableEndpoint(context: AppContext, principal: Principal, id: string, options: { ownerOnly?: boolean } = {}): Promise<EndpointRecord> {
  const endpoint = await visibleEndpoint(context, principal, id);
  if (principal.role === 'customer') return endpoint;
  if (!isManager(principal.role)) throw webhookErrors.ownerOnly();
  if (options.ownerOnly === true && endpoint.scope === 'user') throw webhookErrors.ownerOnly();
  return endpoint;
}

/**
 * Registers an endpoint and returns it with its secret, which is shown this once. A customer's
 * endpoint has scope 'user', an admin's scope 'bank'. Errors: webhook_url_* (422, the SSRF guard),
 * webhook_event_type_unknown (422), webhook_limit_reached (409).
 */
export async function registerEndpoint(
  context: AppContext,
  principal: Principal,
  input: { url: string; eventTypes: readonly string[]; description?: string | null | undefined },
): Promise<{ endpoint: EndpointRecord; secret: string }> {
  const eventTypes = checkedEventTypes(input.eventTypes);
  const url = await checkedUrl(context, input.url);
  const max = context.config.WEBHOOK_ENDPOINTS_PER_USER_MAX;
  const scope: EndpointScope = principal.role === 'customer' ? 'user' : 'bank';
  const id = newId();
  const secret = newWebhookSecret();
  const endpoint = await context.transact(async (tx) => {
    // Registrations by one user are serialised so that the count cannot be raced past.
    await sql`select pg_advisory_xact_lock(hashtextextended(${principal.userId}, 19))`.execute(tx);
    if ((await countEndpointsOf(tx, principal.userId)) >= max) throw webhookErrors.limitReached(max);
    const inserted = await insertEndpoint(tx, {
      id,
      ownerId: principal.userId,
      scope,
      url,
      description: input.description?.trim() ? input.description.trim() : null,
      eventTypes,
      secretSealed: sealSecret(context, id, secret),
      now: context.now(),
    });
    await recordAudit(tx, { actor: principal, action: 'webhook.created', target: { type: 'webhook_endpoint', id }, after: { url, scope, event_types: eventTypes } });
    return inserted;
  });
  return { endpoint, secret };
}

/** A page of endpoints: a customer's own; for staff every endpoint, optionally of one scope. */
export async function endpointsFor(
  context: AppContext,
  principal: Principal,
  query: { scope?: EndpointScope | undefined; limit: number; cursor?: string | undefined },
): Promise<Page<EndpointRecord>> {
  const staff = isStaff(principal.role);
  return paged(query, (options) =>
    listEndpoints(context.db, {
      ...(staff ? {} : { ownerId: principal.userId }),
      ...(staff ? (query.scope === undefined ? {} : { scope: query.scope }) : { scope: 'user' as const }),
      ...options,
    }),
  );
}

/**
 * Changes an endpoint's event types, description or state. enabled: true re-enables it and clears
 * its failure count; false disables it by hand. Staff disabling a customer's endpoint disable it
 * for the bank (disabled_reason 'bank'): the customer may still change it but not enable it.
 * Errors: webhook_not_found (404), webhook_disabled_by_bank (403), empty_update,
 * webhook_event_type_unknown (422).
 */
export async function changeEndpoint(
  context: AppContext,
  principal: Principal,
  id: string,
  input: { eventTypes?: readonly string[] | undefined; description?: string | null | undefined; enabled?: boolean | undefined },
): Promise<EndpointRecord> {
  if (input.eventTypes === undefined && input.description === undefined && input.enabled === undefined) throw webhookErrors.emptyUpdate();
  const endpoint = await manageableEndpoint(context, principal, id);
  const byStaff = principal.role !== 'customer';
  if (input.enabled === true && !byStaff && endpoint.disabledReason === 'bank') throw webhookErrors.disabledByBank();
  const changes: EndpointChanges = {
    ...(input.eventTypes === undefined ? {} : { eventTypes: checkedEventTypes(input.eventTypes) }),
    ...(input.description === undefined ? {} : { description: input.description?.trim() ? input.description.trim() : null }),
    ...(input.enabled === undefined ? {} : { enabled: input.enabled }),
    ...(input.enabled === false && byStaff && endpoint.scope === 'user' ? { disabledBy: 'bank' as const } : {}),
  };
  const updated = await context.transact(async (tx) => {
    const changed = await updateEndpoint(tx, endpoint.id, changes, context.now());
    if (changed !== undefined) {
      const action = input.enabled === true && !endpoint.enabled ? 'webhook.enabled' : input.enabled === false && endpoint.enabled ? 'webhook.disabled' : 'webhook.updated';
      await recordAudit(tx, {
        actor: principal,
        action,
        target: { type: 'webhook_endpoint', id: endpoint.id },
        before: {
          event_types: endpoint.eventTypes,
          description: endpoint.description,
          enabled: endpoint.enabled,
          disabled_reason: endpoint.disabledReason,
          failure_count: endpoint.failureCount,
        },
        after: {
          event_types: changed.eventTypes,
          description: changed.description,
          enabled: changed.enabled,
          disabled_reason: changed.disabledReason,
          failure_count: changed.failureCount,
        },
      });
    }
    return changed;
  });
  if (updated === undefined) throw webhookErrors.notFound();
  return updated;
}

/** Deletes an endpoint with its delivery log; pending retries find it gone and stop. Errors: webhook_not_found (404). */
export async function removeEndpoint(context: AppContext, principal: Principal, id: string): Promise<void> {
  const endpoint = await manageableEndpoint(context, principal, id);
  const removed = await context.transact(async (tx) => {
    const deleted = await deleteEndpoint(tx, endpoint.id);
    if (deleted) await recordAudit(tx, { actor: principal, action: 'webhook.deleted', target: { type: 'webhook_endpoint', id: endpoint.id }, before: { url: endpoint.url, scope: endpoint.scope } });
    return deleted;
  });
  if (!removed) throw webhookErrors.notFound();
}

/**
 * Replaces an endpoint's secret and returns the new one, shown this once. For PREVIOUS_SECRET_HOURS
 * deliveries carry signatures under both, so that receivers can switch without losing any.
 * Errors: webhook_not_found (404), webhook_owner_only (403).
 */
export async function rotateSecret(context: AppContext, principal: Principal, id: string): Promise<{ endpoint: EndpointRecord; secret: string }> {
  const endpoint = await manageableEndpoint(context, principal, id, { ownerOnly: true });
  const secret = newWebhookSecret();
  const now = context.now();
  const rotated = await context.transact(async (tx) => {
    const changed = await replaceSecret(tx, {
      id: endpoint.id,
      secretSealed: sealSecret(context, endpoint.id, secret),
      previousSecretSealed: endpoint.secretSealed,
      previousSecretExpiresAt: new Date(now.getTime() + PREVIOUS_SECRET_HOURS * 3_600_000),
      now,
    });
    if (changed !== undefined) await recordAudit(tx, { actor: principal, action: 'webhook.secret_rotated', target: { type: 'webhook_endpoint', id: endpoint.id } });
    return changed;
  });
  if (rotated === undefined) throw webhookErrors.notFound();
  return { endpoint: rotated, secret };
}

/** A page of an endpoint's delivery log, newest first. Errors: webhook_not_found (404). */
export async function deliveriesOf(
  context: AppContext,
  principal: Principal,
  id: string,
  query: { limit: number; cursor?: string | undefined },
): Promise<Page<DeliveryRecord>> {
  const endpoint = await visibleEndpoint(context, principal, id);
  return paged(query, (options) => listDeliveries(context.db, { endpointId: endpoint.id, ...options }));
}
