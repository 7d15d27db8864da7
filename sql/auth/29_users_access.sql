-- Who may read and write the identity tables, through grants (columns) and row-level security.
-- password_hash is never granted to a tier: hashes leave the database only through
-- auth.login_begin() and auth.password_hash_of(), which only authenticator may call.
--   users        a user reads their own row; users.view/add/change/delete (administrator and
--                developer always) read and write others, within the rank guards.
--   groups, permissions and their links: read with groups.view; written by administrators.

alter table auth.users enable row level security;
alter table auth.users force row level security;
alter table auth.groups enable row level security;
alter table auth.groups force row level security;
alter table auth.permissions enable row level security;
alter table auth.permissions force row level security;
alter table auth.user_groups enable row level security;
alter table auth.user_groups force row level security;
alter table auth.group_permissions enable row level security;
alter table auth.group_permissions force row level security;
alter table auth.user_permissions enable row level security;
alter table auth.user_permissions force row level security;

grant select (id, email, display_name, role, is_active, must_change_password,
              password_changed_at, failed_login_count, last_failed_login_at, locked_until,
              last_login_at, created_at, updated_at)
  on table auth.users to pgw_user;
grant insert (email, display_name, role, is_active, must_change_password)
  on table auth.users to pgw_staff;
grant update (email, display_name, role, is_active, must_change_password, locked_until)
  on table auth.users to pgw_staff;
grant delete on table auth.users to pgw_staff;

drop policy if exists users_select on auth.users;
create policy users_select on auth.users for select to pgw_user
  using (id = (select auth.uid()) or (select auth.has_perm('users.view')));
drop policy if exists users_insert on auth.users;
create policy users_insert on auth.users for insert to pgw_staff
  with check ((select auth.has_perm('users.add')));
drop policy if exists users_update on auth.users;
create policy users_update on auth.users for update to pgw_staff
  using ((select auth.has_perm('users.change')))
  with check ((select auth.has_perm('users.change')));
drop policy if exists users_delete on auth.users;
create policy users_delete on auth.users for delete to pgw_staff
  using ((select auth.has_perm('users.delete')));
drop policy if exists users_service on auth.users;
create policy users_service on auth.users to pgw_auth_service, pgw_session_writer
  using (true) with check (true);

grant select on table auth.groups, auth.permissions, auth.user_groups, auth.group_permissions,
  auth.user_permissions to pgw_staff;
grant insert, update, delete on table auth.groups, auth.user_groups, auth.group_permissions,
  auth.user_permissions to pgw_administrator;

do $policies$
declare
  t text;
begin
  foreach t in array array['groups', 'permissions', 'user_groups', 'group_permissions',
                           'user_permissions'] loop
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_read', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I for select to pgw_staff
         using ((select auth.has_perm(''groups.view'')))', t || '_read', t);
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_write', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I for all to pgw_administrator
         using ((select auth.has_perm(''groups.change'')))
         with check ((select auth.has_perm(''groups.change'')))', t || '_write', t);
    execute pg_catalog.format('drop policy if exists %I on auth.%I', t || '_service', t);
    execute pg_catalog.format(
      'create policy %I on auth.%I to pgw_auth_service using (true) with check (true)',
      t || '_service', t);
  end loop;
end
$policies$;

grant select, insert, update, delete on table auth.users to pgw_auth_service;
grant select on table auth.users to pgw_session_writer;
