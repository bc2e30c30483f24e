/**
 * Notification preferences: per alert type and channel, on or off, plus amount thresholds per
 * currency for the low-balance and large-transaction alerts. Only the choices a customer made are
 * stored; everything else is the catalog's default.
 */
import { DomainError } from '../../core/errors.js';
import { currencyOf, parseAmount } from '../../core/money.js';
import type { AppContext } from '../../platform/context.js';
import type { Db } from '../../platform/db/database.js';
import type { Principal } from '../../platform/http/auth.js';
import type { Thresholds } from './alerts.js';
import { ALERT_CATALOG, ALERT_TYPES, isAlertType, isChannel, type AlertType, type Channel } from './catalog.js';
import { notifyErrors } from './errors.js';
import { readPreferences, readThresholds, replaceThresholds, upsertPreference } from './store.js';

export interface ThresholdSetting {
  readonly currency: string;
  readonly amountMinor: bigint;
}

export interface AlertSetting {
  readonly type: AlertType;
  readonly channels: Readonly<Record<Channel, boolean>>;
  readonly thresholds: readonly ThresholdSetting[];
}

export type Preferences = ReadonlyMap<AlertType, AlertSetting>;

/** The user's preferences: the defaults with their choices applied, in catalog order. */
export async function loadPreferences(db: Db, userId: string): Promise<Preferences> {
  const [rows, thresholds] = await Promise.all([readPreferences(db, userId), readThresholds(db, userId)]);
  const settings = new Map<AlertType, AlertSetting>();
  for (const type of ALERT_TYPES) {
    const info = ALERT_CATALOG[type];
    const channels = { ...info.defaults };
    for (const row of rows) {
      // Required channels stay on whatever is stored.
      if (row.alertType === type && isChannel(row.channel) && !info.required.includes(row.channel)) channels[row.channel] = row.enabled;
    }
    const own = thresholds.filter((row) => row.alertType === type).map((row) => ({ currency: row.currency, amountMinor: row.amountMinor }));
    settings.set(type, { type, channels, thresholds: info.thresholds ? own : [] });
  }
  return settings;
}

/** The thresholds the alert rules use, by currency. */
export function thresholdsOf(preferences: Preferences): Thresholds {
  const byCurrency = (type: AlertType) => new Map((preferences.get(type)?.thresholds ?? []).map((item) => [item.currency, item.amountMinor]));
  return { lowBalance: byCurrency('low_balance'), largeTransaction: byCurrency('large_transaction') };
}

export interface AlertSettingInput {
  readonly type: string;
  readonly channels?: Readonly<Record<string, boolean>> | undefined;
  /** Replaces the type's thresholds; an empty list removes them. */
  readonly thresholds?: readonly { readonly amount: unknown; readonly currency: string }[] | undefined;
}

interface ValidChange {
  readonly type: AlertType;
  readonly channels: readonly (readonly [Channel, boolean])[];
  readonly thresholds: readonly ThresholdSetting[] | undefined;
}

/** A field error with the field named from the request body's root. */
function at(field: string, error: DomainError): DomainError {
  return new DomainError({ code: error.code, kind: error.kind, message: error.message, issues: [{ field, message: error.message }] });
}

function validThreshold(field: string, input: { amount: unknown; currency: string }): ThresholdSetting {
  try {
    const currency = currencyOf(input.currency);
    return { currency: currency.code, amountMinor: parseAmount(input.amount, currency, { field: 'amount', allowZero: true }) };
  } catch (error) {
    if (error instanceof DomainError) throw at(`${field}.${error.code === 'unsupported_currency' ? 'currency' : 'amount'}`, error);
    throw error;
  }
}

function validChange(field: string, input: AlertSettingInput): ValidChange {
  if (!isAlertType(input.type)) throw notifyErrors.unknownAlertType(`${field}.type`, input.type);
  const info = ALERT_CATALOG[input.type];
  const channels = Object.entries(input.channels ?? {}).map(([channel, enabled]) => {
    if (!isChannel(channel)) throw notifyErrors.unknownChannel(`${field}.channels.${channel}`, channel);
    if (!enabled && info.required.includes(channel)) throw notifyErrors.channelRequired(`${field}.channels.${channel}`, input.type, channel);
    return [channel, enabled] as const;
  });
  if (input.thresholds === undefined) return { type: input.type, channels, thresholds: undefined };
  if (!info.thresholds) throw notifyErrors.thresholdsNotSupported(`${field}.thresholds`, input.type);
  const thresholds = input.thresholds.map((item, index) => validThreshold(`${field}.thresholds.${index}`, item));
  const currencies = new Set<string>();
  thresholds.forEach((item, index) => {
    if (currencies.has(item.currency)) throw notifyErrors.duplicateThresholdCurrency(`${field}.thresholds.${index}.currency`, item.currency);
    currencies.add(item.currency);
  });
  return { type: input.type, channels, thresholds };
}

/**
 * Changes some of the caller's preferences: the channels named are set, the thresholds of a type
 * whose `thresholds` is sent are replaced; everything else stays. All or nothing: one invalid
 * item refuses the whole request. Errors (422): unknown_alert_type, unknown_channel,
 * alert_channel_required (a security alert's in-app channel), thresholds_not_supported,
 * duplicate_alert_type, duplicate_threshold_currency, invalid_amount, unsupported_currency.
 */
export async function updatePreferences(context: AppContext, principal: Principal, input: { alerts: readonly AlertSettingInput[] }): Promise<Preferences> {
  const seen = new Set<string>();
  const changes = input.alerts.map((item, index) => {
    const change = validChange(`alerts.${index}`, item);
    if (seen.has(change.type)) throw notifyErrors.duplicateAlertType(`alerts.${index}.type`, change.type);
    seen.add(change.type);
    return change;
  });
  const now = context.now();
  await context.transact(async (tx) => {
    for (const change of changes) {
      for (const [channel, enabled] of change.channels) {
        await upsertPreference(tx, { userId: principal.userId, alertType: change.type, channel, enabled, now });
      }
      if (change.thresholds !== undefined) {
        await replaceThresholds(tx, { userId: principal.userId, alertType: change.type, thresholds: change.thresholds, now });
      }
    }
  });
  return loadPreferences(context.db, principal.userId);
}
