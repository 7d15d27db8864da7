-- auth.my_permissions() / api.my_permissions() (sql/auth/23_my_permissions.sql): a user sees the
-- codenames auth.has_perm() grants them (direct and through groups), the administrator tier all,
-- an inactive user or an anonymous request none; the function pins search_path and only the
-- request roles may call it.
begin;
select plan(8);

select auth.register_resource('gadgets');
insert into auth.users (email, role) values ('grouped@example.com', 'staff'),
  ('direct@example.com', 'staff'), ('boss@example.com', 'administrator'),
  ('gone@example.com', 'staff');
insert into auth.user_groups (user_id, group_id)
select u.id, g.id from auth.users u, auth.groups g
 where u.email in ('grouped@example.com', 'gone@example.com') and g.name = 'viewer';
insert into auth.user_permissions (user_id, codename)
select id, 'gadgets.delete' from auth.users where email = 'direct@example.com';
update auth.users set is_active = false where email = 'gone@example.com';

-- the claims of a user, computed as the superuser, then the request runs as pgw_staff
create function pg_temp.as_user(email text) returns void language plpgsql as $$
begin
  reset role;
  perform set_config('request.jwt.claims',
    json_build_object('sub', (select id::text from auth.users u where u.email = as_user.email),
                      'role', 'pgw_staff')::text, true);
  set local role pgw_staff;
end
$$;

select pg_temp.as_user('grouped@example.com');
select ok('gadgets.view' = any(array(select api.my_permissions())),
          'a group''s permission is listed');
select ok(not 'gadgets.delete' = any(array(select api.my_permissions())),
          'a permission neither the user nor a group holds is not listed');
reset role;  -- the same claims, as the superuser: compare with has_perm over every codename
select is(array(select auth.my_permissions()),
          array(select codename from auth.permissions where auth.has_perm(codename) order by 1),
          'the list is exactly what auth.has_perm() grants');
select pg_temp.as_user('direct@example.com');
select is(array(select p from api.my_permissions() p where p like 'gadgets.%'),
          array['gadgets.delete'], 'a direct permission is listed');
select pg_temp.as_user('boss@example.com');
select is((select count(*) from api.my_permissions()), (select count(*) from auth.permissions),
          'the administrator tier holds every permission');
select pg_temp.as_user('gone@example.com');
select is((select count(*) from api.my_permissions()), 0::bigint, 'an inactive user holds none');
reset role;
select set_config('request.jwt.claims', '', true);
set local role pgw_staff;
select is((select count(*) from api.my_permissions()), 0::bigint, 'outside a session: none');
reset role;

select function_privs_are('auth', 'my_permissions', array[]::text[], 'public', array[]::text[],
                          'PUBLIC may not call auth.my_permissions()');

select * from finish();
rollback;
