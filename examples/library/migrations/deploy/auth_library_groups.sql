-- Deploy library:auth_library_groups to pg
-- The library's seeded groups, RustIO's three: administrator (view, add, change and delete of
-- every resource), editor (no delete) and viewer (view only). editor and viewer come with the
-- core (sql/auth/21_groups_permissions.sql); this adds administrator and links it to every
-- permission present now (auto_actions links the ones registered later).
-- requires: policies_library_2
BEGIN;

insert into auth.groups (name, description, auto_actions) values
  ('administrator', 'May view, add, change and delete every resource.',
   array['view', 'add', 'change', 'delete'])
on conflict (name) do nothing;

insert into auth.group_permissions (group_id, codename)
select g.id, p.codename
  from auth.groups g
 cross join auth.permissions p
 where g.name = 'administrator' and p.auto_grant
on conflict do nothing;

COMMIT;
