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

drop trigger if exists events_append_only on audit.events;
create trigger events_append_only
  before update or delete on audit.events
  for each row execute function audit.refuse_change();
alter table audit.events enable always trigger events_append_only;

drop trigger if exists events_no_truncate on audit.events;
create trigger events_no_truncate
  before truncate on audit.events
  for each statement execute function audit.refuse_change();
alter table audit.events enable always trigger events_no_truncate;
