import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addDays, bankDay, isCalendarDate, isValidTimeZone, localDate, localDateTime, startOfLocalDate } from './time.js';

const HOUR = 3_600_000;

describe('bank days in Asia/Kolkata (UTC+05:30, no DST)', () => {
  const zone = 'Asia/Kolkata';

  it('starts a bank day at 18:30 UTC of the previous day', () => {
    expect(startOfLocalDate('2026-11-21', zone).toISOString()).toBe('2026-11-20T18:30:00.000Z');
    expect(startOfLocalDate('2024-01-01', zone).toISOString()).toBe('2023-12-31T18:30:00.000Z');
    expect(startOfLocalDate('2024-03-01', zone).toISOString()).toBe('2024-02-29T18:30:00.000Z');
    const day = bankDay(new Date('2026-11-21T12:00:00Z'), zone);
    expect(day).toEqual({
      date: '2026-11-21',
      startsAt: new Date('2026-11-20T18:30:00Z'),
      endsAt: new Date('2026-11-21T18:30:00Z'),
    });
  });

  it('switches the date exactly at 18:30 UTC', () => {
    expect(localDate(new Date('2026-11-20T18:29:59.999Z'), zone)).toBe('2026-11-20');
    expect(localDate(new Date('2026-11-20T18:30:00.000Z'), zone)).toBe('2026-11-21');
    expect(bankDay(new Date('2026-11-20T18:29:59.999Z'), zone).date).toBe('2026-11-20');
    expect(bankDay(new Date('2026-11-20T18:30:00.000Z'), zone).date).toBe('2026-11-21');
    expect(localDateTime(new Date('2026-11-20T18:30:00Z'), zone)).toBe('2026-11-21 00:00:00');
  });

  it('has 24-hour days all year', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1990-01-01T00:00:00Z'), max: new Date('2100-01-01T00:00:00Z'), noInvalidDate: true }), (instant) => {
        const day = bankDay(instant, zone);
        expect(day.endsAt.getTime() - day.startsAt.getTime()).toBe(24 * HOUR);
        expect(day.startsAt.getUTCHours() * 60 + day.startsAt.getUTCMinutes()).toBe(18 * 60 + 30);
      }),
    );
  });
});

describe('bank days in America/New_York around DST', () => {
  const zone = 'America/New_York';

  it('has a 23-hour day when clocks go forward', () => {
    const day = bankDay(new Date('2024-03-10T15:00:00Z'), zone);
    expect(day.date).toBe('2024-03-10');
    expect(day.startsAt.toISOString()).toBe('2024-03-10T05:00:00.000Z');
    expect(day.endsAt.toISOString()).toBe('2024-03-11T04:00:00.000Z');
    expect(day.endsAt.getTime() - day.startsAt.getTime()).toBe(23 * HOUR);
  });

  it('has a 25-hour day when clocks go back', () => {
    const day = bankDay(new Date('2024-11-03T15:00:00Z'), zone);
    expect(day.date).toBe('2024-11-03');
    expect(day.startsAt.toISOString()).toBe('2024-11-03T04:00:00.000Z');
    expect(day.endsAt.toISOString()).toBe('2024-11-04T05:00:00.000Z');
    expect(day.endsAt.getTime() - day.startsAt.getTime()).toBe(25 * HOUR);
  });

  it('gives the instants around the changes the right local date', () => {
    // 02:00 EST becomes 03:00 EDT at 07:00 UTC; 02:00 EDT becomes 01:00 EST at 06:00 UTC.
    expect(localDateTime(new Date('2024-03-10T06:59:59Z'), zone)).toBe('2024-03-10 01:59:59');
    expect(localDateTime(new Date('2024-03-10T07:00:00Z'), zone)).toBe('2024-03-10 03:00:00');
    expect(localDateTime(new Date('2024-11-03T05:59:59Z'), zone)).toBe('2024-11-03 01:59:59');
    expect(localDateTime(new Date('2024-11-03T06:00:00Z'), zone)).toBe('2024-11-03 01:00:00');
    expect(localDate(new Date('2024-11-04T04:59:59Z'), zone)).toBe('2024-11-03');
    expect(localDate(new Date('2024-11-04T05:00:00Z'), zone)).toBe('2024-11-04');
  });

  it('has 23-, 24- or 25-hour days only, 23 and 25 once a year each', () => {
    const lengths = new Map<number, number>();
    for (let date = '2025-01-01'; date < '2026-01-01'; date = addDays(date, 1)) {
      const hours = (startOfLocalDate(addDays(date, 1), zone).getTime() - startOfLocalDate(date, zone).getTime()) / HOUR;
      lengths.set(hours, (lengths.get(hours) ?? 0) + 1);
    }
    expect(Object.fromEntries(lengths)).toEqual({ 23: 1, 24: 363, 25: 1 });
  });
});

describe('localDate and startOfLocalDate', () => {
  const ordinaryZones = [
    'Asia/Kolkata', 'UTC', 'America/New_York', 'Europe/London', 'Europe/Berlin', 'Australia/Sydney', 'Australia/Lord_Howe',
    'Pacific/Auckland', 'Pacific/Chatham', 'Asia/Kathmandu', 'America/St_Johns', 'Pacific/Kiritimati', 'Pacific/Pago_Pago',
  ];
  // Zones whose clocks jump forward at 00:00 local time: on those dates there is no 00:00 and the
  // day starts at 01:00.
  const midnightDstZones = ['America/Santiago', 'America/Asuncion', 'America/Havana', 'Asia/Beirut'];
  const date = fc.integer({ min: 0, max: 365 * 54 }).map((days) => addDays('1996-01-01', days));
  const instant = fc.date({ min: new Date('1996-01-01T00:00:00Z'), max: new Date('2050-01-01T00:00:00Z'), noInvalidDate: true });

  const roundTrip = (day: string, zone: string) => {
    const start = startOfLocalDate(day, zone);
    expect(localDate(start, zone), `${day} in ${zone} starts at ${start.toISOString()}`).toBe(day);
    expect(localDate(new Date(start.getTime() - 1), zone), `${day} in ${zone}`).toBe(addDays(day, -1));
  };
  const insideItsDay = (at: Date, zone: string) => {
    const day = bankDay(at, zone);
    expect(day.date).toBe(localDate(at, zone));
    const inside = day.startsAt.getTime() <= at.getTime() && at.getTime() < day.endsAt.getTime();
    expect(inside, `${at.toISOString()} in ${zone}: ${JSON.stringify(day)}`).toBe(true);
    expect(localDate(day.startsAt, zone)).toBe(day.date);
    expect(localDate(day.endsAt, zone)).toBe(addDays(day.date, 1));
  };

  it('round-trips a date through the instant it starts', () => {
    fc.assert(fc.property(date, fc.constantFrom(...ordinaryZones), roundTrip), { numRuns: 3000 });
  });

  it('puts every instant inside its bank day', () => {
    fc.assert(fc.property(instant, fc.constantFrom(...ordinaryZones), insideItsDay), { numRuns: 3000 });
  });

  it('round-trips dates in zones that skip midnight', () => {
    fc.assert(fc.property(date, fc.constantFrom(...midnightDstZones), roundTrip), { numRuns: 2000 });
  });

  it('puts every instant inside its bank day in zones that skip midnight', () => {
    fc.assert(fc.property(instant, fc.constantFrom(...midnightDstZones), insideItsDay), { numRuns: 3000 });
  });

  it('starts a day whose midnight is skipped at 01:00 local time (America/Santiago, 2024-09-08)', () => {
    // At 04:00 UTC on 2024-09-08, 00:00 (UTC-4) became 01:00 (UTC-3): the day starts at 04:00 UTC.
    expect(localDateTime(new Date('2024-09-08T03:59:59Z'), 'America/Santiago')).toBe('2024-09-07 23:59:59');
    expect(localDateTime(new Date('2024-09-08T04:00:00Z'), 'America/Santiago')).toBe('2024-09-08 01:00:00');
    expect(startOfLocalDate('2024-09-08', 'America/Santiago').toISOString()).toBe('2024-09-08T04:00:00.000Z');
    const lateEvening = bankDay(new Date('2024-09-08T03:30:00Z'), 'America/Santiago');
    expect(lateEvening.date).toBe('2024-09-07');
    expect(lateEvening.endsAt.toISOString()).toBe('2024-09-08T04:00:00.000Z');
  });

  it('refuses malformed dates', () => {
    for (const bad of ['2024-1-01', '20240101', '2024-01-01T00:00', '', 'today']) expect(() => startOfLocalDate(bad, 'UTC')).toThrow(RangeError);
    expect(isCalendarDate('2024-02-29')).toBe(true);
    expect(isCalendarDate('2023-02-29')).toBe(false);
    expect(isCalendarDate('2024-13-01')).toBe(false);
    expect(isValidTimeZone('Asia/Kolkata')).toBe(true);
    expect(isValidTimeZone('Mars/Olympus')).toBe(false);
    expect(addDays('2024-02-28', 1)).toBe('2024-02-29');
    expect(addDays('2024-03-01', -1)).toBe('2024-02-29');
    expect(addDays('2024-12-31', 1)).toBe('2025-01-01');
  });
});
