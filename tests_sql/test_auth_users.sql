-- Users, groups, permissions and auth.has_perm (docs/identity.md, rules 1-2, 7-8): emails are
-- normalised and unique whatever their case; only Argon2id hashes are stored; has_perm is the
-- union of direct and group grants (administrator/developer pass, inactive users never);
-- seeded groups; and the privilege facts of every definer function.
begin;
select plan(33);

insert into auth.users (email, role) values ('  Ｍixed.Case@Example.COM ', 'staff');
select is((select email from auth.users where display_name = ''), 'mixed.case@example.com',
          'emails are trimmed, NFKC-normalised and lowercased on write');
select throws_ok($$ insert into auth.users (email) values ('MIXED.case@example.com') $$, '23505',
                 null, 'emails are unique whatever their case');
select throws_ok($$ insert into auth.users (email) values ('not-an-email') $$, '23514', null,
                 'an email must look like one');
select throws_ok($$ insert into auth.users (email, password_hash) values ('p@example.com', 'hunter2hunter2') $$,
                 '23514', null, 'a plaintext password cannot be stored');
select throws_ok($$ insert into auth.users (email, role) values ('r@example.com', 'admin') $$,
                 '23514', null, 'the tier must be one of the five');
select is((select array_agg(name order by name) from auth.groups), array['editor', 'viewer'],
          'the groups editor and viewer are seeded');

-- Permissions: a new resource's permissions join the seeded groups by action.
select auth.register_resource('books');
select is((select array_agg(codename order by codename) from auth.group_permissions gp
             join auth.groups g on g.id = gp.group_id where g.name = 'editor' and codename like 'books.%'),
          array['books.add', 'books.change', 'books.view'], 'editor gets view/add/change of a new resource');
select is((select array_agg(codename order by codename) from auth.group_permissions gp
             join auth.groups g on g.id = gp.group_id where g.name = 'viewer' and codename like 'books.%'),
          array['books.view'], 'viewer gets view of a new resource');
select is((select count(*)::int from auth.group_permissions where codename ~ '^(users|groups|sessions)\.'),
          0, 'the framework''s own users/groups/sessions permissions are not auto-granted to groups');
select throws_ok($$ insert into auth.permissions (codename) values ('books.read') $$, '23514', null,
                 'codenames are <resource>.<view|add|change|delete>');

insert into auth.users (email, role) values ('ed@example.com', 'user'), ('di@example.com', 'staff'),
  ('ad@example.com', 'administrator'), ('off@example.com', 'developer'), ('dv@example.com', 'developer');
insert into auth.user_groups select u.id, g.id from auth.users u, auth.groups g
 where u.email = 'ed@example.com' and g.name = 'editor';
insert into auth.user_permissions select id, 'books.delete' from auth.users where email = 'di@example.com';
update auth.users set is_active = false where email = 'off@example.com';

create function pg_temp.perm(e text, code text) returns boolean language plpgsql as $$
declare
  answer boolean;
begin
  perform set_config('request.jwt.claims',
    json_build_object('sub', (select id from auth.users where email = e)::text)::text, true);
  set local role pgw_user;
  answer := auth.has_perm(code);
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return answer;
end
$$;
select ok(pg_temp.perm('ed@example.com', 'books.change'), 'a group grant counts');
select ok(not pg_temp.perm('ed@example.com', 'books.delete'), 'editor has no delete');
select ok(pg_temp.perm('di@example.com', 'books.delete'), 'a direct grant counts');
select ok(not pg_temp.perm('di@example.com', 'books.view'), 'nothing else is granted');
select ok(pg_temp.perm('ad@example.com', 'books.delete'), 'administrators pass');
select ok(pg_temp.perm('dv@example.com', 'anything.view'), 'developers pass');
select ok(not pg_temp.perm('off@example.com', 'books.view'), 'an inactive developer does not pass');
select ok(not auth.has_perm('books.view'), 'anonymous (no claims): false');
select is((select provolatile from pg_proc where oid = 'auth.has_perm(text)'::regprocedure), 's',
          'has_perm is STABLE');

-- Privilege facts: every SECURITY DEFINER function of auth pins search_path and is not
-- executable by PUBLIC; the hash is never granted to a tier.
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace and p.prosecdef
                   and (p.proconfig is null or not 'search_path=""' = any (p.proconfig))),
          array[]::text[], 'every auth definer function pins search_path');
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace and p.prosecdef
                   and has_function_privilege('public', p.oid, 'execute')),
          array[]::text[], 'no auth definer function is executable by PUBLIC');
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace and p.prosecdef
                   and pg_get_userbyid(p.proowner) not in ('pgw_auth_service', 'pgw_session_writer')
                 order by 1),
          array[]::text[], 'every auth definer function is owned by a NOLOGIN service role');
select set_eq($$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user',
                  'pgw_developer']) r where has_function_privilege(r,
                  'auth.login_finish(text, bigint, boolean, text, inet, text, text)', 'execute') $$,
              array['authenticator'], 'only authenticator may finish a login');
select set_eq($$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user',
                  'pgw_developer']) r where has_function_privilege(r,
                  'auth.password_hash_of(bigint)', 'execute') $$,
              array['authenticator'], 'only authenticator may read a password hash');
select ok(not has_column_privilege('pgw_developer', 'auth.users', 'password_hash', 'select'),
          'no tier may read password_hash');
select ok(not has_column_privilege('pgw_developer', 'auth.users', 'password_hash', 'update'),
          'no tier may write password_hash directly');
select ok(not has_column_privilege('pgw_developer', 'auth.sessions', 'token_hash', 'select'),
          'no tier may read token_hash');
select set_eq($$ select r::text from unnest(array['pgw_anon', 'pgw_user', 'authenticator']) r
                 where has_function_privilege(r, 'auth.has_perm(text)', 'execute') $$,
              array['pgw_anon', 'pgw_user', 'authenticator'],
              'has_perm is executable by pgw_anon, the tiers and authenticator');
select ok((select relforcerowsecurity from pg_class where oid = 'auth.users'::regclass),
          'auth.users forces row-level security');
create function pg_temp.visible(e text) returns int language plpgsql as $$
declare
  n int;
begin
  perform set_config('request.jwt.claims',
    json_build_object('sub', (select id from auth.users where email = e)::text)::text, true);
  execute format('set local role %I', 'pgw_' || (select role from auth.users where email = e));
  select count(*) into n from auth.users;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return n;
end
$$;
select is(pg_temp.visible('ed@example.com'), 1, 'a user without users.view sees only their own row');
select is(pg_temp.visible('ad@example.com'), (select count(*)::int from auth.users),
          'an administrator sees every account');
select throws_ok($$ set local role pgw_developer; select password_hash from auth.users $$, '42501',
                 null, 'selecting password_hash as a tier is refused');

select is(array(
  select 'function ' || p.oid::regprocedure from pg_proc p
   where p.pronamespace = 'auth'::regnamespace and obj_description(p.oid, 'pg_proc') is null
  union all
  select 'relation ' || c.oid::regclass from pg_class c
   where c.relnamespace = 'auth'::regnamespace and c.relkind in ('r', 'v')
     and obj_description(c.oid, 'pg_class') is null
  union all
  select 'column ' || c.oid::regclass || '.' || a.attname from pg_class c
    join pg_attribute a on a.attrelid = c.oid
   where c.relnamespace = 'auth'::regnamespace and c.relkind = 'r' and a.attnum > 0
     and not a.attisdropped and col_description(c.oid, a.attnum) is null
  union all
  select 'trigger ' || t.tgname from pg_trigger t join pg_class c on c.oid = t.tgrelid
   where c.relnamespace = 'auth'::regnamespace and not t.tgisinternal
     and obj_description(t.oid, 'pg_trigger') is null),
  array[]::text[], 'every function, table, view, column and trigger of auth has a comment');

select * from finish();
rollback;
