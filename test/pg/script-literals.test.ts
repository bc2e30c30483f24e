/**
 * Scripts carry values as literals (no bind parameters), so the literal builders must round-trip
 * every possible text exactly through a real PostgreSQL server: no value may change, and none may
 * escape its quotes.
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { literal, parameterized, type Literal, type SqlType } from '../../src/platform/db/script.js';
import { createTestDatabase } from '../support/postgres.js';

/** An array as statements write it inline: the literal of one value, cast to the array type. */
const arrayLiteral = (values: readonly Literal[], type: SqlType) => parameterized((placeholders) => placeholders.array(values, type), () => undefined).sql;

const text = fc.string({ unit: 'binary', maxLength: 40 }).filter((value) => !value.includes('\u0000'));
const tricky = fc.constantFrom("'", "''", '"', '\\', "\\'", 'NULL', 'null', '', ' ', '{', '}', ',', "E'x'", "'); drop table t; --", '$$', '₹', '😀', '$kv$', '$kv', '$k', 'kv$', '$', '$x$');
const anyText = fc.oneof(text, tricky, fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join('')));

describe('script literals (PostgreSQL)', () => {
  let client: pg.Client;
  beforeAll(async () => {
    client = new pg.Client({ connectionString: await createTestDatabase(inject('postgresUrl'), 'kosh_literals') });
    await client.connect();
    await client.query('create table canary (x int)');
  });
  afterAll(async () => client.end());

  it('round-trips any text as a literal', async () => {
    await fc.assert(
      fc.asyncProperty(anyText, async (value) => {
        const result = await client.query(`select ${literal(value)}::text as v`);
        expect(result.rows[0].v).toBe(value);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips arrays of any text, nulls included, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(anyText, { nil: null }), { maxLength: 12 }), async (values) => {
        const result = await client.query(`select v from unnest(${arrayLiteral(values, 'text')}) with ordinality as t(v, o) order by o`);
        expect(result.rows.map((row) => row.v)).toEqual(values);
      }),
      { numRuns: 300 },
    );
    // Nothing ever escaped its quotes.
    expect((await client.query('select count(*)::int as n from canary')).rows[0].n).toBe(0);
    expect((await client.query("select to_regclass('canary') is not null as present")).rows[0].present).toBe(true);
  });

  it('round-trips texts sent as one JSON array, nulls included, in order', async () => {
    const texts = (values: readonly (string | null)[]) => parameterized((placeholders) => `select v from json_array_elements_text(${placeholders.texts(values)}) with ordinality as t(v, o) order by o`, () => undefined);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.option(anyText, { nil: null }), { maxLength: 12 }), async (values) => {
        const result = await client.query(texts(values).sql);
        expect(result.rows.map((row) => row.v)).toEqual(values);
      }),
      { numRuns: 300 },
    );
    // A lone surrogate arrives as U+FFFD, as it does in any literal sent as UTF-8; a NUL is refused.
    const lone = await client.query(texts(['a\ud800b', '\udc00', '\ud83d\ude00']).sql);
    expect(lone.rows.map((row) => row.v)).toEqual(['a\ufffdb', '\ufffd', '😀']);
    expect(() => texts(['a\u0000b'])).toThrow(RangeError);
    expect((await client.query('select count(*)::int as n from canary')).rows[0].n).toBe(0);
  });

  it('means the same text whatever standard_conforming_strings says', async () => {
    await client.query('set standard_conforming_strings = off');
    await client.query('set escape_string_warning = off');
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.option(anyText, { nil: null }), { maxLength: 6 }), anyText, async (values, value) => {
          const result = await client.query(`select ${literal(value)}::text as v, array(select v from unnest(${arrayLiteral(values, 'text')}) with ordinality as t(v, o) order by o) as a`);
          expect(result.rows[0].v).toBe(value);
          expect(result.rows[0].a).toEqual(values);
        }),
        { numRuns: 300 },
      );
    } finally {
      await client.query('reset standard_conforming_strings');
      await client.query('reset escape_string_warning');
    }
  });

  it('writes plain text in quotes, and text with quotes or backslashes as it is in a dollar-quoted constant unless it could end one', () => {
    expect(literal('plain ₹ text')).toBe("'plain ₹ text'");
    expect(literal(`{"a":"it's"}`)).toBe(' $kv$' + `{"a":"it's"}` + '$kv$');
    expect(literal('C:\\dir')).toBe(' $kv$C:\\dir$kv$');
    // Text that holds the tag, or ends with all of it but its last character, is escaped instead.
    expect(literal("a'$kv$b")).toBe("'a''$kv$b'");
    expect(literal("a'$kv")).toBe("'a''$kv'");
    expect(literal('a\\$kv')).toBe(" E'a\\\\$kv'");
  });

  it('writes integers exactly and refuses what is not one', async () => {
    const values = [0n, -1n, 9007199254740993n, 2n ** 63n - 1n, -(2n ** 63n)];
    const result = await client.query(`select v::text from unnest(${arrayLiteral(values, 'int8')}) with ordinality as t(v, o) order by o`);
    expect(result.rows.map((row) => BigInt(row.v))).toEqual(values);
    expect(() => literal(1.5)).toThrow(RangeError);
    expect(() => arrayLiteral([Number.MAX_SAFE_INTEGER + 1], 'int8')).toThrow(RangeError);
    expect(() => literal('a\u0000b')).toThrow(RangeError);
  });
});
