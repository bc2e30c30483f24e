import { sql, type Migration } from 'kysely';

/**
 * Webhook endpoints. A customer's endpoint (scope 'user') receives the events that concern its
 * owner; a bank endpoint (scope 'bank', registered by an admin) receives every event. The signing
 * secret is stored sealed with the data key (the server must sign with it), never hashed.
 */
const endpoints: Migration = {
  async up(db) {
    await sql`
      create table webhook_endpoints (
        id uuid primary key,
        seq bigint generated always as identity unique,
        owner_id uuid not null references users (id),
        scope text not null check (scope in ('user', 'bank')),
        url text not null check (char_length(url) between 1 and 2048),
        description text check (char_length(description) <= 200),
        event_types text[] not null check (cardinality(event_types) between 1 and 64),
        secret_sealed text not null,
        previous_secret_sealed text,
        previous_secret_expires_at timestamptz,
        enabled boolean not null default true,
        disabled_reason text check (disabled_reason in ('failures', 'manual')),
        disabled_at timestamptz,
        failure_count integer not null default 0 check (failure_count >= 0),
        created_at timestamptz not null,
        updated_at timestamptz not null
      );
      create index webhook_endpoints_owner on webhook_endpoints (owner_id, seq);
      create index webhook_endpoints_bank on webhook_endpoints (seq) where scope = 'bank';
    `.execute(db);
  },
  async down(db) {
    await sql`drop table webhook_endpoints`.execute(db);
  },
};

/** The delivery log: one row per attempt, kept with its endpoint. */
const deliveries: Migration = {
  async up(db) {
    await sql`
      create table webhook_deliveries (
        id uuid primary key,
        seq bigint generated always as identity unique,
        endpoint_id uuid not null references webhook_endpoints (id) on delete cascade,
        event_id text not null check (char_length(event_id) <= 100),
        topic text not null check (char_length(topic) <= 64),
        attempt integer not null check (attempt >= 1),
        outcome text not null check (outcome in ('succeeded', 'failed')),
        status_code integer check (status_code between 100 and 999),
        duration_ms integer not null check (duration_ms >= 0),
        error text check (char_length(error) <= 500),
        response_excerpt text check (char_length(response_excerpt) <= 512),
        next_attempt_at timestamptz,
        created_at timestamptz not null,
        unique (endpoint_id, event_id, attempt)
      );
      create index webhook_deliveries_endpoint on webhook_deliveries (endpoint_id, seq);
      create index webhook_deliveries_created on webhook_deliveries (created_at);
    `.execute(db);
  },
  async down(db) {
    await sql`drop table webhook_deliveries`.execute(db);
  },
};

/** A customer's endpoint that staff disabled carries reason 'bank': only staff enable it again. */
const disabledByBank: Migration = {
  async up(db) {
    await sql`
      alter table webhook_endpoints drop constraint webhook_endpoints_disabled_reason_check;
      alter table webhook_endpoints add constraint webhook_endpoints_disabled_reason_check
        check (disabled_reason in ('failures', 'manual', 'bank'));
    `.execute(db);
  },
  async down(db) {
    await sql`
      update webhook_endpoints set disabled_reason = 'manual' where disabled_reason = 'bank';
      alter table webhook_endpoints drop constraint webhook_endpoints_disabled_reason_check;
      alter table webhook_endpoints add constraint webhook_endpoints_disabled_reason_check
        check (disabled_reason in ('failures', 'manual'));
    `.execute(db);
  },
};

export const webhooksMigrations = {
  '2026-11-21-0019-webhooks-endpoints': endpoints,
  '2026-11-21-0020-webhooks-deliveries': deliveries,
  '2026-11-22-0022-webhooks-disabled-by-bank': disabledByBank,
} as const;
