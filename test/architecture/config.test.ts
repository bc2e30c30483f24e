import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, ConfigError, loadConfig } from '../../src/platform/config.js';

describe('configuration', () => {
  it('documents every variable in .env.example, and nothing that does not exist', () => {
    const documented = [...readFileSync('.env.example', 'utf8').matchAll(/^([A-Z][A-Z0-9_]*)=/gm)].map((match) => match[1]);
    const expected = CONFIG_VARIABLES.filter((name) => name !== 'NODE_ENV');
    expect([...documented].sort()).toEqual([...expected].sort());
  });

  it('has safe defaults and the documented ones', () => {
    const config = loadConfig({});
    expect(config.PORT).toBe(8000);
    expect(config.DATA_DIR).toBe('./data');
    expect(config.DATABASE_URL).toBeUndefined();
    expect(config.BANK_TIMEZONE).toBe('Asia/Kolkata');
    expect(config.JWT_SECRET).toBeUndefined();
  });

  it('stops with a message naming the variable when a value is invalid', () => {
    expect(() => loadConfig({ PORT: 'eighty' })).toThrow(ConfigError);
    expect(() => loadConfig({ BANK_TIMEZONE: 'Mars/Olympus' })).toThrow(/BANK_TIMEZONE/);
    expect(() => loadConfig({ JWT_SECRET: 'short' })).toThrow(/JWT_SECRET/);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).PORT).toBe(8000);
  });
});
