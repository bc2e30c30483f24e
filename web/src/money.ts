/**
 * Money on the screen. The API sends amounts as decimal strings with exactly the currency's
 * decimals ("123456.00"); they are formatted without ever becoming a floating-point number: the
 * integer part goes through Intl.NumberFormat as a BigInt (so en-IN groups it as 1,23,456), and the
 * fraction digits are appended as they came. Sums and comparisons use BigInt minor units.
 */
export const LOCALE = 'en-IN';

const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

/** The number of decimals of a currency (INR 2, JPY 0, KWD 3). */
export function currencyDecimals(currency: string): number {
  try {
    return new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  } catch {
    return 2;
  }
}

function decimalSeparator(locale: string): string {
  return new Intl.NumberFormat(locale).formatToParts(1.5).find((part) => part.type === 'decimal')?.value ?? '.';
}

/** Formats a decimal string as money, e.g. formatMoney("123456.00", "INR") === "₹1,23,456.00". */
export function formatMoney(amount: string, currency: string, locale: string = LOCALE): string {
  const match = DECIMAL.exec(amount.trim());
  if (match === null) return `${amount} ${currency}`;
  const negative = match[1] === '-';
  const integer = BigInt(match[2] ?? '0');
  const fraction = match[3] ?? '';
  const format = new Intl.NumberFormat(locale, { style: 'currency', currency, minimumFractionDigits: 0, maximumFractionDigits: 0 });
  const isZero = integer === 0n && /^0*$/.test(fraction);
  // -0.50 has no negative integer part to carry the sign: format -1 and put 0 in its place.
  const parts = negative && !isZero ? format.formatToParts(integer === 0n ? -1n : -integer) : format.formatToParts(integer);
  let lastInteger = -1;
  parts.forEach((part, index) => {
    if (part.type === 'integer') lastInteger = index;
  });
  const text = parts.map((part, index) => {
    const value = negative && integer === 0n && part.type === 'integer' ? '0' : part.value;
    return index === lastInteger && fraction !== '' ? `${value}${decimalSeparator(locale)}${fraction}` : value;
  });
  return text.join('');
}

/** Minor units of a decimal string with the currency's decimals ("12.30" → 1230n for INR). */
export function toMinor(amount: string, currency: string): bigint {
  const decimals = currencyDecimals(currency);
  const match = DECIMAL.exec(amount.trim());
  if (match === null) throw new Error(`Not a decimal amount: ${amount}`);
  const fraction = (match[3] ?? '').padEnd(decimals, '0');
  if (fraction.length > decimals) throw new Error(`Too many decimals for ${currency}: ${amount}`);
  const minor = BigInt(`${match[2] ?? '0'}${fraction}`);
  return match[1] === '-' ? -minor : minor;
}

/** The decimal string of minor units (1230n → "12.30" for INR). */
export function fromMinor(minor: bigint, currency: string): string {
  const decimals = currencyDecimals(currency);
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(decimals + 1, '0');
  const integer = decimals === 0 ? digits : digits.slice(0, -decimals);
  const fraction = decimals === 0 ? '' : `.${digits.slice(-decimals)}`;
  return `${negative ? '-' : ''}${integer}${fraction}`;
}

export function formatMinor(minor: bigint, currency: string, locale: string = LOCALE): string {
  return formatMoney(fromMinor(minor, currency), currency, locale);
}

/**
 * Checks an amount typed by a user: digits with at most the currency's decimals, above zero.
 * Returns the normalized decimal string to send ("1,500.5" → "1500.50"), or an explanation.
 */
export function parseAmountInput(input: string, currency: string): { amount: string } | { error: string } {
  const cleaned = input.replace(/[,\s₹]/g, '');
  const decimals = currencyDecimals(currency);
  if (cleaned === '') return { error: 'Enter an amount.' };
  const match = /^(\d+)(?:\.(\d*))?$/.exec(cleaned);
  if (match === null) return { error: 'Use digits only, with a dot before the paise, e.g. 1500.50.' };
  const fraction = match[2] ?? '';
  if (fraction.length > decimals) {
    return { error: decimals === 0 ? `${currency} amounts have no decimals.` : `Use at most ${decimals} digits after the dot.` };
  }
  const minor = BigInt(`${match[1]}${fraction.padEnd(decimals, '0')}`);
  if (minor <= 0n) return { error: 'The amount must be more than zero.' };
  return { amount: fromMinor(minor, currency) };
}

/** A major-unit number for chart bar heights only (never for money shown as text). */
export function chartValue(minor: bigint, currency: string): number {
  return Number(minor) / 10 ** currencyDecimals(currency);
}
