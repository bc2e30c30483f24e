/**
 * The alert types a customer can configure, their channels and defaults. One table, read by the
 * alert rules, the preferences API and the documentation.
 *
 * Defaults: every alert is on in the app. E-mail is on for everything except single failed sign-ins
 * (a lockout is e-mailed). SMS is on for the security alerts and for money leaving an account, and
 * is sent only to a user with a phone number. Security alerts (sign-ins, lockout, password, second
 * factor, new beneficiary) always stay on in the app: the notification centre is where a customer
 * sees what happened to their credentials, so turning in-app off for them is refused
 * (422 alert_channel_required); their e-mail and SMS may be turned off.
 */
export const CHANNELS = ['in_app', 'email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

export const ALERT_TYPES = [
  'new_device_sign_in',
  'sign_in_failed',
  'sign_in_locked',
  'password_changed',
  'two_factor_changed',
  'beneficiary_added',
  'transfer_sent',
  'money_received',
  'low_balance',
  'large_transaction',
  'account_frozen',
  'account_unfrozen',
] as const;
export type AlertType = (typeof ALERT_TYPES)[number];

/** Every kind of notification: the alert types and the welcome message (always sent, not configurable). */
export type NotificationType = AlertType | 'welcome';

export interface AlertTypeInfo {
  readonly category: 'security' | 'money' | 'account';
  readonly defaults: Readonly<Record<Channel, boolean>>;
  /** Channels that cannot be turned off. */
  readonly required: readonly Channel[];
  /** Whether the customer sets amount thresholds (per currency) for it. */
  readonly thresholds: boolean;
}

const on = (email: boolean, sms: boolean): Readonly<Record<Channel, boolean>> => ({ in_app: true, email, sms });
const security = (email: boolean, sms: boolean): AlertTypeInfo => ({ category: 'security', defaults: on(email, sms), required: ['in_app'], thresholds: false });

export const ALERT_CATALOG: Readonly<Record<AlertType, AlertTypeInfo>> = {
  new_device_sign_in: security(true, true),
  sign_in_failed: security(false, false),
  sign_in_locked: security(true, true),
  password_changed: security(true, true),
  two_factor_changed: security(true, true),
  beneficiary_added: security(true, true),
  transfer_sent: { category: 'money', defaults: on(true, true), required: [], thresholds: false },
  money_received: { category: 'money', defaults: on(true, false), required: [], thresholds: false },
  low_balance: { category: 'money', defaults: on(true, false), required: [], thresholds: true },
  large_transaction: { category: 'money', defaults: on(true, true), required: [], thresholds: true },
  account_frozen: { category: 'account', defaults: on(true, false), required: [], thresholds: false },
  account_unfrozen: { category: 'account', defaults: on(true, false), required: [], thresholds: false },
};

/** The welcome message goes to the app and by e-mail. */
export const WELCOME_CHANNELS: Readonly<Record<Channel, boolean>> = { in_app: true, email: true, sms: false };

export function isAlertType(value: string): value is AlertType {
  return (ALERT_TYPES as readonly string[]).includes(value);
}

export function isChannel(value: string): value is Channel {
  return (CHANNELS as readonly string[]).includes(value);
}
