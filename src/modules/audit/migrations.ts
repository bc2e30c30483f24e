import { sql, type Migration } from 'kysely';

/**
 * The audit log: append-only, hash-chained. A BEFORE INSERT trigger numbers each row and sets
 * hash = SHA-256(previous hash || canonical row) while its transaction holds the lock on the
 * chain's head, so rows are chained in the order their transactions wrote them. UPDATE, DELETE and TRUNCATE are refused.
 * The canonical row is the JSON array text produced by audit_canonical(); the verifier rebuilds the
 * same text independently (see verify.ts).
 */
const auditLog: Migration = {
  async up(db) {
    await sql`
      create table audit_log (
        seq bigint primary key,
        -- A random id for references; seq is the key (no second unique index on the write path).
        id uuid not null,
        occurred_at timestamptz not null default now(),
        actor_id uuid,
        actor_role text,
        action text not null check (action ~ '^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$'),
        target_type text not null check (char_length(target_type) between 1 and 50),
        target_id text not null check (char_length(target_id) between 1 and 200),
        before jsonb,
        after jsonb,
        ip text,
        user_agent text,
        request_id text,
        prev_hash bytea not null,
        hash bytea not null
      );
      create index audit_log_actor on audit_log (actor_id, seq);
      create index audit_log_target on audit_log (target_type, target_id, seq);
      create index audit_log_action on audit_log (action, seq);

      create table audit_chain_head (
        singleton boolean primary key default true check (singleton),
        last_seq bigint not null,
        last_hash bytea not null
      );
      insert into audit_chain_head (last_seq, last_hash) values (0, '\\x0000000000000000000000000000000000000000000000000000000000000000');

      create function audit_canonical(
        seq bigint, id uuid, occurred_at timestamptz, actor_id uuid, actor_role text, action text,
        target_type text, target_id text, before jsonb, after jsonb, ip text, user_agent text, request_id text
      ) returns text language sql immutable as $$
        select json_build_array(
          seq::text, id::text, to_char(occurred_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
          actor_id::text, actor_role, action, target_type, target_id, before::text, after::text, ip, user_agent, request_id
        )::text
      $$;

      -- The head row is locked (and read) once per transaction; the chain's state inside the
      -- transaction lives in two transaction-local settings, and the head row is written once
      -- per statement. Settings and head roll back together with a savepoint or transaction.
      create function audit_log_chain() returns trigger language plpgsql as $$
      declare
        last_seq bigint;
        last_hash bytea;
        carried text := current_setting('kosh.audit_last_seq', true);
      begin
        if carried is null or carried = '' then
          select h.last_seq, h.last_hash into last_seq, last_hash from audit_chain_head h where singleton for update;
        else
          last_seq := carried::bigint;
          last_hash := decode(current_setting('kosh.audit_last_hash'), 'hex');
        end if;
        new.seq := last_seq + 1;
        new.prev_hash := last_hash;
        new.hash := sha256(last_hash || convert_to(audit_canonical(
          new.seq, new.id, new.occurred_at, new.actor_id, new.actor_role, new.action, new.target_type, new.target_id,
          new.before, new.after, new.ip, new.user_agent, new.request_id), 'UTF8'));
        perform set_config('kosh.audit_last_seq', new.seq::text, true);
        perform set_config('kosh.audit_last_hash', encode(new.hash, 'hex'), true);
        return new;
      end $$;
      create trigger audit_log_chain before insert on audit_log for each row execute function audit_log_chain();

      create function audit_log_move_head() returns trigger language plpgsql as $$
      declare
        carried text := current_setting('kosh.audit_last_seq', true);
      begin
        if carried is not null and carried <> '' then
          update audit_chain_head set last_seq = carried::bigint, last_hash = decode(current_setting('kosh.audit_last_hash'), 'hex')
           where singleton;
        end if;
        return null;
      end $$;
      create trigger audit_log_move_head after insert on audit_log for each statement execute function audit_log_move_head();

      create function audit_log_refuse_change() returns trigger language plpgsql as $$
      begin
        raise exception 'the audit log is append-only' using errcode = '55000';
      end $$;
      create trigger audit_log_append_only before update or delete on audit_log
        for each row execute function audit_log_refuse_change();
      create trigger audit_log_no_truncate before truncate on audit_log
        for each statement execute function audit_log_refuse_change();

      create function audit_chain_head_guard() returns trigger language plpgsql as $$
      begin
        if tg_op = 'UPDATE' and pg_trigger_depth() > 1 then return new; end if;
        raise exception 'the audit chain head moves only when a row is appended' using errcode = '55000';
      end $$;
      create trigger audit_chain_head_guard before update or delete on audit_chain_head
        for each row execute function audit_chain_head_guard();
      create trigger audit_chain_head_no_truncate before truncate on audit_chain_head
        for each statement execute function audit_log_refuse_change();
    `.execute(db);
  },
  async down(db) {
    await sql`
      drop table audit_log; drop table audit_chain_head;
      drop function audit_log_chain(); drop function audit_log_move_head(); drop function audit_log_refuse_change(); drop function audit_chain_head_guard();
      drop function audit_canonical(bigint, uuid, timestamptz, uuid, text, text, text, text, jsonb, jsonb, text, text, text);
    `.execute(db);
  },
};

export const auditMigrations = {
  '2026-11-21-0011-audit-log': auditLog,
} as const;
