/** Tables owned by the platform itself (not by a module). */
import { sql, type Migration } from 'kysely';

const idempotencyKeys: Migration = {
  async up(db) {
    await sql`
      create table idempotency_keys (
        scope text not null,
        key text not null,
        request_hash text not null,
        status_code int not null,
        response_body text not null,
        created_at timestamptz not null default now(),
        expires_at timestamptz not null,
        primary key (scope, key)
      );
      create index idempotency_keys_expiry on idempotency_keys (expires_at);
    `.execute(db);
  },
  async down(db) {
    await sql`drop table idempotency_keys`.execute(db);
  },
};

export const platformMigrations = {
  '2026-11-21-0001-platform-idempotency-keys': idempotencyKeys,
} as const;
