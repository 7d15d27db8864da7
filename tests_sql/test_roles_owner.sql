-- The owner of pgwarden's objects (docs/threat-model.md, "Who owns the objects"): the schemas and
-- every table, view, sequence and function in them belong to pgw_owner (NOLOGIN), never to a
-- superuser; objects a later change creates are handed to it; the functions owned on purpose by
-- a service role keep that owner; and pgw_owner, though it owns auth.sessions, cannot insert or
-- delete a session row directly (deleting a revoked row and inserting it live would revive a
-- logged-out token). The audit sealer, the job runner and the registry report still work.
begin;
select plan(37);

create function pg_temp.attempt(r text, stmt text) returns text language plpgsql as $$
begin
  if r is not null then
    execute format('set local role %I', r);
  end if;
  execute stmt;
  reset role;
  return 'allowed';
exception when others then
  reset role;
  return sqlstate || ': ' || sqlerrm;
end
$$;

create function pg_temp.superuser_owned(kind text) returns integer language sql as $$
  select count(*)::integer from (
    select c.relowner as owner from pg_class c
     where kind = 'relation' and c.relkind in ('r', 'p', 'v', 'm', 'S', 'c', 'f')
       and c.relnamespace::regnamespace::text in ('pgwarden', 'auth', 'audit', 'authz')
    union all
    select p.proowner from pg_proc p
     where kind = 'function'
       and p.pronamespace::regnamespace::text in ('pgwarden', 'auth', 'audit', 'authz')
    union all
    select t.typowner from pg_type t
     where kind = 'type' and t.typtype in ('d', 'e', 'r', 'c')
       and t.typnamespace::regnamespace::text in ('pgwarden', 'auth', 'audit', 'authz')
    union all
    select n.nspowner from pg_namespace n
     where kind = 'schema' and n.nspname in ('pgwarden', 'auth', 'audit', 'authz', 'api')
  ) o join pg_roles r on r.oid = o.owner
  where r.rolsuper
$$;

-- 1. The role.
select has_role('pgw_owner');
select ok((select not rolcanlogin and not rolsuper and not rolcreaterole and not rolcreatedb
                  and rolbypassrls from pg_roles where rolname = 'pgw_owner'),
          'pgw_owner is NOLOGIN, no superuser, CREATEROLE or CREATEDB; BYPASSRLS (documented)');
select is((select count(*)::int from pg_auth_members m join pg_roles r on r.oid = m.member
            where m.roleid = 'pgw_owner'::regrole
              and r.rolname in ('authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
                                'pgw_supervisor', 'pgw_administrator', 'pgw_developer',
                                'pgw_auth_service', 'pgw_session_writer', 'pgw_policy_reader')),
          0, 'no request or service role is a member of pgw_owner');

-- 2. Who owns what.
select schema_owner_is(s, 'pgw_owner', s || ' belongs to pgw_owner')
  from unnest(array['pgwarden', 'auth', 'audit', 'authz', 'api']) s;
select table_owner_is('auth', 'sessions', 'pgw_owner', 'auth.sessions belongs to pgw_owner');
select table_owner_is('auth', 'users', 'pgw_owner', 'auth.users belongs to pgw_owner');
select table_owner_is('audit', 'events', 'pgw_owner', 'audit.events belongs to pgw_owner');
select is(pg_temp.superuser_owned('schema'), 0, 'no pgwarden schema belongs to a superuser');
select is(pg_temp.superuser_owned('relation'), 0,
          'no table, view or sequence of pgwarden''s schemas belongs to a superuser');
select is(pg_temp.superuser_owned('function'), 0,
          'no function of pgwarden''s schemas belongs to a superuser');
select is(pg_temp.superuser_owned('type'), 0, 'no type of pgwarden''s schemas belongs to a superuser');
select function_owner_is('audit', 'seal', array['integer'], 'pgw_owner',
                         'the sealer (SECURITY DEFINER) runs as pgw_owner');
select function_owner_is('auth', 'invalidate_sessions', array['text', 'text', 'bigint', 'bigint'],
                         'pgw_session_writer', 'the single writer keeps its owner');
select function_owner_is('auth', 'resolve_session', array['text'], 'pgw_auth_service',
                         'the identity definer functions keep pgw_auth_service');

-- 3. What a later change creates is handed to pgw_owner; a service role's function keeps it.
create table auth.owner_probe (id bigint generated always as identity primary key);
create function audit.owner_probe() returns integer language sql as 'select 1';
create view pgwarden.owner_probe with (security_invoker = true) as select 1 as one;
select table_owner_is('auth', 'owner_probe', 'pgw_owner', 'a new table in auth belongs to pgw_owner');
select function_owner_is('audit', 'owner_probe', '{}'::name[], 'pgw_owner',
                         'a new function in audit belongs to pgw_owner');
select view_owner_is('pgwarden', 'owner_probe', 'pgw_owner', 'a new view belongs to pgw_owner');
alter function audit.owner_probe() owner to pgw_auth_service;
select function_owner_is('audit', 'owner_probe', '{}'::name[], 'pgw_auth_service',
                         'a function given to a service role keeps that owner');
create table public.owner_probe (x integer);
select table_owner_is('public', 'owner_probe', current_user::name,
                      'the application''s own schemas are left alone');

-- 4. Direct INSERT/DELETE of sessions: refused for pgw_owner, in replica mode too.
insert into auth.users (email, role) values ('owner-target@example.com', 'user');
create temporary table t as
  select (select id from auth.users where email = 'owner-target@example.com') as uid,
         null::bigint as sid;
grant select on t to public;
select is(pg_temp.attempt(null, format('insert into auth.sessions (user_id, token_hash, created_at, '
            'last_seen_at, idle_expires_at, absolute_expires_at) values (%s, sha256(''a''::bytea), '
            'now(), now(), now() + interval ''1 hour'', now() + interval ''2 hours'')',
            (select uid from t))), 'allowed',
          'a superuser may still insert (nothing stops one; docs/threat-model.md)');
update t set sid = (select id from auth.sessions where token_hash = sha256('a'::bytea));
select matches(pg_temp.attempt('pgw_owner', format('insert into auth.sessions (user_id, token_hash, '
                 'created_at, last_seen_at, idle_expires_at, absolute_expires_at) values (%s, '
                 'sha256(''b''::bytea), now(), now(), now() + interval ''1 hour'', '
                 'now() + interval ''2 hours'')', (select uid from t))),
               '^42501: a session is created only by the login functions',
               'pgw_owner: a direct INSERT of a session is refused');
set local session_replication_role = replica;
select matches(pg_temp.attempt('pgw_owner', format('insert into auth.sessions (user_id, token_hash, '
                 'created_at, last_seen_at, idle_expires_at, absolute_expires_at) values (%s, '
                 'sha256(''c''::bytea), now(), now(), now() + interval ''1 hour'', '
                 'now() + interval ''2 hours'')', (select uid from t))),
               '^42501: a session is created only',
               'pgw_owner in replica mode: still refused (ENABLE ALWAYS)');
reset session_replication_role;
set local role pgw_auth_service;
select is(auth.invalidate_sessions('single', 'logout', null, (select sid from t)),
          array[(select sid from t)], 'the session is revoked by the single writer');
reset role;
select matches(pg_temp.attempt('pgw_owner', format('delete from auth.sessions where id = %s',
                 (select sid from t))),
               '^42501: a session row is removed only by auth.purge_expired',
               'pgw_owner: a direct DELETE of a revoked session is refused');
select is((select count(*)::int from auth.sessions where id = (select sid from t)), 1,
          'the revoked row is still there, so it cannot come back live');
select matches(pg_temp.attempt('pgw_owner', format('update auth.sessions set revoked_at = null, '
                 'revoked_reason = null where id = %s', (select sid from t))),
               '^42501: revoked_at is written only',
               'pgw_owner: un-revoking is refused (the single-writer guard)');
select is(pg_temp.attempt('pgw_auth_service', format('insert into auth.sessions (user_id, '
            'token_hash, created_at, last_seen_at, idle_expires_at, absolute_expires_at) values '
            '(%s, sha256(''d''::bytea), now(), now(), now() + interval ''1 hour'', '
            'now() + interval ''2 hours'')', (select uid from t))), 'allowed',
          'pgw_auth_service (the owner of the login functions) inserts sessions');

-- 5. Deleting a user still removes their revoked sessions (the cascade runs as pgw_owner).
set local role pgw_auth_service;
select ok(cardinality(auth.invalidate_sessions('user', 'administrative_revoke', (select uid from t))) = 1,
          'the remaining session is revoked');
reset role;
select is(pg_temp.attempt(null, format('delete from auth.users where id = %s', (select uid from t))),
          'allowed', 'a user with revoked sessions can be deleted');
select is((select count(*)::int from auth.sessions where user_id = (select uid from t)), 0,
          'and their sessions went with them');

-- 6. What pgw_owner's definer functions do still works.
select lives_ok('select audit.seal()', 'the sealer runs as pgw_owner');
select is(pgwarden.run_job('auth_purge', 'test') ~ 'session\(s\) purged', true,
          'the purge job runs (pgw_owner may call auth.purge_expired)');
select lives_ok('select * from pgwarden.deployed_changes()',
                'the registry report reads the sqitch registry as pgw_owner');

select * from finish();
rollback;
