/**
 * Further guards on ledger accounts, so that plain SQL cannot create books that fail the integrity
 * check: an account starts at zero, its kind, currency and id never change, and a closed account
 * stays closed.
 */
import { sql, type Migration } from 'kysely';

export const ledgerAccountGuards: Migration = {
  async up(db) {
    await sql`
      create function ledger_guard_account_insert() returns trigger language plpgsql as $fn$
      begin
        if new.balance_minor <> 0 then
          raise exception 'a ledger account opens with a zero balance'
            using errcode = '23514', constraint = 'ledger_accounts_open_at_zero';
        end if;
        return new;
      end
      $fn$;
      create trigger ledger_accounts_guard_insert before insert on ledger_accounts
        for each row execute function ledger_guard_account_insert();

      create or replace function ledger_guard_balance() returns trigger language plpgsql as $fn$
      begin
        if new.balance_minor is distinct from old.balance_minor and pg_trigger_depth() < 2 then
          raise exception 'ledger balances change only through postings'
            using errcode = '23514', constraint = 'ledger_accounts_balance_from_postings';
        end if;
        if new.id is distinct from old.id or new.kind is distinct from old.kind or new.currency is distinct from old.currency then
          raise exception 'the id, kind and currency of a ledger account never change'
            using errcode = '23514', constraint = 'ledger_accounts_immutable';
        end if;
        if old.status = 'closed' and new.status <> 'closed' then
          raise exception 'a closed ledger account cannot be reopened'
            using errcode = '23514', constraint = 'ledger_accounts_stay_closed';
        end if;
        return new;
      end
      $fn$;
    `.execute(db);
  },
  async down(db) {
    await sql`drop trigger ledger_accounts_guard_insert on ledger_accounts; drop function ledger_guard_account_insert;`.execute(db);
  },
};
