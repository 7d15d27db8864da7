-- Rank guards live in a trigger on auth.users (docs/identity.md, rules 3-6), so every path obeys
-- them: nobody changes a user at or above their own tier (except themselves), assigns a tier
-- above their own, lowers/deactivates/deletes themselves, or leaves zero active administrators or
-- developers. Refusals are SQLSTATE 42501 with a stable code in DETAIL.
begin;
select plan(22);

create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
-- Runs stmt as user e (their tier role and claims); returns 'ok' or the refusal's DETAIL code.
create function pg_temp.as_(e text, stmt text) returns text language plpgsql as $$
declare
  code text;
begin
  perform set_config('request.jwt.claims', json_build_object('sub', pg_temp.uid(e)::text)::text, true);
  execute format('set local role %I', 'pgw_' || (select role from auth.users where email = e));
  execute stmt;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return 'ok';
exception when insufficient_privilege then
  get stacked diagnostics code = pg_exception_detail;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return coalesce(nullif(code, ''), 'privilege');
end
$$;

insert into auth.users (email, role) values
  ('dev@example.com', 'developer'), ('admin@example.com', 'administrator'),
  ('admin2@example.com', 'administrator'), ('sup@example.com', 'supervisor'),
  ('staff@example.com', 'staff'), ('staff2@example.com', 'staff'), ('user@example.com', 'user');
grant execute on function pg_temp.uid(text) to public;
-- staff@ may manage users (users.change/add/delete) but is still bound by rank.
insert into auth.user_permissions (user_id, codename)
  select pg_temp.uid('staff@example.com'), c from unnest(array['users.view', 'users.change',
    'users.add', 'users.delete']) c;

-- 1. cross-rank
select is(pg_temp.as_('admin@example.com', $$update auth.users set display_name = 'x'
            where email = 'admin2@example.com'$$), 'cross_rank',
          'an administrator cannot modify another administrator');
select is(pg_temp.as_('admin@example.com', $$update auth.users set display_name = 'x'
            where email = 'dev@example.com'$$), 'cross_rank',
          'an administrator cannot modify a developer');
select is(pg_temp.as_('staff@example.com', $$update auth.users set display_name = 'x'
            where email = 'staff2@example.com'$$), 'cross_rank',
          'staff with users.change cannot modify other staff');
select is(pg_temp.as_('staff@example.com', $$delete from auth.users
            where email = 'sup@example.com'$$), 'cross_rank',
          'staff cannot delete a supervisor');
select is(pg_temp.as_('admin@example.com', $$update auth.users set display_name = 'Sue'
            where email = 'sup@example.com'$$), 'ok', 'an administrator may modify a supervisor');
select is(pg_temp.as_('staff@example.com', $$update auth.users set display_name = 'Me'
            where email = 'staff@example.com'$$), 'ok', 'a user may edit themselves');
select is(pg_temp.as_('admin@example.com', $$insert into auth.user_groups (user_id, group_id)
            select pg_temp.uid('dev@example.com'), id from auth.groups where name = 'viewer'$$),
          'cross_rank', 'an administrator cannot regroup a developer');

-- 2. role ceiling
select is(pg_temp.as_('admin@example.com', $$update auth.users set role = 'developer'
            where email = 'sup@example.com'$$), 'role_ceiling',
          'an administrator cannot promote anyone to developer');
select is(pg_temp.as_('admin@example.com', $$insert into auth.users (email, role)
            values ('new-dev@example.com', 'developer')$$), 'role_ceiling',
          'an administrator cannot create a developer');
select is(pg_temp.as_('admin@example.com', $$insert into auth.users (email, role)
            values ('new-admin@example.com', 'administrator')$$), 'ok',
          'an administrator may create an administrator (equal tier)');
select is(pg_temp.as_('staff@example.com', $$update auth.users set role = 'supervisor'
            where email = 'user@example.com'$$), 'role_ceiling',
          'staff cannot promote a user above staff');
select is(pg_temp.as_('staff@example.com', $$update auth.users set role = 'supervisor'
            where email = 'staff@example.com'$$), 'role_ceiling',
          'nobody raises themselves above their tier');

-- 3. self
select is(pg_temp.as_('admin@example.com', $$update auth.users set role = 'staff'
            where email = 'admin@example.com'$$), 'self_demote',
          'nobody lowers their own tier');
select is(pg_temp.as_('admin@example.com', $$update auth.users set is_active = false
            where email = 'admin@example.com'$$), 'self_deactivate',
          'nobody deactivates themselves');
select is(pg_temp.as_('admin@example.com', $$delete from auth.users
            where email = 'admin@example.com'$$), 'self_delete', 'nobody deletes themselves');

-- 4. protected tiers: applies to everyone, a DBA without a request context included.
select throws_ok($$ update auth.users set role = 'administrator' where email = 'dev@example.com' $$,
                 '42501', 'At least one active developer must remain.',
                 'a DBA cannot demote the only developer');
select throws_ok($$ delete from auth.users where email = 'dev@example.com' $$,
                 '42501', 'At least one active developer must remain.',
                 'a DBA cannot delete the only developer');
select throws_ok($$ update auth.users set is_active = false where role = 'administrator' $$,
                 '42501', 'At least one active administrator must remain.',
                 'deactivating every administrator in one statement is refused');
select lives_ok($$ update auth.users set is_active = false where email = 'admin2@example.com' $$,
                'deactivating one of several administrators is fine');
delete from auth.users where email = 'new-admin@example.com';
select is(pg_temp.as_('dev@example.com', $$update auth.users set role = 'staff'
            where email = 'admin@example.com'$$), 'last_administrator',
          'even a developer cannot demote the last active administrator');

-- Without a request context the rank rules 1-3 do not apply (a DBA is trusted).
select lives_ok($$ update auth.users set role = 'supervisor' where email = 'staff2@example.com' $$,
                'a DBA may change tiers freely (within rule 4)');
-- An unknown or inactive actor ranks 0.
select pg_temp.as_('admin2@example.com', $$update auth.users set display_name = 'x'
            where email = 'user@example.com'$$);
select is((select display_name from auth.users where email = 'user@example.com'), '',
          'an inactive administrator (stale claims) changes nobody');

select * from finish();
rollback;
