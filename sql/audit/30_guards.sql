-- Immutability: audit rows are never updated, deleted or truncated, by any role, the owner and
-- a superuser included, through ordinary statements. The triggers are ENABLE ALWAYS so that
-- session_replication_role = replica does not skip them. Privileges are revoked as well
-- (90_privileges_core.sql). Tests: tests_sql/test_audit_immutability.sql.

create or replace function audit.refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit rows are append-only: % on %.% refused',
    lower(tg_op), tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege',
          hint = 'audit rows can be read, never changed; see docs/audit.md';
end
$$;
comment on function audit.refuse_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on an append-only audit table.';

-- Make an audit table append-only: the guards <table>_append_only (BEFORE UPDATE OR DELETE; with
-- allow_update, <table>_no_delete, BEFORE DELETE) and <table>_no_truncate, both ENABLE ALWAYS,
-- and the same privileges revoked from the table's owner (a superuser ignores privileges: the
-- guards stop it).
create or replace function audit.guard_append_only(target regclass,
                                                   allow_update boolean default false)
returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = target);
  v_row text := v_name || case when allow_update then '_no_delete' else '_append_only' end;
  v_truncate text := v_name || '_no_truncate';
  v_owner text := (select pg_catalog.pg_get_userbyid(c.relowner)
                     from pg_catalog.pg_class c where c.oid = target);
begin
  execute pg_catalog.format('drop trigger if exists %I on %s', v_row, target);
  execute pg_catalog.format(
    'create trigger %I before %s on %s for each row execute function audit.refuse_change()',
    v_row, case when allow_update then 'delete' else 'update or delete' end, target);
  execute pg_catalog.format('alter table %s enable always trigger %I', target, v_row);
  execute pg_catalog.format('drop trigger if exists %I on %s', v_truncate, target);
  execute pg_catalog.format(
    'create trigger %I before truncate on %s for each statement '
    'execute function audit.refuse_change()', v_truncate, target);
  execute pg_catalog.format('alter table %s enable always trigger %I', target, v_truncate);
  execute pg_catalog.format('revoke %s truncate on %s from %I',
    case when allow_update then 'delete,' else 'update, delete,' end, target, v_owner);
end
$$;
comment on function audit.guard_append_only(regclass, boolean) is
  'Make an audit table append-only (or, with allow_update, undeletable): guard triggers refusing '
  'UPDATE/DELETE and TRUNCATE for every role, ENABLE ALWAYS, and those privileges revoked from '
  'its owner.';

select audit.guard_append_only('audit.events');
