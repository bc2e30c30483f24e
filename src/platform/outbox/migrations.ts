/** The outbox table: facts written in the transaction of the change, relayed after commit. */
import { sql, type Migration } from 'kysely';

const outbox: Migration = {
  async up(db) {
    await sql`
      create table outbox (
        id bigint generated always as identity primary key,
        topic text not null check (topic ~ '^[a-z_]+\\.[a-z_]+$'),
        user_ids uuid[] not null default '{}',
        payload jsonb not null,
        created_at timestamptz not null default now(),
        relayed_at timestamptz
      );
      create index outbox_pending on outbox (id) where relayed_at is null;
      create index outbox_relayed on outbox (relayed_at) where relayed_at is not null;
    `.execute(db);
  },
  async down(db) {
    await sql`drop table outbox`.execute(db);
  },
};

export const outboxMigrations = {
  '2026-11-21-0015-platform-outbox': outbox,
} as const;
