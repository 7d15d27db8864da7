-- auth.my_permissions(): the codenames the current user holds, for what a client shows (the
-- admin's add, edit and delete buttons): every registered permission for the administrator and
-- developer tiers, otherwise the direct ones and those of the user's groups. The rule is the one
-- auth.has_perm() applies; row policies still decide every statement.
-- api.my_permissions() exposes it to REST clients (`GET /rest/v1/rpc/my_permissions`).
-- Code only (re-runnable). Test: tests_sql/test_auth_my_permissions.sql.

create or replace function auth.my_permissions()
returns setof text
language sql
stable
security definer
set search_path = ''
as $$
  select p.codename
    from auth.permissions p
    join auth.users u on u.id = auth.uid() and u.is_active
   where u.role in ('administrator', 'developer')
      or exists (select 1 from auth.user_permissions up
                  where up.user_id = u.id and up.codename = p.codename)
      or exists (select 1 from auth.user_groups ug
                   join auth.group_permissions gp on gp.group_id = ug.group_id
                  where ug.user_id = u.id and gp.codename = p.codename)
   order by p.codename
$$;
comment on function auth.my_permissions() is
  'The permission codenames the current user holds (as auth.has_perm() decides them), sorted; '
  'none outside a request or for an inactive user.';

alter function auth.my_permissions() owner to pgw_auth_service;
revoke execute on function auth.my_permissions() from public;
grant execute on function auth.my_permissions() to pgw_anon, pgw_user, authenticator;

create or replace function api.my_permissions()
returns setof text
language sql
stable
security invoker
set search_path = ''
as $$
  select auth.my_permissions()
$$;
comment on function api.my_permissions() is
  'REST: the permission codenames the signed-in user holds (GET /rest/v1/rpc/my_permissions).';
revoke execute on function api.my_permissions() from public;
grant execute on function api.my_permissions() to pgw_anon, pgw_user;
