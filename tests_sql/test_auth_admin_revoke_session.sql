-- auth.admin_revoke_session (docs/recovery.md, rule 23): an administrator ends one session of a
-- lower-ranked user through the single writer; the tier, self and cross-rank guards; one
-- sessions_revoked_by_other with actor_user_id; the function's facts.
begin;
select plan(14);

create function pg_temp.new_session(uid bigint) returns bigint language sql as $$
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at)
  values (uid, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now(), now(),
          now() + interval '30 minutes', now() + interval '12 hours')
  returning id
$$;
create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
-- Runs a statement as a user's session and tier; 'ok' or SQLSTATE:DETAIL.
create function pg_temp.as_(who text, sid bigint, stmt text) returns text language plpgsql as $$
declare
  d text;
  r text := 'pgw_' || (select role from auth.users where email = who);
begin
  perform set_config('request.jwt.claims', json_build_object(
    'sub', pg_temp.uid(who)::text, 'sid', sid::text)::text, true);
  execute format('set local role %I', r);
  execute stmt;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return 'ok';
exception when others then
  get stacked diagnostics d = pg_exception_detail;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return sqlstate || ':' || coalesce(d, '');
end
$$;

insert into auth.users (email, role) values
  ('boss@example.com', 'administrator'), ('peer@example.com', 'administrator'),
  ('sup@example.com', 'supervisor'), ('clerk@example.com', 'staff');
create temporary table s (name text primary key, sid bigint);
insert into s values
  ('boss', pg_temp.new_session(pg_temp.uid('boss@example.com'))),
  ('boss2', pg_temp.new_session(pg_temp.uid('boss@example.com'))),
  ('peer', pg_temp.new_session(pg_temp.uid('peer@example.com'))),
  ('sup', pg_temp.new_session(pg_temp.uid('sup@example.com'))),
  ('clerk1', pg_temp.new_session(pg_temp.uid('clerk@example.com'))),
  ('clerk2', pg_temp.new_session(pg_temp.uid('clerk@example.com')));
grant select on s to public;
create function pg_temp.sid(n text) returns bigint language sql as $$ select sid from s where name = n $$;

select is_definer('auth', 'admin_revoke_session', array['bigint'], 'SECURITY DEFINER');
select is((select p.proowner::regrole::text || ' ' || array_to_string(p.proconfig, ',')
             from pg_proc p where p.oid = 'auth.admin_revoke_session(bigint)'::regprocedure),
          'pgw_auth_service search_path=""', 'owned by pgw_auth_service, search_path pinned');
select function_privs_are('auth', 'admin_revoke_session', array['bigint'], 'pgw_supervisor',
                          array[]::text[], 'a supervisor may not call it');
select function_privs_are('auth', 'admin_revoke_session', array['bigint'], 'pgw_administrator',
                          array['EXECUTE'], 'an administrator may');

select is(pg_temp.as_('sup@example.com', pg_temp.sid('sup'),
            format('select auth.admin_revoke_session(%s)', pg_temp.sid('clerk1'))),
          '42501:', 'a supervisor is refused by the grant');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_revoke_session(%s)', pg_temp.sid('boss2'))),
          '42501:self', 'not one of the actor''s own sessions');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_revoke_session(%s)', pg_temp.sid('peer'))),
          '42501:cross_rank', 'not a session of a user at the actor''s rank');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            'select auth.admin_revoke_session(999999999)'),
          'P0002:session_not_found', 'an unknown session');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_revoke_session(%s)', pg_temp.sid('clerk1'))),
          'ok', 'an administrator ends a staff session');
select is((select revoked_reason from auth.sessions where id = pg_temp.sid('clerk1')),
          'administrative_revoke', 'revoked by the single writer, administrative_revoke');
select is((select revoked_at from auth.sessions where id = pg_temp.sid('clerk2')), null,
          'the other session of that user stays');
select is((select count(*)::int from audit.events
            where event = 'sessions_revoked_by_other' and target_id = pg_temp.sid('clerk1')::text
              and metadata ->> 'actor_user_id' = pg_temp.uid('boss@example.com')::text),
          1, 'one sessions_revoked_by_other naming the actor');
select set_config('request.jwt.claims', json_build_object(
  'sub', pg_temp.uid('boss@example.com')::text, 'sid', pg_temp.sid('boss')::text)::text, true);
select set_config('pgtap.clerk1', pg_temp.sid('clerk1')::text, true);
set local role pgw_administrator;
select is(auth.admin_revoke_session(current_setting('pgtap.clerk1')::bigint), false,
          'a session already revoked: false, nothing written');
reset role;
select is((select count(*)::int from audit.events
            where event = 'sessions_revoked_by_other' and target_id = pg_temp.sid('clerk1')::text),
          1, 'still one event');

select * from finish();
rollback;
