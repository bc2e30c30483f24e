import { sql, type Migration } from 'kysely';

/**
 * In-app notifications and the record of e-mails and SMS sent. An event gives a user at most one
 * notification of a type (unique event, user, type), and a message is recorded under its id once
 * sent, so that handling an event again sends nothing twice.
 */
const notifications: Migration = {
  async up(db) {
    await sql`
      create table notifications (
        id uuid primary key,
        seq bigint generated always as identity unique,
        user_id uuid not null references users (id),
        event_id text not null check (char_length(event_id) between 1 and 100),
        type text not null check (type ~ '^[a-z_]{1,40}$'),
        title text not null check (char_length(title) <= 200),
        body text not null check (char_length(body) <= 2000),
        data jsonb not null default '{}',
        -- The time of the event (not of the handling), so that the order follows what happened.
        created_at timestamptz not null,
        read_at timestamptz,
        dismissed_at timestamptz,
        unique (event_id, user_id, type)
      );
      -- The inbox: a user's visible notifications, unread first, then by the time of the event, newest first.
      create index notifications_inbox on notifications (user_id, (read_at is not null), created_at desc, seq desc) where dismissed_at is null;

      create table notification_deliveries (
        id text primary key check (char_length(id) between 1 and 100),
        event_id text not null,
        user_id uuid not null references users (id),
        type text not null,
        channel text not null check (channel in ('email', 'sms')),
        -- Rows are written once a message went out ('sent'); 'sending' is reserved.
        state text not null check (state in ('sending', 'sent')),
        claimed_at timestamptz not null,
        sent_at timestamptz,
        check ((state = 'sent') = (sent_at is not null))
      );
      create index notification_deliveries_user on notification_deliveries (user_id, claimed_at);
    `.execute(db);
  },
  async down(db) {
    await sql`drop table notification_deliveries; drop table notifications`.execute(db);
  },
};

/**
 * A customer's choices: one row per alert type and channel they changed (the defaults live in
 * code, so a new alert type needs no data migration), and amount thresholds per alert type and
 * currency.
 */
const preferences: Migration = {
  async up(db) {
    await sql`
      create table notification_preferences (
        user_id uuid not null references users (id),
        alert_type text not null check (alert_type ~ '^[a-z_]{1,40}$'),
        channel text not null check (channel in ('in_app', 'email', 'sms')),
        enabled boolean not null,
        updated_at timestamptz not null default now(),
        primary key (user_id, alert_type, channel)
      );
      create table notification_thresholds (
        user_id uuid not null references users (id),
        alert_type text not null check (alert_type ~ '^[a-z_]{1,40}$'),
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        amount_minor bigint not null check (amount_minor >= 0),
        updated_at timestamptz not null default now(),
        primary key (user_id, alert_type, currency)
      );
    `.execute(db);
  },
  async down(db) {
    await sql`drop table notification_thresholds; drop table notification_preferences`.execute(db);
  },
};

export const notifyMigrations = {
  '2026-11-21-0017-notify-notifications': notifications,
  '2026-11-21-0018-notify-preferences': preferences,
} as const;
