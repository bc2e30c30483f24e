/**
 * The outbox statement carries payloads as literals inside the engine's scripts: any text a
 * customer may write (descriptions, names) must arrive in the outbox exactly, in order, and never
 * escape its quotes (PostgreSQL, through a script as the engine sends it).
 */
import fc from 'fast-check';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { outboxStatement, type OutboxMessage } from '../../src/platform/outbox/index.js';
import { outboxMigrations } from '../../src/platform/outbox/migrations.js';
import { createTestDatabase } from '../support/postgres.js';
import { Kysely, PostgresDialect } from 'kysely';

const tricky = fc.constantFrom("'", "''", '"', '\\', "\\'", '{', '}', ',', '$$', '₹', '😀', '\n', "'); drop table canary; --", 'NULL');
const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 30 }).filter((value) => !value.includes('\u0000')), tricky);

describe('outbox statement (PostgreSQL)', () => {
  let client: pg.Client;
  let url: string;
  beforeAll(async () => {
    url = await createTestDatabase(inject('postgresUrl'), 'kosh_outbox_literals');
    const db = new Kysely({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: url, max: 1 }) }) });
    await outboxMigrations['2026-11-21-0015-platform-outbox'].up(db);
    await db.destroy();
    client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query('create table canary (x int)');
  });
  afterAll(async () => client.end());

  it('round-trips any payload text, user ids and order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ description: text, name: text, owners: fc.array(fc.uuid(), { maxLength: 3 }) }), { minLength: 1, maxLength: 8 }), async (items) => {
        const messages: OutboxMessage[] = items.map((item, index) => ({
          topic: 'transfer.posted',
          userIds: item.owners,
          payload: { index, description: item.description, nested: { name: item.name, list: [item.name, null, true] } },
        }));
        await client.query('truncate outbox');
        await client.query(`BEGIN;\n${outboxStatement(messages).sql};\nCOMMIT`);
        const rows = (await client.query('select topic, user_ids::text[] as user_ids, payload from outbox order by id')).rows;
        expect(rows).toEqual(
          messages.map((message) => ({ topic: message.topic, user_ids: [...new Set(message.userIds)], payload: message.payload })),
        );
      }),
      { numRuns: 150 },
    );
    expect((await client.query('select count(*)::int as n from canary')).rows[0].n).toBe(0);
  });

  it('writes nothing for no messages, and refuses a bigint or an id that is not a UUID', async () => {
    await client.query('truncate outbox');
    await client.query(outboxStatement([]).sql);
    expect((await client.query('select count(*)::int as n from outbox')).rows[0].n).toBe(0);
    expect(() => outboxStatement([{ topic: 'deposit.posted', userIds: [], payload: { amount: 1n } }])).toThrow(/bigint/);
    await expect(client.query(outboxStatement([{ topic: 'deposit.posted', userIds: ['not-a-uuid'], payload: {} }]).sql)).rejects.toThrow(/uuid/);
  });
});
