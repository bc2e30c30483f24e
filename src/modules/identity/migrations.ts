import { sql, type Migration } from 'kysely';

const usersAndSessions: Migration = {
  async up(db) {
    await sql`
      create table users (
        id uuid primary key,
        username text not null check (username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'),
        email text not null check (email = lower(email)),
        full_name text not null check (char_length(full_name) between 1 and 100),
        phone text check (phone ~ '^\\+[1-9][0-9]{6,14}$'),
        date_of_birth date,
        password_hash text not null,
        role text not null default 'customer' check (role in ('customer', 'auditor', 'admin', 'super_admin')),
        status text not null default 'active' check (status in ('active', 'blocked')),
        kyc_status text not null default 'pending' check (kyc_status in ('pending', 'verified', 'rejected')),
        seq bigint generated always as identity unique,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );
      create unique index users_username_key on users (username);
      create unique index users_email_key on users (email);

      create table sessions (
        id uuid primary key,
        user_id uuid not null references users (id),
        refresh_token_hash text not null unique,
        user_agent text,
        ip text,
        created_at timestamptz not null default now(),
        last_used_at timestamptz not null default now(),
        expires_at timestamptz not null,
        revoked_at timestamptz
      );
      create index sessions_user on sessions (user_id);
    `.execute(db);
  },
  async down(db) {
    await sql`drop table sessions; drop table users;`.execute(db);
  },
};

export const identityMigrations = {
  '2026-11-21-0004-identity-users-sessions': usersAndSessions,
} as const;
