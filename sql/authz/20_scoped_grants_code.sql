-- Code of the scoped grants' event log (state: 20_scoped_grants.sql): the trigger that keeps it
-- append-only. Tests: tests_sql/test_authz_scoped_grants.sql.

create or replace function authz.refuse_event_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'authz.scoped_grant_events is append-only'
    using errcode = 'insufficient_privilege',
          hint = 'grant history is never updated or deleted; see docs/policies.md';
end
$$;
comment on function authz.refuse_event_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE of authz.scoped_grant_events, even by its owner.';

drop trigger if exists scoped_grant_events_append_only on authz.scoped_grant_events;
create trigger scoped_grant_events_append_only
  before update or delete on authz.scoped_grant_events
  for each row execute function authz.refuse_event_change();
drop trigger if exists scoped_grant_events_no_truncate on authz.scoped_grant_events;
create trigger scoped_grant_events_no_truncate
  before truncate on authz.scoped_grant_events
  for each statement execute function authz.refuse_event_change();
