import { describe, expect, it, vi } from 'vitest';
import { isUuid, newId } from './ids.js';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const millisecondsOf = (id: string) => Number.parseInt(id.replace(/-/g, '').slice(0, 12), 16);

describe('newId', () => {
  it('makes RFC 9562 version 7 UUIDs carrying the current time', () => {
    const before = Date.now();
    const id = newId();
    const after = Date.now();
    expect(id).toMatch(V7);
    expect(isUuid(id)).toBe(true);
    expect(millisecondsOf(id)).toBeGreaterThanOrEqual(before);
    expect(millisecondsOf(id)).toBeLessThanOrEqual(after + 1);
  });

  // The id generator remembers the latest millisecond it used (it never goes back), so the frozen
  // clocks below are set in the future: a frozen time before the real one would only continue
  // from the real one.
  it('is strictly increasing and unique, even thousands of times in one millisecond', () => {
    vi.useFakeTimers({ now: new Date('2100-01-01T10:00:00Z'), toFake: ['Date'] });
    try {
      const ids = Array.from({ length: 10_000 }, () => newId());
      for (let index = 1; index < ids.length; index += 1) expect((ids[index] as string) > (ids[index - 1] as string)).toBe(true);
      expect(new Set(ids).size).toBe(ids.length);
      expect(ids.every((id) => V7.test(id))).toBe(true);
      // The frozen clock made the counter borrow a few milliseconds, never more than needed.
      const spread = millisecondsOf(ids.at(-1) as string) - Date.parse('2100-01-01T10:00:00Z');
      expect(spread).toBeGreaterThan(0);
      expect(spread).toBeLessThanOrEqual(5);
    } finally {
      vi.useRealTimers();
    }
  });

  it('keeps increasing when the clock steps back', () => {
    vi.useFakeTimers({ now: new Date('2100-01-01T11:00:00Z'), toFake: ['Date'] });
    try {
      const first = newId();
      vi.setSystemTime(new Date('2100-01-01T10:59:59Z'));
      expect(newId() > first).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('has random bits that differ between ids', () => {
    const tails = new Set(Array.from({ length: 1000 }, () => newId().slice(19)));
    expect(tails.size).toBe(1000);
  });
});
