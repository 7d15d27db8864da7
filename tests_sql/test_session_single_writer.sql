-- The single writer of auth.sessions.revoked_at (docs/sessions.md, rule 1): only
-- auth.invalidate_sessions() (owned by pgw_session_writer, search_path pinned, EXECUTE only for
-- pgw_auth_service) may set it. Every tier role, pgw_anon, authenticator, the service role, the
-- table owner and a superuser fail, by privilege and, when privileges are granted anyway, by the
-- guard trigger. The writer succeeds and writes one audit event per revoked session.
begin;
select plan(52);

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

create function pg_temp.new_session(uid bigint) returns bigint language sql as $$
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at)
  values (uid, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now(), now(),
          now() + interval '30 minutes', now() + interval '12 hours')
  returning id
$$;

insert into auth.users (email, role) values ('writer-target@example.com', 'user');
create temporary table t as
  select (select id from auth.users where email = 'writer-target@example.com') as uid;
alter table t add column sid bigint;
update t set sid = pg_temp.new_session(uid);
grant select on t to public;

create temporary table roles_to_try (r text);
insert into roles_to_try values ('authenticator'), ('pgw_anon'), ('pgw_user'), ('pgw_staff'),
  ('pgw_supervisor'), ('pgw_administrator'), ('pgw_developer'), ('pgw_auth_service');
grant select on roles_to_try to public;

-- The writer's facts.
select is_definer('auth', 'invalidate_sessions', array['text', 'text', 'bigint', 'bigint'],
                  'auth.invalidate_sessions is SECURITY DEFINER');
select function_owner_is('auth', 'invalidate_sessions', array['text', 'text', 'bigint', 'bigint'],
                         'pgw_session_writer', 'it is owned by pgw_session_writer');
select is((select proconfig from pg_proc
            where oid = 'auth.invalidate_sessions(text, text, bigint, bigint)'::regprocedure),
          array['search_path=""'], 'it pins search_path');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer', 'pgw_auth_service',
       'pgw_session_writer']) r
     where has_function_privilege(r, 'auth.invalidate_sessions(text, text, bigint, bigint)',
                                  'execute') $$,
  array['pgw_auth_service', 'pgw_session_writer'],
  'only pgw_auth_service (and its owner) may execute the single writer');
select ok(not exists (select 1 from pg_auth_members m
                       where m.roleid = 'pgw_session_writer'::regrole),
          'no role is a member of pgw_session_writer');
-- The guard trusts code running as pgw_session_writer: it owns the writer and nothing else.
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.proowner = 'pgw_session_writer'::regrole),
          array['auth.invalidate_sessions(text,text,bigint,bigint)'],
          'pgw_session_writer owns exactly one function, the single writer');

-- 1. By privilege: nobody but the writer holds UPDATE on revoked_at.
select matches(pg_temp.attempt(r, format('update auth.sessions set revoked_at = now(), '
                 'revoked_reason = ''logout'' where id = %s', (select sid from t))),
               '^42501: permission denied', r || ': UPDATE of revoked_at is refused by privilege')
  from roles_to_try order by r;

-- 2. By the guard: grant UPDATE and a permissive policy to everyone, and it still fails.
grant select, update on auth.sessions to public;
create policy test_everyone on auth.sessions to public using (true) with check (true);
select matches(pg_temp.attempt(r, format('update auth.sessions set revoked_at = now(), '
                 'revoked_reason = ''logout'' where id = %s', (select sid from t))),
               '^42501: revoked_at is written only by auth.invalidate_sessions',
               r || ': with UPDATE granted, the guard still refuses')
  from roles_to_try order by r;

-- 3. A superuser (who ran the migrations) is refused too; the owner, pgw_owner, in
-- tests_sql/test_roles_owner.sql.
select ok((select rolsuper from pg_roles where rolname = current_user),
          'this test runs as a superuser');
select matches(pg_temp.attempt(null, format('update auth.sessions set revoked_at = now(), '
                 'revoked_reason = ''logout'' where id = %s', (select sid from t))),
               '^42501: revoked_at is written only', 'owner: UPDATE of revoked_at is refused');
select matches(pg_temp.attempt(null, format('update auth.sessions set revoked_reason = '
                 '''logout'' where id = %s', (select sid from t))),
               '^42501: revoked_at is written only', 'owner: UPDATE of revoked_reason is refused');
set local session_replication_role = replica;
select matches(pg_temp.attempt(null, format('update auth.sessions set revoked_at = now(), '
                 'revoked_reason = ''logout'' where id = %s', (select sid from t))),
               '^42501: revoked_at is written only',
               'owner in replica mode: still refused (the guard is ENABLE ALWAYS)');
reset session_replication_role;
select matches(pg_temp.attempt(null, format('insert into auth.sessions (user_id, token_hash, '
                 'created_at, last_seen_at, idle_expires_at, absolute_expires_at, revoked_at, '
                 'revoked_reason) values (%s, sha256(''x''::bytea), now(), now(), now(), now(), '
                 'now(), ''logout'')', (select uid from t))),
               '^42501: revoked_at is written only', 'owner: INSERT of a revoked row is refused');
select matches(pg_temp.attempt(null, format('delete from auth.sessions where id = %s',
                 (select sid from t))),
               '^42501: a live session cannot be deleted', 'owner: DELETE of a live session is refused');
select matches(pg_temp.attempt(null, 'truncate auth.sessions cascade'),
               '^42501: auth.sessions cannot be truncated', 'owner: TRUNCATE is refused');
select matches(pg_temp.attempt(null, format('update auth.sessions set user_id = user_id + 0, '
                 'token_hash = sha256(''y''::bytea) where id = %s', (select sid from t))),
               '^42501: a session''s user, token hash', 'owner: a token hash cannot be swapped');
select matches(pg_temp.attempt(null, format('update auth.sessions set parent_session_id = id '
                 'where id = %s', (select sid from t))),
               '^42501: a session''s user, token hash', 'owner: a lineage cannot be invented');
select is((select revoked_at from auth.sessions where id = (select sid from t)), null,
          'after all of that, the session is still live');

-- 4. The writer succeeds (as pgw_auth_service, the only grantee) and audits.
set local role pgw_auth_service;
select is(auth.invalidate_sessions('single', 'logout', (select uid from t), (select sid from t)),
          array[(select sid from t)], 'the writer revokes the session and returns its id');
reset role;
select isnt((select revoked_at from auth.sessions where id = (select sid from t)), null,
            'revoked_at is set');
select is((select revoked_reason from auth.sessions where id = (select sid from t)), 'logout',
          'revoked_reason is set');
select is((select count(*)::int from audit.events
            where event = 'session_logout' and target_table = 'auth.sessions'
              and target_id = (select sid from t)::text
              and metadata ->> 'reason' = 'logout'), 1,
          'one session_logout event names the session');
select is(auth.invalidate_sessions('single', 'logout', null, (select sid from t)), '{}'::bigint[],
          'revoking it again changes nothing');
select matches(pg_temp.attempt('pgw_auth_service', format(
                 'select auth.invalidate_sessions(''single'', ''logout'', null, %s)',
                 (select sid from t))), '^allowed', 'a second call is harmless');

-- 5. Nobody, the owner of the writer included, can un-revoke.
grant update on auth.sessions to pgw_session_writer;
select matches(pg_temp.attempt('pgw_session_writer', format(
                 'update auth.sessions set revoked_at = null, revoked_reason = null where id = %s',
                 (select sid from t))), '^42501: revoked_at is written only',
               'pgw_session_writer itself cannot un-revoke');
create temporary table child (sid bigint);
with minted as (
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at, parent_session_id)
  values ((select uid from t), sha256('child'::bytea), now(), now(), now() + interval '1 hour',
          now() + interval '2 hours', (select sid from t))
  returning id)
insert into child select id from minted;
select matches(pg_temp.attempt(null, format('delete from auth.sessions where id = %s',
                 (select sid from t))), '^allowed', 'a revoked session may be purged');
select is((select parent_session_id from auth.sessions where id = (select sid from child)), null,
          'purging a parent clears its children''s lineage (the FK may clear it)');
select is(auth.invalidate_sessions('single', 'logout', null, (select sid from child)),
          array[(select sid from child)], 'the child is revoked like any other session');

-- 6. Targets, and the event per session.
update t set sid = pg_temp.new_session(uid);
select pg_temp.new_session((select uid from t)) from generate_series(1, 2);
select set_config('request.jwt.claims',
                  json_build_object('sub', (select uid from t)::text,
                                    'sid', (select sid from t)::text)::text, true);
select is(cardinality(auth.invalidate_sessions('user_except_current', 'user_requested',
                                                (select uid from t), (select sid from t))), 2,
          'user_except_current revokes the two others');
select is((select revoked_at from auth.sessions where id = (select sid from t)), null,
          'and keeps the current one');
select is((select count(*)::int from audit.events where event = 'sessions_revoked_self'
            and metadata ->> 'user_id' = (select uid from t)::text), 2,
          'one sessions_revoked_self per session when the owner acts');
select is((select count(*)::int from audit.events where event = 'sessions_revoked_self'
            and actor_id = (select uid from t)), 2, 'the events name the acting user');
select set_config('request.jwt.claims', '', true);
select is(cardinality(auth.invalidate_sessions('user', 'administrative_revoke',
                                                (select uid from t))), 1,
          'user revokes the remaining one');
select is((select count(*)::int from audit.events where event = 'sessions_revoked_by_other'
            and target_id = (select sid from t)::text), 1,
          'without an acting owner the event is sessions_revoked_by_other');
select is((select count(*)::int from auth.sessions
            where user_id = (select uid from t) and revoked_at is null), 0,
          'no live session is left');
select throws_ok($$ select auth.invalidate_sessions('everyone', 'logout') $$, '22023', null,
                 'an unknown target is refused');
select throws_ok($$ select auth.invalidate_sessions('user', 'logout') $$, '22023', null,
                 'a target without its user is refused');
select throws_ok(format($$ select auth.invalidate_sessions('single', 'because', null, %s) $$,
                        pg_temp.new_session((select uid from t))), '23514', null,
                 'an unknown reason is refused by the CHECK');

select * from finish();
rollback;
