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

/**
 * Sessions, lockout and sign-in history. A session remembers the refresh-token hashes it has rotated
 * away (until the session would have expired), so that presenting one again is recognised as reuse
 * and ends the session; a cookie session keeps the hash of its CSRF token. Users carry their count
 * of consecutive failed sign-ins and the end of their lock. Every sign-in attempt is recorded.
 */
const sessionsAndLockout: Migration = {
  async up(db) {
    await sql`
      alter table sessions add column revoked_reason text
        check (revoked_reason in ('logout', 'revoked', 'revoked_all', 'password_changed', 'refresh_token_reuse'));
      alter table sessions add column csrf_token_hash text;
      create index sessions_user_live on sessions (user_id, created_at desc) where revoked_at is null;

      create table used_refresh_tokens (
        token_hash text primary key,
        session_id uuid not null references sessions (id),
        used_at timestamptz not null,
        expires_at timestamptz not null
      );
      create index used_refresh_tokens_expiry on used_refresh_tokens (expires_at);

      alter table users add column failed_login_count integer not null default 0 check (failed_login_count >= 0);
      alter table users add column locked_until timestamptz;

      create table login_attempts (
        id bigint generated always as identity primary key,
        attempted_at timestamptz not null,
        user_id uuid references users (id),
        username text not null check (char_length(username) <= 320),
        ip text,
        user_agent text,
        outcome text not null check (outcome in ('success', 'bad_password', 'locked', 'blocked', 'unknown_user', 'otp_required', 'otp_invalid'))
      );
      create index login_attempts_user_recent on login_attempts (user_id, attempted_at desc) where user_id is not null;
      create index login_attempts_time on login_attempts (attempted_at);
    `.execute(db);
  },
  async down(db) {
    await sql`
      drop table login_attempts;
      alter table users drop column locked_until;
      alter table users drop column failed_login_count;
      drop table used_refresh_tokens;
      drop index sessions_user_live;
      alter table sessions drop column csrf_token_hash;
      alter table sessions drop column revoked_reason;
    `.execute(db);
  },
};

/**
 * The transaction PIN and TOTP two-factor authentication. A PIN is stored only as an Argon2id hash
 * (of the PIN peppered with the data key); a TOTP secret only sealed with the data key (AES-256-GCM).
 * Recovery codes are stored as SHA-256 hashes of 80-bit random codes. The failure counters live next
 * to the secret they protect.
 */
const pinAndTwoFactor: Migration = {
  async up(db) {
    await sql`
      create table user_pins (
        user_id uuid primary key references users (id),
        pin_hash text not null,
        failed_attempts integer not null default 0 check (failed_attempts >= 0),
        locked_until timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      create table user_two_factor (
        user_id uuid primary key references users (id),
        secret_sealed text not null,
        enabled_at timestamptz,
        last_used_step bigint,
        failed_attempts integer not null default 0 check (failed_attempts >= 0),
        locked_until timestamptz,
        created_at timestamptz not null default now(),
        updated_at timestamptz not null default now()
      );

      create table user_recovery_codes (
        user_id uuid not null references users (id),
        code_hash text not null,
        used_at timestamptz,
        created_at timestamptz not null default now(),
        primary key (user_id, code_hash)
      );
    `.execute(db);
  },
  async down(db) {
    await sql`drop table user_recovery_codes; drop table user_two_factor; drop table user_pins;`.execute(db);
  },
};

/**
 * KYC decisions and user management: who decided a customer's KYC status, when and why; why and
 * by whom a user was last blocked or unblocked. A partial index finds staff quickly (the check that
 * the last super admin stays locks them all).
 */
const kycAndUserManagement: Migration = {
  async up(db) {
    await sql`
      alter table users add column kyc_reason text check (char_length(kyc_reason) <= 500);
      alter table users add column kyc_decided_by uuid references users (id);
      alter table users add column kyc_decided_at timestamptz;
      alter table users add column status_reason text check (char_length(status_reason) <= 500);
      alter table users add column status_changed_by uuid references users (id);
      alter table users add column status_changed_at timestamptz;
      create index users_staff on users (role) where role <> 'customer';
    `.execute(db);
  },
  async down(db) {
    await sql`
      drop index users_staff;
      alter table users drop column status_changed_at;
      alter table users drop column status_changed_by;
      alter table users drop column status_reason;
      alter table users drop column kyc_decided_at;
      alter table users drop column kyc_decided_by;
      alter table users drop column kyc_reason;
    `.execute(db);
  },
};

export const identityMigrations = {
  '2026-11-21-0004-identity-users-sessions': usersAndSessions,
  '2026-11-21-0012-identity-sessions-lockout': sessionsAndLockout,
  '2026-11-21-0013-identity-pin-two-factor': pinAndTwoFactor,
  '2026-11-21-0014-identity-kyc-user-management': kycAndUserManagement,
} as const;
