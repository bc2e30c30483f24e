import { sql, type Migration } from 'kysely';

const accountsTable: Migration = {
  async up(db) {
    await sql`
      create table accounts (
        id uuid primary key references ledger_accounts (id),
        seq bigint generated always as identity unique,
        number text not null unique check (number ~ '^[1-9][0-9]{11}$'),
        owner_id uuid not null references users (id),
        type text not null check (type in ('savings', 'checking', 'wallet', 'loan')),
        currency char(3) not null,
        nickname text check (char_length(nickname) between 1 and 50),
        daily_limit_minor bigint check (daily_limit_minor >= 0),
        frozen_by_bank boolean not null default false,
        created_at timestamptz not null default now()
      );
      create index accounts_owner on accounts (owner_id, seq);
    `.execute(db);
  },
  async down(db) {
    await sql`drop table accounts`.execute(db);
  },
};

export const accountsMigrations = {
  '2026-11-21-0005-accounts': accountsTable,
} as const;
