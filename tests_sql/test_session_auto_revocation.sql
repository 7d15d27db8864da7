-- Revocation is automatic and lives in SQL (docs/sessions.md, rule 4): a change of auth.users
-- revokes sessions through the single writer, whoever makes it: the app's functions, a tier
-- role through RLS, or a DBA's raw UPDATE in psql. Each case is audited.
begin;
select plan(37);

create function pg_temp.new_session(uid bigint) returns bigint language sql as $$
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at)
  values (uid, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now(), now(),
          now() + interval '30 minutes', now() + interval '12 hours')
  returning id
$$;
create function pg_temp.live(uid bigint) returns int language sql as $$
  select count(*)::int from auth.sessions where user_id = uid and revoked_at is null
$$;
create function pg_temp.reasons(uid bigint) returns text[] language sql as $$
  select array_agg(distinct revoked_reason order by revoked_reason)
    from auth.sessions where user_id = uid and revoked_at is not null
$$;
create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
create function pg_temp.events(ev text, uid bigint) returns int language sql as $$
  select count(*)::int from audit.events where event = ev and target_id = uid::text
$$;
create function pg_temp.as_user(uid bigint, sid bigint, r text) returns void language sql as $$
  select set_config('request.jwt.claims',
                    json_build_object('sub', uid::text, 'sid', sid::text)::text, true),
         set_config('role', r, true)
$$;

insert into auth.users (email, role) values
  ('boss@example.com', 'administrator'), ('dev@example.com', 'developer'),
  ('raw@example.com', 'user'), ('reset@example.com', 'user'), ('self@example.com', 'user'),
  ('lock@example.com', 'staff'), ('off@example.com', 'user'), ('gone@example.com', 'user'),
  ('api@example.com', 'user'), ('rehash@example.com', 'user');
select pg_temp.new_session(id) from auth.users, generate_series(1, 2);

-- A DBA's raw UPDATE of the tier (no request context) revokes every session.
update auth.users set role = 'staff' where email = 'raw@example.com';
select is(pg_temp.live(pg_temp.uid('raw@example.com')), 0, 'raw SQL role change: all sessions revoked');
select is(pg_temp.reasons(pg_temp.uid('raw@example.com')), array['role_changed_by_other'],
          'raw SQL role change: reason role_changed_by_other');
select is((select metadata from audit.events where event = 'role_changed'
            and target_id = pg_temp.uid('raw@example.com')::text),
          '{"new_role": "staff", "previous_role": "user"}'::jsonb,
          'raw SQL role change: role_changed with the previous and new tier');
select is(pg_temp.events('sessions_revoked_by_other', 0) + (select count(*)::int
            from audit.events where event = 'sessions_revoked_by_other'
             and metadata ->> 'user_id' = pg_temp.uid('raw@example.com')::text), 2,
          'raw SQL role change: one sessions_revoked_by_other per session');
select is((select db_role from audit.events where event = 'role_changed'
            and target_id = pg_temp.uid('raw@example.com')::text), session_user::text,
          'the DBA is named by their login role');

-- A password set by someone else (here a DBA) revokes all.
update auth.users set password_hash = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaA'
 where email = 'reset@example.com';
select is(pg_temp.live(pg_temp.uid('reset@example.com')), 0, 'password set by another: all revoked');
select is(pg_temp.reasons(pg_temp.uid('reset@example.com')), array['password_reset_by_other'],
          'password set by another: reason password_reset_by_other');
select is(pg_temp.events('password_reset_by_other', pg_temp.uid('reset@example.com')), 1,
          'password set by another: password_reset_by_other audited');

-- The user's own password change keeps the current session and revokes the others.
create temporary table cur as
  select min(id) as sid from auth.sessions where user_id = pg_temp.uid('self@example.com');
grant select on cur to public;
select pg_temp.as_user(pg_temp.uid('self@example.com'), (select sid from cur), 'pgw_user');
select throws_ok($$ select auth.change_password('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3') $$,
                 '42501', null, 'a bare (not elevated) session cannot change the password');
reset role;
update auth.sessions set elevated_until = now() + interval '15 minutes'
 where id = (select sid from cur);
select pg_temp.as_user(pg_temp.uid('self@example.com'), (select sid from cur), 'pgw_user');
select lives_ok($$ select auth.change_password('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3') $$,
                'a user changes their own password through auth.change_password');
reset role;
select set_config('request.jwt.claims', '', true);
select is(pg_temp.live(pg_temp.uid('self@example.com')), 1, 'own password change: one session left');
select is((select revoked_at from auth.sessions where id = (select sid from cur)), null,
          'own password change: the current session is the one kept');
select is(pg_temp.reasons(pg_temp.uid('self@example.com')), array['user_requested'],
          'own password change: reason user_requested');
select is(pg_temp.events('password_changed_self', pg_temp.uid('self@example.com')), 1,
          'own password change: password_changed_self audited');
select is((select count(*)::int from audit.events where event = 'sessions_revoked_self'
            and metadata ->> 'user_id' = pg_temp.uid('self@example.com')::text), 1,
          'own password change: sessions_revoked_self for the other session');

-- A lock revokes all; the unlock restores nothing.
update auth.users set locked_until = now() + interval '1 hour' where email = 'lock@example.com';
select is(pg_temp.live(pg_temp.uid('lock@example.com')), 0, 'lock: all revoked');
select is(pg_temp.reasons(pg_temp.uid('lock@example.com')), array['account_locked'],
          'lock: reason account_locked');
select is((select metadata ->> 'via' from audit.events where event = 'account_locked'
            and target_id = pg_temp.uid('lock@example.com')::text), 'manual',
          'lock: account_locked via manual');
update auth.users set locked_until = null where email = 'lock@example.com';
select is(pg_temp.events('account_unlocked', pg_temp.uid('lock@example.com')), 1,
          'unlock: account_unlocked audited');
select is(pg_temp.live(pg_temp.uid('lock@example.com')), 0, 'unlock: no session comes back');

-- Deactivation revokes all.
update auth.users set is_active = false where email = 'off@example.com';
select is(pg_temp.live(pg_temp.uid('off@example.com')), 0, 'deactivation: all revoked');
select is(pg_temp.reasons(pg_temp.uid('off@example.com')), array['account_deactivated'],
          'deactivation: reason account_deactivated');
select is((select metadata -> 'changed' from audit.events where event = 'user_updated'
            and target_id = pg_temp.uid('off@example.com')::text), '["is_active"]'::jsonb,
          'deactivation: user_updated names is_active');

-- Deletion revokes (and audits) first; the revoked rows then cascade away.
create temporary table gone as select pg_temp.uid('gone@example.com') as uid;
grant select on gone to public;
delete from auth.users where email = 'gone@example.com';
select is((select count(*)::int from audit.events where event = 'sessions_revoked_by_other'
            and metadata ->> 'user_id' = (select uid from gone)::text
            and metadata ->> 'reason' = 'user_deleted'), 2,
          'deletion: each session revoked (user_deleted) and audited');
select is(pg_temp.events('user_deleted', (select uid from gone)), 1, 'deletion: user_deleted audited');
select is((select count(*)::int from auth.sessions where user_id = (select uid from gone)), 0,
          'deletion: the revoked sessions cascade away');

-- Through the API: an administrator (tier role, RLS) changes a tier; the actor is recorded.
select pg_temp.as_user(pg_temp.uid('boss@example.com'), null, 'pgw_administrator');
update auth.users set role = 'supervisor' where email = 'api@example.com';
reset role;
select set_config('request.jwt.claims', '', true);
select is(pg_temp.live(pg_temp.uid('api@example.com')), 0, 'API role change: all revoked');
select is((select actor_id from audit.events where event = 'role_changed'
            and target_id = pg_temp.uid('api@example.com')::text),
          pg_temp.uid('boss@example.com'), 'API role change: the administrator is the actor');
select is((select set_role from audit.events where event = 'role_changed'
            and target_id = pg_temp.uid('api@example.com')::text), 'pgw_administrator',
          'API role change: the tier role is recorded');

-- A rehash on login (same password, new parameters) revokes nothing.
update auth.users set password_hash = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$b2xk'
 where email = 'rehash@example.com';
select pg_temp.new_session(pg_temp.uid('rehash@example.com'));
select is((select outcome from auth.login_finish('rehash@example.com',
             pg_temp.uid('rehash@example.com'), true, repeat('r', 43), null, null,
             '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3')), 'ok', 'a login with a rehash succeeds');
select is((select password_hash from auth.users where email = 'rehash@example.com'),
          '$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$bmV3', 'the rehash is stored');
select is(pg_temp.live(pg_temp.uid('rehash@example.com')), 2,
          'the rehash revoked nothing (the older session and the new one are live)');
select is(pg_temp.events('password_reset_by_other', pg_temp.uid('rehash@example.com')), 1,
          'only the earlier DBA password set is audited, not the rehash');

-- Profile changes are audited without revoking.
update auth.users set display_name = 'Ada' where email = 'dev@example.com';
select is(pg_temp.live(pg_temp.uid('dev@example.com')), 2, 'a display-name change revokes nothing');
select is((select metadata -> 'changed' from audit.events where event = 'user_updated'
            and target_id = pg_temp.uid('dev@example.com')::text), '["display_name"]'::jsonb,
          'a display-name change is audited as user_updated');
select is(pg_temp.events('user_created', pg_temp.uid('dev@example.com')), 1,
          'user creation was audited as user_created');
select ok(not exists (select 1 from audit.events
                       where metadata::text like '%argon2%' or summary like '%argon2%'),
          'no audit payload carries a password hash');

select * from finish();
rollback;
