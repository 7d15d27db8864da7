-- auth.resolve_session(token) (docs/sessions.md, rule 3): returns the identity of a live session
-- only; refuses revoked, idle-expired, absolute-expired, locked and inactive; slides the idle
-- expiry at most once per touch_interval. Only authenticator may call it.
begin;
select plan(26);

create function pg_temp.login(e text, tok text) returns bigint language sql as $$
  select session_id from auth.login_finish(e, (select id from auth.users where email = e), true, tok)
$$;
create function pg_temp.resolves(tok text) returns boolean language sql as $$
  select exists (select 1 from auth.resolve_session(tok))
$$;

insert into auth.users (email, role, password_hash) values
  ('alice@example.com', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('bob@example.com', 'user', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
select pg_temp.login('alice@example.com', repeat('a', 43));

select is_definer('auth', 'resolve_session', array['text'], 'resolve_session is SECURITY DEFINER');
select is((select proconfig from pg_proc where oid = 'auth.resolve_session(text)'::regprocedure),
          array['search_path=""'], 'resolve_session pins search_path');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.resolve_session(text)', 'execute') $$,
  array['authenticator'], 'only authenticator may call resolve_session');

select results_eq(
  $$ select user_id, tier, elevated, must_change_password from auth.resolve_session(repeat('a', 43)) $$,
  $$ select id, 'staff'::text, false, false from auth.users where email = 'alice@example.com' $$,
  'a live token resolves to its user, tier and flags');
select is((select session_id from auth.resolve_session(repeat('a', 43))),
          (select id from auth.sessions where user_id = (select id from auth.users
                                                          where email = 'alice@example.com')),
          'and to its session id');
select ok(not pg_temp.resolves(repeat('z', 43)), 'an unknown token resolves to nothing');
select ok(not pg_temp.resolves('short'), 'a malformed token resolves to nothing');
select ok(not pg_temp.resolves(null), 'NULL resolves to nothing');
select ok(not exists (select 1 from auth.sessions where token_hash = convert_to(repeat('a', 43), 'UTF8')),
          'the token itself is not stored');
select is((select token_hash from auth.sessions where user_id = (select id from auth.users
            where email = 'alice@example.com')), sha256(convert_to(repeat('a', 43), 'UTF8')),
          'its SHA-256 is');

-- Sliding: no write within touch_interval, one write after it.
create temporary table seen as select last_seen_at, idle_expires_at from auth.sessions;
update auth.config set clock_offset = '30 seconds';
select ok(pg_temp.resolves(repeat('a', 43)), 'still live 30 s later');
select is((select last_seen_at from auth.sessions), (select last_seen_at from seen),
          'within touch_interval last_seen_at is not written');
update auth.config set clock_offset = '20 minutes';
select ok(pg_temp.resolves(repeat('a', 43)), 'live 20 minutes later (idle timeout 30 min)');
select is((select idle_expires_at from auth.sessions), now() + interval '50 minutes',
          'the idle expiry slid to (clock + 30 min)');
update auth.config set clock_offset = '49 minutes';
select ok(pg_temp.resolves(repeat('a', 43)), 'live 49 minutes after login, thanks to the slide');

-- The re-auth wall: elevated for reauth_window (15 min), then not.
update auth.config set clock_offset = '0';
select set_eq($$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user',
                 'pgw_developer']) r where has_function_privilege(r, 'auth.elevate_session(bigint)',
                 'execute') $$, array['authenticator'], 'only authenticator may elevate a session');
select is(auth.elevate_session((select session_id from auth.resolve_session(repeat('a', 43)))),
          now() + interval '15 minutes', 'elevate_session opens a 15-minute window');
select ok((select elevated from auth.resolve_session(repeat('a', 43))), 'the session is elevated');
update auth.config set clock_offset = '16 minutes';
select ok(not (select elevated from auth.resolve_session(repeat('a', 43))),
          'and no longer after the window');

-- Idle expiry.
update auth.config set clock_offset = '0';
select pg_temp.login('bob@example.com', repeat('b', 43));
update auth.config set clock_offset = '31 minutes';
select ok(not pg_temp.resolves(repeat('b', 43)), 'idle-expired (31 min unused): refused');

-- Absolute expiry: keep using it every 20 minutes; it still dies at 12 h.
update auth.config set clock_offset = '0';
select pg_temp.login('bob@example.com', repeat('c', 43));
do $$
begin
  for i in 1..35 loop
    update auth.config set clock_offset = make_interval(mins => 20 * i);
    perform auth.resolve_session(repeat('c', 43));
  end loop;
end
$$;
select ok(pg_temp.resolves(repeat('c', 43)), 'used every 20 minutes it lives 11 h 40 min');
update auth.config set clock_offset = '12 hours 1 minute';
select ok(not pg_temp.resolves(repeat('c', 43)), 'absolute-expired (12 h): refused despite use');

-- Revoked, locked, inactive.
update auth.config set clock_offset = '0';
select pg_temp.login('bob@example.com', repeat('d', 43));
select auth.invalidate_sessions('single', 'administrative_revoke', null,
  (select id from auth.sessions where token_hash = sha256(convert_to(repeat('d', 43), 'UTF8'))));
select ok(not pg_temp.resolves(repeat('d', 43)), 'revoked: refused');

select pg_temp.login('bob@example.com', repeat('e', 43));
-- a lock written without the trigger's revocation (replica mode skips ordinary triggers)
set local session_replication_role = replica;
update auth.users set locked_until = now() + interval '1 hour' where email = 'bob@example.com';
reset session_replication_role;
select is((select count(*)::int from auth.sessions where token_hash =
             sha256(convert_to(repeat('e', 43), 'UTF8')) and revoked_at is null), 1,
          'a session whose revocation was bypassed is still unrevoked');
select ok(not pg_temp.resolves(repeat('e', 43)), 'locked user: refused anyway');
set local session_replication_role = replica;
update auth.users set locked_until = null, is_active = false where email = 'bob@example.com';
reset session_replication_role;
select ok(not pg_temp.resolves(repeat('e', 43)), 'inactive user: refused anyway');

select * from finish();
rollback;
