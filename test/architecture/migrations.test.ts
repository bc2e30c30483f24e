import { describe, expect, it } from 'vitest';
import { migrations } from '../../src/app.js';

describe('migrations', () => {
  it('are named YYYY-MM-DD-NNNN-module-what with one sequence across modules', () => {
    const names = Object.keys(migrations).sort();
    const numbers = names.map((name) => {
      const match = /^(\d{4}-\d{2}-\d{2})-(\d{4})-[a-z]+(-[a-z0-9]+)*$/.exec(name);
      expect(match, name).not.toBeNull();
      return Number(match?.[2]);
    });
    // Numbers increase with the names, without repeats, so a new one must take the next number.
    expect(numbers).toEqual([...numbers].sort((a, b) => a - b));
    expect(new Set(numbers).size).toBe(numbers.length);
  });
});
