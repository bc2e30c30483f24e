/**
 * Every message the bank sends about an alert, in one place: the in-app title and body, the
 * e-mail (subject, text and HTML) and the SMS text. The bank's name comes from BANK_NAME, money is
 * written the Indian way (₹1,00,000.00, from the exact decimal string, never a float) and times in
 * the bank's time zone. Every interpolated value is escaped in HTML and flattened to one line in
 * titles, subjects and SMS, since names, descriptions and device names come from users.
 */
import { findCurrency } from '../../core/money.js';
import type { AlertData } from './alerts.js';
import type { NotificationType } from './catalog.js';

export interface TemplateContext {
  readonly bankName: string;
  readonly timeZone: string;
  /** When the event happened. */
  readonly at: Date;
  /** The recipient's full name, for the e-mail greeting. */
  readonly recipientName: string;
}

export interface RenderedMessage {
  /** In-app: a short title and a body of one or two sentences. */
  readonly title: string;
  readonly body: string;
  readonly email: { readonly subject: string; readonly text: string; readonly html: string };
  /** Under 160 characters for ordinary values (a long name or description is shortened). */
  readonly sms: string;
}

interface Content {
  readonly title: string;
  readonly body: string;
  /** The SMS text after "<bank>: ". */
  readonly sms: string;
}

const TITLE_LENGTH_MAX = 120;
const SMS_LENGTH_TARGET = 160;
const VALUE_IN_SMS_MAX = 24;

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** One line of printable text: control characters and line breaks become spaces (no header injection). */
function oneLine(value: string): string {
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').replace(/\s+/g, ' ').trim();
}

function shorten(value: string, max: number): string {
  const line = oneLine(value);
  return line.length <= max ? line : `${line.slice(0, max - 1)}…`;
}

/** Money for people, en-IN: "₹1,00,000.00", "US$25.50", "¥500". The amount is a decimal string. */
export function displayMoney(amount: string | number | boolean | null | undefined, currencyCode: string | number | boolean | null | undefined): string {
  const code = typeof currencyCode === 'string' ? currencyCode : '';
  const currency = findCurrency(code);
  if (typeof amount !== 'string' || !/^-?[0-9]{1,20}(\.[0-9]{1,4})?$/.test(amount) || currency === undefined) return `${String(amount ?? '')} ${code}`.trim();
  let format = moneyFormats.get(currency.code);
  if (format === undefined) {
    format = new Intl.NumberFormat('en-IN', {
      style: 'currency',
      currency: currency.code,
      minimumFractionDigits: currency.exponent,
      maximumFractionDigits: currency.exponent,
    });
    moneyFormats.set(currency.code, format);
  }
  // A string argument is formatted exactly (Intl.NumberFormat v3): no float rounding.
  return format.format(amount as `${number}`);
}

/** Formatters are costly to build and hold no state between calls: one per currency, one per time zone. */
const moneyFormats = new Map<string, Intl.NumberFormat>();
const timeFormats = new Map<string, Intl.DateTimeFormat>();

/** A time for people in the bank's time zone: "21 Nov 2026, 10:05 pm". */
export function displayTime(value: Date | string | null | undefined, timeZone: string): string {
  const instant = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (instant === undefined || Number.isNaN(instant.getTime())) return 'an unknown time';
  let format = timeFormats.get(timeZone);
  if (format === undefined) {
    format = new Intl.DateTimeFormat('en-IN', { dateStyle: 'medium', timeStyle: 'short', timeZone });
    timeFormats.set(timeZone, format);
  }
  return format.format(instant);
}

type Value = string | number | boolean | null | undefined;
const str = (value: Value, fallback: string): string => (typeof value === 'string' && value.trim() !== '' ? oneLine(value) : fallback);

function accountLabel(data: AlertData): string {
  const masked = data.account_number_masked;
  return typeof masked === 'string' ? `account ${masked}` : 'your account';
}

function describeOrigin(data: AlertData): string {
  const device = str(data.device, 'an unknown device');
  return typeof data.ip === 'string' ? `${device} (IP ${data.ip})` : device;
}

function moneyContent(type: 'transfer_sent' | 'money_received', data: AlertData, when: string): Content {
  const amount = displayMoney(data.amount, data.currency);
  const account = accountLabel(data);
  const note = typeof data.description === 'string' && data.description.trim() !== '' ? ` "${oneLine(data.description)}"` : '';
  const smsNote = note === '' ? '' : ` "${shorten(String(data.description), VALUE_IN_SMS_MAX)}"`;
  const balance = typeof data.balance === 'string' ? ` Balance: ${displayMoney(data.balance, data.currency)}.` : '';
  if (type === 'transfer_sent') {
    if (data.kind === 'withdrawal') {
      return { title: `${amount} withdrawn`, body: `${amount} was withdrawn from ${account} on ${when}.${balance}`, sms: `${amount} withdrawn from ${account} on ${when}.${balance}` };
    }
    const to = data.own_transfer === true ? 'to your own account' : 'to another account';
    return {
      title: `${amount} sent`,
      body: `You sent ${amount} from ${account} ${to} on ${when}${note}.${balance}`,
      sms: `${amount} sent from ${account} on ${when}${smsNote}.${balance} Not you? Call us.`,
    };
  }
  const what = data.kind === 'deposit' ? `${amount} was deposited into ${account}` : `You received ${amount} in ${account}`;
  return { title: `${amount} received`, body: `${what} on ${when}${note}.${balance}`, sms: `${what} on ${when}${smsNote}.${balance}` };
}

function alertContent(type: Exclude<NotificationType, 'transfer_sent' | 'money_received'>, data: AlertData, context: TemplateContext, when: string): Content {
  const bank = context.bankName;
  const notYou = "If this wasn't you, change your password and sign out of all sessions now.";
  switch (type) {
    case 'welcome':
      return {
        title: `Welcome to ${bank}`,
        body: `Your ${bank} online banking is ready, ${str(data.full_name, 'customer')}. Open an account to start.`,
        sms: `Welcome, ${shorten(str(data.full_name, 'customer'), VALUE_IN_SMS_MAX)}. Your online banking is ready.`,
      };
    case 'new_device_sign_in':
      return {
        title: `New sign-in on ${shorten(str(data.device, 'a new device'), 60)}`,
        body: `Your account was signed in from ${describeOrigin(data)} on ${when}. ${notYou}`,
        sms: `New sign-in on ${shorten(str(data.device, 'a new device'), VALUE_IN_SMS_MAX)} at ${when}. Not you? Change your password now.`,
      };
    case 'sign_in_failed':
      return {
        title: 'Failed sign-in attempt',
        body: `Someone tried to sign in to your account from ${describeOrigin(data)} on ${when} and failed. ${notYou}`,
        sms: `Failed sign-in to your account at ${when}. Not you? Change your password.`,
      };
    case 'sign_in_locked':
      return {
        title: 'Sign-in locked after failed attempts',
        body: `After ${typeof data.failed_attempts === 'number' ? data.failed_attempts : 'several'} failed attempts, signing in to your account is locked until ${displayTime(str(data.locked_until, ''), context.timeZone)}. ${notYou}`,
        sms: `Sign-in locked after failed attempts until ${displayTime(str(data.locked_until, ''), context.timeZone)}. Not you? Call us.`,
      };
    case 'password_changed':
      return {
        title: 'Your password was changed',
        body: `The password of your account was changed on ${when}. If you did not do this, contact us at once.`,
        sms: `Your password was changed at ${when}. Not you? Call us at once.`,
      };
    case 'two_factor_changed': {
      const state = data.enabled === true ? 'turned on' : 'turned off';
      return {
        title: `Two-factor authentication ${state}`,
        body: `Two-factor authentication was ${state} for your account on ${when}. If you did not do this, contact us at once.`,
        sms: `Two-factor authentication ${state} at ${when}. Not you? Call us at once.`,
      };
    }
    case 'beneficiary_added': {
      const name = str(data.name, 'a beneficiary');
      const number = typeof data.account_number_masked === 'string' ? ` (${data.account_number_masked})` : '';
      return {
        title: `New beneficiary: ${shorten(name, 60)}`,
        body: `${name}${number} was added to your beneficiaries on ${when}. If you did not do this, contact us at once.`,
        sms: `Beneficiary ${shorten(name, VALUE_IN_SMS_MAX)}${number} added at ${when}. Not you? Call us.`,
      };
    }
    case 'low_balance': {
      const balance = displayMoney(data.balance, data.currency);
      const threshold = displayMoney(data.threshold, data.currency);
      const why = data.basis === 'average' ? `20% of its 30-day average balance (${threshold})` : `your alert threshold of ${threshold}`;
      return {
        title: `Low balance in ${accountLabel(data)}`,
        body: `The balance of ${accountLabel(data)} fell to ${balance} on ${when}, below ${why}.`,
        sms: `Low balance: ${accountLabel(data)} has ${balance}, below ${data.basis === 'average' ? '20% of its 30-day average' : threshold}.`,
      };
    }
    case 'large_transaction': {
      const amount = displayMoney(data.amount, data.currency);
      const direction = data.direction === 'credit' ? 'credited to' : 'debited from';
      return {
        title: `Large transaction: ${amount}`,
        body: `${amount} was ${direction} ${accountLabel(data)} on ${when}, above your alert threshold of ${displayMoney(data.threshold, data.currency)}.`,
        sms: `${amount} ${direction} ${accountLabel(data)} at ${when}. Not you? Call us.`,
      };
    }
    case 'account_frozen':
      return data.by === 'bank'
        ? { title: `${capitalize(accountLabel(data))} frozen by the bank`, body: `${bank} froze ${accountLabel(data)} on ${when}. No money can leave it; contact support to learn more.`, sms: `We froze ${accountLabel(data)}. Contact support.` }
        : { title: `${capitalize(accountLabel(data))} frozen`, body: `You froze ${accountLabel(data)} on ${when}. No money can leave it until you unfreeze it.`, sms: `${capitalize(accountLabel(data))} frozen at ${when}. Not you? Call us.` };
    case 'account_unfrozen':
      return {
        title: `${capitalize(accountLabel(data))} unfrozen`,
        body: `${capitalize(accountLabel(data))} was unfrozen on ${when} and can be used again.`,
        sms: `${capitalize(accountLabel(data))} unfrozen at ${when}.`,
      };
  }
}

function capitalize(value: string): string {
  return value.charAt(0).toUpperCase() + value.slice(1);
}

function emailOf(content: Content, context: TemplateContext): RenderedMessage['email'] {
  const bank = context.bankName;
  const greeting = `Dear ${oneLine(context.recipientName) || 'customer'},`;
  const footer = `This is an automatic message from ${bank}. ${bank} will never ask for your password, PIN or one-time codes.`;
  const title = escapeHtml(content.title);
  const html = [
    '<!doctype html>',
    `<html lang="en-IN"><head><meta charset="utf-8"><title>${title}</title></head>`,
    '<body style="font-family: sans-serif; line-height: 1.5; color: #1a1a1a;">',
    `<h1 style="font-size: 1.25rem;">${title}</h1>`,
    `<p>${escapeHtml(greeting)}</p>`,
    `<p>${escapeHtml(content.body)}</p>`,
    `<p style="color: #666; font-size: 0.85rem;">${escapeHtml(footer)}</p>`,
    '</body></html>',
    '',
  ].join('\n');
  return {
    subject: shorten(`${bank}: ${content.title}`, 200),
    text: `${greeting}\n\n${content.body}\n\n--\n${footer}\n`,
    html,
  };
}

/** Renders every form of a notification. */
export function renderMessage(type: NotificationType, data: AlertData, context: TemplateContext): RenderedMessage {
  const when = displayTime(context.at, context.timeZone);
  const content = type === 'transfer_sent' || type === 'money_received' ? moneyContent(type, data, when) : alertContent(type, data, context, when);
  const title = shorten(content.title, TITLE_LENGTH_MAX);
  const sms = oneLine(`${context.bankName}: ${content.sms}`);
  return {
    title,
    body: content.body,
    email: emailOf({ ...content, title }, context),
    sms: sms.length <= SMS_LENGTH_TARGET * 2 ? sms : shorten(sms, SMS_LENGTH_TARGET * 2),
  };
}
