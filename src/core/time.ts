/**
 * Calendar arithmetic in the bank's time zone (for example Asia/Kolkata): where a bank day starts
 * and ends, for daily limits and statements. Pure: it uses only the Intl time zone data.
 */
const formatterCache = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatterCache.get(timeZone);
  if (formatter === undefined) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      second: '2-digit',
    });
    formatterCache.set(timeZone, formatter);
  }
  return formatter;
}

/** Whether the runtime knows the IANA time zone name. */
export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

interface LocalParts {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

function localParts(instant: Date, timeZone: string): LocalParts {
  const parts: Record<string, number> = {};
  for (const part of formatterFor(timeZone).formatToParts(instant)) {
    if (part.type !== 'literal') parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year ?? 0,
    month: parts.month ?? 0,
    day: parts.day ?? 0,
    hour: parts.hour ?? 0,
    minute: parts.minute ?? 0,
    second: parts.second ?? 0,
  };
}

/** Offset of the zone from UTC at an instant, in milliseconds (IST: +19,800,000). */
function offsetMs(instant: Date, timeZone: string): number {
  const p = localParts(instant, timeZone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(instant.getTime() / 1000) * 1000;
}

/**
 * The instant at which a local calendar date (YYYY-MM-DD) begins in the zone: local midnight, or,
 * in zones whose clocks jump forward at midnight (America/Santiago, Asia/Beirut, ...), the first
 * instant of the date after the jump.
 */
export function startOfLocalDate(date: string, timeZone: string): Date {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (match === null) throw new RangeError(`not a date: ${date}`);
  const utcMidnight = Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
  // Two passes settle the offset even when the zone changes its offset near midnight.
  let guess = utcMidnight - offsetMs(new Date(utcMidnight), timeZone);
  guess = utcMidnight - offsetMs(new Date(guess), timeZone);
  if (localDate(new Date(guess), timeZone) === date) return new Date(guess);
  // Local midnight was skipped: search forward for the first instant of the date. Offset changes
  // happen on whole minutes, and no jump exceeds a few hours.
  let low = guess;
  let high = guess + 6 * 3_600_000;
  while (high - low > 60_000) {
    const middle = low + Math.floor((high - low) / 120_000) * 60_000;
    if (localDate(new Date(middle), timeZone) === date) high = middle;
    else low = middle;
  }
  return new Date(high);
}

/** The local calendar date (YYYY-MM-DD) of an instant in the zone. */
export function localDate(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  return `${String(p.year).padStart(4, '0')}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`;
}

/** Adds whole days to a calendar date. */
export function addDays(date: string, days: number): string {
  const start = new Date(`${date}T00:00:00Z`);
  start.setUTCDate(start.getUTCDate() + days);
  return start.toISOString().slice(0, 10);
}

/** Whether a string is a real calendar date in YYYY-MM-DD form. */
export function isCalendarDate(date: string): boolean {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return false;
  const parsed = new Date(`${date}T00:00:00Z`);
  return !Number.isNaN(parsed.getTime()) && parsed.toISOString().slice(0, 10) === date;
}

export interface BankDay {
  readonly date: string;
  readonly startsAt: Date;
  readonly endsAt: Date;
}

/** The last bank day computed per zone: every movement asks, and nearly all fall in the same day. */
const bankDayCache = new Map<string, BankDay>();

/** The bank day containing an instant: when it started and when the next one starts. */
export function bankDay(instant: Date, timeZone: string): BankDay {
  const time = instant.getTime();
  const cached = bankDayCache.get(timeZone);
  if (cached !== undefined && time >= cached.startsAt.getTime() && time < cached.endsAt.getTime()) return cached;
  const date = localDate(instant, timeZone);
  const day: BankDay = Object.freeze({
    date,
    startsAt: startOfLocalDate(date, timeZone),
    endsAt: startOfLocalDate(addDays(date, 1), timeZone),
  });
  bankDayCache.set(timeZone, day);
  return day;
}

/** The local date and time of an instant in the zone, as "YYYY-MM-DD HH:MM:SS". */
export function localDateTime(instant: Date, timeZone: string): string {
  const p = localParts(instant, timeZone);
  const two = (value: number) => String(value).padStart(2, '0');
  return `${String(p.year).padStart(4, '0')}-${two(p.month)}-${two(p.day)} ${two(p.hour)}:${two(p.minute)}:${two(p.second)}`;
}
