/**
 * The ledger's tables. The database itself guards the books, so that no bug in application code
 * (and no hand-written SQL) can commit unbalanced or inconsistent books:
 * - postings are append-only, and every statement that inserts postings must leave each entry it
 *   touches balanced to zero per currency (an AFTER STATEMENT trigger);
 * - at commit, every journal entry has at least two postings (a deferred constraint trigger);
 * - materialized balances change only through postings (the posting trigger applies them, once per
 *   account per statement, and a guard refuses any other change of a balance);
 * - a non-overdraft balance cannot go negative and a closed account holds zero (CHECK constraints),
 *   and nothing posts to a closed account;
 * - a posting's currency is its account's currency (a composite foreign key).
 */
import { sql, type Migration } from 'kysely';
import { ledgerAccountGuards } from './migrations-guards.js';

const ledgerTables: Migration = {
  async up(db) {
    await sql`
      create table ledger_accounts (
        id uuid primary key,
        code text,
        name text not null,
        kind text not null check (kind in ('asset', 'liability', 'equity', 'income', 'expense')),
        category text not null,
        currency char(3) not null check (currency ~ '^[A-Z]{3}$'),
        status text not null default 'active' check (status in ('active', 'frozen', 'closed')),
        allow_overdraft boolean not null default false,
        balance_minor bigint not null default 0,
        created_at timestamptz not null default now(),
        closed_at timestamptz,
        constraint ledger_accounts_balance_non_negative check (allow_overdraft or balance_minor >= 0),
        constraint ledger_accounts_closed_at_zero check (status <> 'closed' or balance_minor = 0),
        constraint ledger_accounts_closed_at_set check ((status = 'closed') = (closed_at is not null)),
        constraint ledger_accounts_id_currency unique (id, currency)
      );
      create unique index ledger_accounts_code_currency on ledger_accounts (code, currency) where code is not null;

      create table journal_entries (
        id uuid primary key,
        seq bigint generated always as identity unique,
        kind text not null check (kind ~ '^[a-z_]{1,40}$'),
        description text check (char_length(description) <= 500),
        reverses_entry_id uuid unique references journal_entries (id),
        created_at timestamptz not null default now()
      );

      create table postings (
        id bigint generated always as identity primary key,
        entry_id uuid not null references journal_entries (id),
        account_id uuid not null,
        currency char(3) not null,
        amount_minor bigint not null check (amount_minor <> 0),
        created_at timestamptz not null default now(),
        foreign key (account_id, currency) references ledger_accounts (id, currency)
      );
      create index postings_account on postings (account_id, id);
      create index postings_entry on postings (entry_id);

      -- Balances follow postings. Inside one statement, every touched entry must balance per
      -- currency, no posting may touch a closed account, and each touched balance is updated once.
      create function ledger_apply_postings() returns trigger language plpgsql as $fn$
      declare
        problem record;
      begin
        select p.entry_id, p.currency, sum(p.amount_minor) as total into problem
          from postings p
         where p.entry_id in (select distinct n.entry_id from new_postings n)
         group by p.entry_id, p.currency
        having sum(p.amount_minor) <> 0
         limit 1;
        if found then
          raise exception 'journal entry % does not balance in % (sum %)', problem.entry_id, problem.currency, problem.total
            using errcode = '23514', constraint = 'postings_entry_balanced';
        end if;
        select n.account_id into problem
          from new_postings n join ledger_accounts a on a.id = n.account_id
         where a.status = 'closed'
         limit 1;
        if found then
          raise exception 'posting to closed account %', problem.account_id
            using errcode = '23514', constraint = 'postings_account_open';
        end if;
        update ledger_accounts a
           set balance_minor = a.balance_minor
             + case when a.kind in ('asset', 'expense') then d.total else -d.total end
          from (select n.account_id, sum(n.amount_minor) as total from new_postings n group by n.account_id) d
         where a.id = d.account_id;
        return null;
      end
      $fn$;
      create trigger postings_apply after insert on postings
        referencing new table as new_postings
        for each statement execute function ledger_apply_postings();

      -- Only the posting trigger (nested one level down) may change a balance.
      create function ledger_guard_balance() returns trigger language plpgsql as $fn$
      begin
        if new.balance_minor is distinct from old.balance_minor and pg_trigger_depth() < 2 then
          raise exception 'ledger balances change only through postings'
            using errcode = '23514', constraint = 'ledger_accounts_balance_from_postings';
        end if;
        return new;
      end
      $fn$;
      create trigger ledger_accounts_guard_balance before update on ledger_accounts
        for each row execute function ledger_guard_balance();

      -- Entries must carry at least two postings by the time their transaction commits.
      create function ledger_check_entry_postings() returns trigger language plpgsql as $fn$
      begin
        if (select count(*) from postings p where p.entry_id = new.id) < 2 then
          raise exception 'journal entry % has fewer than two postings', new.id
            using errcode = '23514', constraint = 'journal_entries_has_postings';
        end if;
        return null;
      end
      $fn$;
      create constraint trigger journal_entries_has_postings after insert on journal_entries
        deferrable initially deferred
        for each row execute function ledger_check_entry_postings();

      -- The journal is append-only: corrections are new entries.
      create function ledger_append_only() returns trigger language plpgsql as $fn$
      begin
        raise exception '% is append-only', tg_table_name
          using errcode = '23514', constraint = 'ledger_append_only';
      end
      $fn$;
      create trigger postings_append_only before update or delete on postings
        for each row execute function ledger_append_only();
      create trigger postings_no_truncate before truncate on postings
        for each statement execute function ledger_append_only();
      create trigger journal_entries_append_only before update or delete on journal_entries
        for each row execute function ledger_append_only();
      create trigger journal_entries_no_truncate before truncate on journal_entries
        for each statement execute function ledger_append_only();

      -- One row per problem; empty when the books are right.
      create view ledger_integrity_problems as
        select 'unbalanced_entry'::text as problem, p.entry_id::text as subject_id,
               format('entry %s sums to %s in %s', p.entry_id, sum(p.amount_minor), p.currency) as detail
          from postings p
         group by p.entry_id, p.currency
        having sum(p.amount_minor) <> 0
        union all
        select 'entry_without_postings', e.id::text,
               format('entry %s has %s posting(s)', e.id, count(p.id))
          from journal_entries e left join postings p on p.entry_id = e.id
         group by e.id
        having count(p.id) < 2
        union all
        select 'balance_mismatch', a.id::text,
               format('account %s holds %s but its postings sum to %s', a.id, a.balance_minor,
                      case when a.kind in ('asset', 'expense') then 1 else -1 end * coalesce(t.total, 0))
          from ledger_accounts a
          left join (select account_id, sum(amount_minor) as total from postings group by account_id) t
            on t.account_id = a.id
         where a.balance_minor <> case when a.kind in ('asset', 'expense') then 1 else -1 end * coalesce(t.total, 0)
        union all
        select 'negative_balance', a.id::text, format('account %s holds %s', a.id, a.balance_minor)
          from ledger_accounts a
         where not a.allow_overdraft and a.balance_minor < 0
        union all
        select 'posting_to_closed_account', p.id::text,
               format('posting %s to account %s after it closed at %s', p.id, a.id, a.closed_at)
          from postings p join ledger_accounts a on a.id = p.account_id
         where a.status = 'closed' and p.created_at > a.closed_at;
    `.execute(db);
  },
  async down(db) {
    await sql`
      drop view if exists ledger_integrity_problems;
      drop table if exists postings;
      drop table if exists journal_entries;
      drop table if exists ledger_accounts;
      drop function if exists ledger_apply_postings, ledger_guard_balance, ledger_check_entry_postings, ledger_append_only;
    `.execute(db);
  },
};

/** System accounts of the bank's base currency. Other currencies get theirs on first use. */
const systemAccounts: Migration = {
  async up(db) {
    await sql`
      insert into ledger_accounts (id, code, name, kind, category, currency, allow_overdraft)
      values
        (gen_random_uuid(), 'cash_vault', 'Cash vault', 'asset', 'system', 'INR', false),
        (gen_random_uuid(), 'clearing', 'Clearing', 'asset', 'system', 'INR', true),
        (gen_random_uuid(), 'bank_equity', 'Bank equity', 'equity', 'system', 'INR', true),
        (gen_random_uuid(), 'fee_income', 'Fee income', 'income', 'system', 'INR', false),
        (gen_random_uuid(), 'interest_expense', 'Interest expense', 'expense', 'system', 'INR', false)
    `.execute(db);
  },
  async down(db) {
    await sql`delete from ledger_accounts where category = 'system'`.execute(db);
  },
};

/** A reversal points to at most one entry; the unique index needs to hold only reversals. */
const partialReversalIndex: Migration = {
  async up(db) {
    await sql`
      alter table journal_entries drop constraint journal_entries_reverses_entry_id_key;
      create unique index journal_entries_reverses_entry_id_key on journal_entries (reverses_entry_id) where reverses_entry_id is not null;
    `.execute(db);
  },
  async down(db) {
    await sql`
      drop index journal_entries_reverses_entry_id_key;
      alter table journal_entries add constraint journal_entries_reverses_entry_id_key unique (reverses_entry_id);
    `.execute(db);
  },
};

export const ledgerMigrations = {
  '2026-11-21-0002-ledger-tables': ledgerTables,
  '2026-11-21-0003-ledger-system-accounts': systemAccounts,
  '2026-11-21-0007-ledger-account-guards': ledgerAccountGuards,
  '2026-11-21-0010-ledger-partial-reversal-index': partialReversalIndex,
} as const;
