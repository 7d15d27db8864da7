-- auth.has_perm(codename): the permission check that row policies call. True when the current
-- user (auth.uid()) is active and either holds the administrator or developer tier, or has the
-- permission directly or through a group. Wrap it as `(select auth.has_perm('x.view'))` in a
-- policy so PostgreSQL evaluates it once per statement, not once per row.

create or replace function auth.has_perm(codename text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select coalesce((
    select u.role in ('administrator', 'developer')
           or exists (select 1 from auth.user_permissions up
                       where up.user_id = u.id and up.codename = has_perm.codename)
           or exists (select 1 from auth.user_groups ug
                        join auth.group_permissions gp on gp.group_id = ug.group_id
                       where ug.user_id = u.id and gp.codename = has_perm.codename)
      from auth.users u
     where u.id = auth.uid() and u.is_active), false)
$$;
comment on function auth.has_perm(text) is
  'For row policies: does the current user hold this permission (direct or via a group; '
  'administrator and developer tiers always do; inactive users never)?';

alter function auth.has_perm(text) owner to pgw_auth_service;
revoke execute on function auth.has_perm(text) from public;
grant execute on function auth.has_perm(text) to pgw_anon, pgw_user, authenticator;
grant select on table auth.users, auth.user_permissions, auth.user_groups,
  auth.group_permissions to pgw_auth_service;
