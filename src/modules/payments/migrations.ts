import { sql, type Migration } from 'kysely';

const transfersAndBeneficiaries: Migration = {
  async up(db) {
    await sql`
      create table transfers (
        id uuid primary key,
        seq bigint generated always as identity unique,
        kind text not null check (kind in ('deposit', 'withdrawal', 'transfer', 'reversal')),
        status text not null default 'posted' check (status in ('posted', 'reversed')),
        from_account_id uuid references accounts (id),
        to_account_id uuid references accounts (id),
        amount_minor bigint not null check (amount_minor > 0),
        currency char(3) not null,
        description text check (char_length(description) <= 200),
        entry_id uuid not null unique references journal_entries (id),
        reversal_of uuid unique references transfers (id),
        reason text check (char_length(reason) <= 500),
        initiated_by uuid not null references users (id),
        created_at timestamptz not null default now(),
        check (from_account_id is not null or to_account_id is not null)
      );
      create index transfers_from_created on transfers (from_account_id, created_at);
      create index transfers_from_seq on transfers (from_account_id, seq);
      create index transfers_to_seq on transfers (to_account_id, seq);

      create table beneficiaries (
        id uuid primary key,
        seq bigint generated always as identity unique,
        owner_id uuid not null references users (id),
        account_id uuid not null references accounts (id),
        name text not null check (char_length(name) between 1 and 100),
        nickname text check (char_length(nickname) between 1 and 50),
        created_at timestamptz not null default now(),
        unique (owner_id, account_id)
      );
    `.execute(db);
  },
  async down(db) {
    await sql`drop table beneficiaries; drop table transfers;`.execute(db);
  },
};

/**
 * Money sent per account and bank day, kept up to date by every batch that moves money out, so
 * that a daily-limit check reads one row instead of summing the day's transfers.
 */
const dailyUsage: Migration = {
  async up(db) {
    await sql`
      create table account_daily_usage (
        account_id uuid not null references accounts (id),
        day date not null,
        used_minor bigint not null check (used_minor >= 0),
        primary key (account_id, day)
      );
    `.execute(db);
  },
  async down(db) {
    await sql`drop table account_daily_usage`.execute(db);
  },
};

/**
 * Leaner writes for the hot path: the transfer records no longer carry foreign keys into other
 * modules' tables (accounts and users; the ledger's own keys guard the money, and each record
 * still points to its journal entry), the unique index on reversals holds only reversals, and the
 * index that summed a day's transfers gave way to account_daily_usage.
 */
const leanTransfers: Migration = {
  async up(db) {
    await sql`
      alter table transfers drop constraint transfers_from_account_id_fkey;
      alter table transfers drop constraint transfers_to_account_id_fkey;
      alter table transfers drop constraint transfers_initiated_by_fkey;
      alter table transfers drop constraint transfers_reversal_of_key;
      create unique index transfers_reversal_of_key on transfers (reversal_of) where reversal_of is not null;
      alter table transfers add constraint transfers_reversal_kind check (reversal_of is null or kind = 'reversal');
      drop index transfers_from_created;
    `.execute(db);
  },
  async down(db) {
    await sql`
      create index transfers_from_created on transfers (from_account_id, created_at);
      alter table transfers drop constraint transfers_reversal_kind;
      drop index transfers_reversal_of_key;
      alter table transfers add constraint transfers_reversal_of_key unique (reversal_of);
      alter table transfers add constraint transfers_initiated_by_fkey foreign key (initiated_by) references users (id);
      alter table transfers add constraint transfers_to_account_id_fkey foreign key (to_account_id) references accounts (id);
      alter table transfers add constraint transfers_from_account_id_fkey foreign key (from_account_id) references accounts (id);
    `.execute(db);
  },
};

/**
 * The bank day whose daily-limit usage a withdrawal or transfer counted against, as the engine
 * chose it (from the application's clock when the batch began), so that a reversal gives the
 * amount back to exactly that day's row. Rows written before it have none: for them the day of
 * their creation time is used.
 */
const limitDay: Migration = {
  async up(db) {
    await sql`
      alter table transfers add column limit_day date;
      alter table transfers add constraint transfers_limit_day_kind check (limit_day is null or kind in ('withdrawal', 'transfer'));
    `.execute(db);
  },
  async down(db) {
    await sql`alter table transfers drop column limit_day`.execute(db);
  },
};

export const paymentsMigrations = {
  '2026-11-21-0006-payments-transfers-beneficiaries': transfersAndBeneficiaries,
  '2026-11-21-0008-payments-daily-usage': dailyUsage,
  '2026-11-21-0009-payments-lean-transfers': leanTransfers,
  '2026-11-22-0023-payments-limit-day': limitDay,
} as const;
