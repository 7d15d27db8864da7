-- Code of the event catalog (state: 10_event_types.sql): the guard that keeps identifiers stable.
-- Tests: tests_sql/test_audit_catalog.sql.

-- Identifiers are API: refuse to delete or rename one (descriptions may be improved).
create or replace function audit.event_types_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception 'audit event identifiers are API: % on audit.event_types refused', lower(tg_op)
      using errcode = 'insufficient_privilege',
            hint = 'add a new identifier instead; see docs/audit.md';
  end if;
  if new.id is distinct from old.id then
    raise exception 'audit event identifiers are API: renaming "%" refused', old.id
      using errcode = 'insufficient_privilege',
            hint = 'add a new identifier instead; see docs/audit.md';
  end if;
  return new;
end
$$;
comment on function audit.event_types_guard() is
  'Trigger: refuses DELETE of an event type and any change of its identifier.';

drop trigger if exists event_types_guard on audit.event_types;
create trigger event_types_guard
  before update or delete on audit.event_types
  for each row execute function audit.event_types_guard();
alter table audit.event_types enable always trigger event_types_guard;

drop trigger if exists event_types_no_truncate on audit.event_types;
create trigger event_types_no_truncate
  before truncate on audit.event_types
  for each statement execute function audit.event_types_guard();
alter table audit.event_types enable always trigger event_types_no_truncate;
