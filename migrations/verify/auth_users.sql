-- Verify pgwarden:auth_users
BEGIN;
select id, email, display_name, password_hash, role, is_active, must_change_password,
       password_changed_at, failed_login_count, first_failed_login_at, last_failed_login_at,
       locked_until, last_login_at, created_at, updated_at
  from auth.users where false;
select id, name, auto_actions from auth.groups where false;
select codename, resource, action from auth.permissions where false;
select user_id, group_id from auth.user_groups where false;
select group_id, codename from auth.group_permissions where false;
select user_id, codename from auth.user_permissions where false;
do $verify$
begin
  assert (select count(*) from auth.groups where name in ('editor', 'viewer')) = 2,
         'the seeded groups editor and viewer must exist';
  assert auth.has_perm('users.view') is false, 'has_perm must be false outside a request';
  assert (select count(*) from auth.config) = 1, 'auth.config must hold one row';
  assert pg_catalog.has_function_privilege('pgw_user', 'auth.has_perm(text)', 'execute'),
         'the tiers must be able to call auth.has_perm';
end
$verify$;
ROLLBACK;
