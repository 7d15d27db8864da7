-- The session functions a signed-in user may call (docs/sessions.md, rule 1 and the endpoints):
-- each goes through the single writer, reads the caller from the claims, refuses anonymous calls,
-- and cannot reach another user's sessions; auth.revoke_user_sessions is for administrators,
-- within the rank guards. Privilege facts of each.
begin;
select plan(20);

create function pg_temp.login(e text, tok text) returns bigint language sql as $$
  select session_id from auth.login_finish(e, (select id from auth.users where email = e), true, tok)
$$;
create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
create function pg_temp.sid(tok text) returns bigint language sql as $$
  select id from auth.sessions where token_hash = sha256(convert_to(tok, 'UTF8'))
$$;
create function pg_temp.live(tok text) returns boolean language sql as $$
  select exists (select 1 from auth.resolve_session(tok))
$$;
-- Runs stmt as the holder of token tok (their tier and claims, as the app does); returns its
-- first column as text, or the error.
create function pg_temp.as_(tok text, stmt text) returns text language plpgsql as $$
declare
  who record;
  answer text;
begin
  select * into who from auth.resolve_session(tok);
  perform set_config('request.jwt.claims', json_build_object('sub', who.user_id::text,
    'sid', who.session_id::text, 'role', 'pgw_' || who.tier)::text, true);
  execute format('set local role %I', 'pgw_' || who.tier);
  execute stmt into answer;
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return answer;
exception when others then
  reset role;
  perform set_config('request.jwt.claims', '', true);
  return sqlstate || ': ' || sqlerrm;
end
$$;

insert into auth.users (email, role, password_hash)
select e, r, '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'
  from (values ('ann@example.com', 'user'), ('bo@example.com', 'user'),
               ('adm@example.com', 'administrator'), ('dev@example.com', 'developer')) v(e, r);
select pg_temp.login('ann@example.com', repeat(t, 43)) from unnest(array['a', 'b', 'c']) t;
select pg_temp.login('bo@example.com', repeat('x', 43));
select pg_temp.login('adm@example.com', repeat('m', 43));
select pg_temp.login('dev@example.com', repeat('d', 43));

select set_eq($$ select p::text from unnest(array['auth.logout()'::regprocedure,
                   'auth.revoke_my_session(bigint)', 'auth.revoke_my_other_sessions()']) p
                 where has_function_privilege('pgw_user', p, 'execute')
                   and not has_function_privilege('pgw_anon', p, 'execute')
                   and not has_function_privilege('public', p, 'execute') $$,
              array['auth.logout()', 'auth.revoke_my_session(bigint)',
                    'auth.revoke_my_other_sessions()'],
              'the self-service functions: every tier, not pgw_anon, not PUBLIC');
select ok(has_function_privilege('pgw_administrator', 'auth.revoke_user_sessions(bigint)', 'execute')
          and not has_function_privilege('pgw_supervisor', 'auth.revoke_user_sessions(bigint)', 'execute'),
          'revoke_user_sessions: administrators and up only');

-- Someone else's session is out of reach.
select is(pg_temp.as_(repeat('a', 43), format('select auth.revoke_my_session(%s)',
            pg_temp.sid(repeat('x', 43)))), 'false', 'revoke_my_session on another user''s session: false');
select ok(pg_temp.live(repeat('x', 43)), 'and that session is untouched');
select matches(pg_temp.as_(repeat('a', 43), format('select auth.revoke_my_session(%s)',
                 pg_temp.sid(repeat('a', 43)))), '^22023: this is the current session',
               'the current session is refused (log out instead)');
select is(pg_temp.as_(repeat('a', 43), format('select auth.revoke_my_session(%s)',
            pg_temp.sid(repeat('b', 43)))), 'true', 'one of my other sessions: revoked');
select ok(not pg_temp.live(repeat('b', 43)), 'it is dead');
select is(pg_temp.as_(repeat('a', 43), 'select auth.revoke_my_other_sessions()'), '1',
          'revoke_my_other_sessions: the remaining other one');
select ok(pg_temp.live(repeat('a', 43)) and not pg_temp.live(repeat('c', 43)),
          'the current one lives, the other is dead');
select is(pg_temp.as_(repeat('a', 43), 'select auth.logout()'), 'true', 'logout');
select ok(not pg_temp.live(repeat('a', 43)), 'after logout the token is dead');
select is((select array_agg(revoked_reason order by id) from auth.sessions
            where user_id = pg_temp.uid('ann@example.com')),
          array['logout', 'user_requested', 'user_requested'], 'reasons logout and user_requested');
select is((select count(*)::int from audit.events where actor_id = pg_temp.uid('ann@example.com')
            and event in ('sessions_revoked_self', 'session_logout')), 3,
          'each revocation audited with ann as the actor');

-- Anonymous calls are refused.
select throws_ok($$ select auth.revoke_my_other_sessions() $$, '28000', null,
                 'without claims: not signed in');
select is(auth.logout(), null, 'logout without a session revokes nothing');

-- Administrators revoke a lower-ranked user's sessions; not a peer's or a developer's.
select is(pg_temp.as_(repeat('m', 43), format('select auth.revoke_user_sessions(%s)',
            pg_temp.uid('bo@example.com'))), '1', 'an administrator revokes a user''s sessions');
select is((select revoked_reason from auth.sessions where id = pg_temp.sid(repeat('x', 43))),
          'administrative_revoke', 'reason administrative_revoke');
select is((select count(*)::int from audit.events where event = 'sessions_revoked_by_other'
            and actor_id = pg_temp.uid('adm@example.com')), 1, 'audited as by_other, adm acting');
select matches(pg_temp.as_(repeat('m', 43), format('select auth.revoke_user_sessions(%s)',
                 pg_temp.uid('dev@example.com'))), '^42501: You cannot modify users at or above',
               'an administrator cannot revoke a developer''s sessions');
select ok(pg_temp.live(repeat('d', 43)), 'the developer''s session lives');

select * from finish();
rollback;
