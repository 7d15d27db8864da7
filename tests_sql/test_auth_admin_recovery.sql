-- R2, organisational recovery (docs/recovery.md): auth.admin_reset_password, auth.lock_user,
-- auth.unlock_user and auth.admin_revoke_sessions. Their guards (tier, re-auth wall with an
-- expired elevation, reason length, self, cross-rank), RustIO's event counts (a 1-hour lock of
-- a user with 2 sessions: 1 account_locked and 2 sessions_revoked_by_other), metadata.actor_user_id
-- distinct from the target, the soft throttle lock, and that revoked_at still has one writer.
begin;
select plan(66);

create function pg_temp.new_session(uid bigint, elevated interval default null) returns bigint
language sql as $$
  insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                             absolute_expires_at, elevated_until)
  values (uid, sha256(convert_to(gen_random_uuid()::text, 'UTF8')), now(), now(),
          now() + interval '30 minutes', now() + interval '12 hours', now() + elevated)
  returning id
$$;
create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
create function pg_temp.live(uid bigint) returns int language sql as $$
  select count(*)::int from auth.sessions where user_id = uid and revoked_at is null
$$;
create function pg_temp.events(ev text, uid bigint) returns int language sql as $$
  select count(*)::int from audit.events
   where event = ev and case when target_table = 'auth.sessions'
                             then metadata ->> 'user_id' = uid::text
                             else target_id = uid::text end
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
  ('boss@example.com', 'administrator'), ('boss2@example.com', 'administrator'),
  ('dev@example.com', 'developer'), ('sup@example.com', 'supervisor'),
  ('lockme@example.com', 'staff'), ('revoke@example.com', 'user'), ('temp@example.com', 'user'),
  ('mail@example.com', 'user'), ('soft@example.com', 'user');
create temporary table s (name text primary key, sid bigint);
insert into s values
  ('boss', pg_temp.new_session(pg_temp.uid('boss@example.com'), '15 minutes')),
  ('boss_bare', pg_temp.new_session(pg_temp.uid('boss@example.com'))),
  ('boss_expired', pg_temp.new_session(pg_temp.uid('boss@example.com'), '-1 second')),
  ('dev', pg_temp.new_session(pg_temp.uid('dev@example.com'), '15 minutes')),
  ('sup', pg_temp.new_session(pg_temp.uid('sup@example.com'), '15 minutes'));
grant select on s to public;
create function pg_temp.sid(n text) returns bigint language sql as $$ select sid from s where name = n $$;
select pg_temp.new_session(pg_temp.uid('lockme@example.com')) from generate_series(1, 2);
select pg_temp.new_session(pg_temp.uid('revoke@example.com')) from generate_series(1, 3);
select pg_temp.new_session(pg_temp.uid('temp@example.com'));
select pg_temp.new_session(pg_temp.uid('mail@example.com')) from generate_series(1, 2);

-- Facts of the functions.
select is_definer('auth', f, a, 'auth.' || f || ' is SECURITY DEFINER')
  from (values ('admin_reset_password', array['bigint', 'text', 'text', 'text', 'text', 'text']),
               ('lock_user', array['bigint', 'text', 'text', 'timestamp with time zone']),
               ('unlock_user', array['bigint', 'text']),
               ('admin_revoke_sessions', array['bigint', 'text'])) v(f, a);
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace
                   and p.proname in ('admin_reset_password', 'lock_user', 'unlock_user',
                                     'admin_revoke_sessions', 'recovery_guard')
                   and (p.proowner <> 'pgw_auth_service'::regrole
                        or p.proconfig is distinct from array['search_path=""'])), '{}'::text[],
          'each is owned by pgw_auth_service and pins search_path');
select set_eq(
  $$ select r from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
      where has_function_privilege(r, 'auth.lock_user(bigint, text, text, timestamptz)', 'execute')
        and has_function_privilege(r, 'auth.unlock_user(bigint, text)', 'execute')
        and has_function_privilege(r, 'auth.admin_revoke_sessions(bigint, text)', 'execute')
        and has_function_privilege(r,
              'auth.admin_reset_password(bigint, text, text, text, text, text)', 'execute') $$,
  array['pgw_administrator', 'pgw_developer'],
  'only administrators (and developers through them) may execute the R2 functions');
select ok(not has_function_privilege('pgw_administrator', 'auth.recovery_guard(bigint, text)',
                                     'execute'), 'the guard itself is not callable by a tier');

-- Guards, in order: tier, re-auth wall, reason, target, self, cross-rank.
select is(pg_temp.as_('sup@example.com', pg_temp.sid('sup'),
            format('select auth.admin_revoke_sessions(%s, %L)',
                   pg_temp.uid('revoke@example.com'), 'a good reason')),
          '42501:', 'a supervisor cannot call it (no EXECUTE)');
grant execute on function auth.admin_revoke_sessions(bigint, text) to pgw_supervisor;
select is(pg_temp.as_('sup@example.com', pg_temp.sid('sup'),
            format('select auth.admin_revoke_sessions(%s, %L)',
                   pg_temp.uid('revoke@example.com'), 'a good reason')),
          '42501:tier', 'with EXECUTE granted anyway, the function refuses a supervisor (tier)');
revoke execute on function auth.admin_revoke_sessions(bigint, text) from pgw_supervisor;
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss_bare'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   'suspicious activity', '1h')),
          '42501:reauth_required', 'a session that never re-authenticated is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss_expired'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   'suspicious activity', '1h')),
          '42501:reauth_required', 'an expired elevation is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('dev'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   'suspicious activity', '1h')),
          '42501:reauth_required', 'someone else''s elevated session does not count');
select is(pg_temp.as_('boss@example.com', null,
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   'suspicious activity', '1h')),
          '42501:reauth_required', 'no session in context (a JWT) is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   '  seven7  ', '1h')),
          '22023:reason_too_short', 'a reason of 7 characters (after trimming) is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.unlock_user(%s, null)', pg_temp.uid('lockme@example.com'))),
          '22023:reason_too_short', 'a missing reason is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            'select auth.unlock_user(999999, ''a good reason'')'),
          'P0002:user_not_found', 'an unknown target is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_revoke_sessions(%s, %L)', pg_temp.uid('boss@example.com'),
                   'a good reason')),
          '42501:self', 'an administrator cannot act on their own account');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('boss2@example.com'),
                   'a good reason', '1h')),
          '42501:cross_rank', 'an administrator cannot lock another administrator');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_reset_password(%s, %L, %L, %L)', pg_temp.uid('dev@example.com'),
                   'a good reason', 'temp_pw', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dGVtcA')),
          '42501:cross_rank', 'an administrator cannot reset a developer');
select is((select count(*)::int from auth.sessions where revoked_at is not null), 0,
          'no refused call revoked anything');

-- Lock presets and explicit times.
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   'a good reason', 'forever')),
          '22023:lock_duration', 'an unknown preset is refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, %L, now() + interval ''1 day'')',
                   pg_temp.uid('lockme@example.com'), 'a good reason', '1h')),
          '22023:lock_duration', 'a preset and an explicit time together are refused');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, until => now() - interval ''1 minute'')',
                   pg_temp.uid('lockme@example.com'), 'a good reason')),
          '22023:lock_in_past', 'a lock that ends in the past is refused');

-- A 1-hour lock of a user with 2 sessions: 1 account_locked and 2 sessions_revoked_by_other.
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.lock_user(%s, %L, %L)', pg_temp.uid('lockme@example.com'),
                   '  suspicious activity  ', '1h')), 'ok', 'an elevated administrator locks for 1h');
select is(pg_temp.live(pg_temp.uid('lockme@example.com')), 0, 'lock: both sessions revoked');
select is((select array_agg(distinct revoked_reason) from auth.sessions
            where user_id = pg_temp.uid('lockme@example.com')), array['administrative_revoke'],
          'lock: reason administrative_revoke');
select is(pg_temp.events('account_locked', pg_temp.uid('lockme@example.com')), 1, 'lock: 1 account_locked');
select is(pg_temp.events('sessions_revoked_by_other', pg_temp.uid('lockme@example.com')), 2,
          'lock: 2 sessions_revoked_by_other');
select is((select (metadata ->> 'via', metadata ->> 'reason', metadata ->> 'preset',
                   (metadata ->> 'actor_user_id')::bigint, actor_id)
             from audit.events where event = 'account_locked'
              and target_id = pg_temp.uid('lockme@example.com')::text),
          ('manual'::text, 'suspicious activity'::text, '1h'::text, pg_temp.uid('boss@example.com'),
           pg_temp.uid('boss@example.com')),
          'account_locked: via manual, the trimmed reason, the preset, the actor');
select ok((select bool_and((metadata ->> 'actor_user_id')::bigint = pg_temp.uid('boss@example.com')
                           and metadata ->> 'action_reason' = 'suspicious activity')
             from audit.events where event = 'sessions_revoked_by_other'
              and metadata ->> 'user_id' = pg_temp.uid('lockme@example.com')::text),
          'each sessions_revoked_by_other names the actor and the reason');
select ok((select locked_until <= now() + interval '1 hour' and locked_until > now() + interval '59 minutes'
             from auth.users where email = 'lockme@example.com'), 'lock: locked_until = now + 1 hour');
select is((select locked_via from auth.users where email = 'lockme@example.com'), 'manual',
          'lock: locked_via manual');
select is(current_setting('pgwarden.action_reason', true), '', 'the reason setting is cleared after');

-- Unlock clears the lock and the counter and leaves sessions alone.
update auth.users set failed_login_count = 3 where email = 'lockme@example.com';
select pg_temp.new_session(pg_temp.uid('lockme@example.com'));
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.unlock_user(%s, %L)', pg_temp.uid('lockme@example.com'),
                   'verified by phone')), 'ok', 'unlock succeeds');
select is((select (locked_until, locked_via, failed_login_count) from auth.users
            where email = 'lockme@example.com'), (null::timestamptz, null::text, 0),
          'unlock: no lock, counter zero');
select is(pg_temp.live(pg_temp.uid('lockme@example.com')), 1, 'unlock: the live session stays');
select is(pg_temp.events('sessions_revoked_by_other', pg_temp.uid('lockme@example.com')), 2,
          'unlock: no session revoked');
select is((select ((metadata ->> 'actor_user_id')::bigint, metadata ->> 'reason')
             from audit.events where event = 'account_unlocked'
              and target_id = pg_temp.uid('lockme@example.com')::text),
          (pg_temp.uid('boss@example.com'), 'verified by phone'::text),
          'account_unlocked: 1 event with the actor and the reason');

-- Revoke sessions: 3 sessions give 3 events, no lock and no headline event.
select is(pg_temp.as_('dev@example.com', pg_temp.sid('dev'),
            format('select auth.admin_revoke_sessions(%s, %L)', pg_temp.uid('revoke@example.com'),
                   'lost laptop')), 'ok', 'a developer revokes a user''s sessions');
select is(pg_temp.live(pg_temp.uid('revoke@example.com')), 0, 'revoke: all 3 revoked');
select is(pg_temp.events('sessions_revoked_by_other', pg_temp.uid('revoke@example.com')), 3,
          'revoke: 3 sessions_revoked_by_other');
select is(pg_temp.events('account_locked', pg_temp.uid('revoke@example.com'))
          + pg_temp.events('password_reset_by_other', pg_temp.uid('revoke@example.com')), 0,
          'revoke: no lock and no headline event');
select is((select locked_until from auth.users where email = 'revoke@example.com'), null,
          'revoke: not locked');

-- Reset, temp_pw: password set, must change, every session revoked, hash never audited.
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_reset_password(%s, %L, %L, %L)', pg_temp.uid('temp@example.com'),
                   'forgot and locked out', 'temp_pw', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dGVtcA')),
          'ok', 'temp_pw reset succeeds');
select is((select (password_hash, must_change_password) from auth.users where email = 'temp@example.com'),
          ('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$dGVtcA'::text, true), 'temp_pw: set, must change');
select is(pg_temp.events('password_reset_by_other', pg_temp.uid('temp@example.com')), 1,
          'temp_pw: 1 password_reset_by_other');
select is(pg_temp.events('sessions_revoked_by_other', pg_temp.uid('temp@example.com')), 1,
          'temp_pw: 1 sessions_revoked_by_other (its one session)');
select is(pg_temp.events('password_changed_self', pg_temp.uid('temp@example.com')), 0,
          'temp_pw: not audited as the user''s own change');
select is((select (metadata ->> 'mode', (metadata ->> 'must_change_password_set')::boolean,
                   (metadata ->> 'invalidated_session_count')::int, metadata ->> 'reason',
                   (metadata ->> 'actor_user_id')::bigint)
             from audit.events where event = 'password_reset_by_other'
              and target_id = pg_temp.uid('temp@example.com')::text),
          ('temp_pw'::text, true, 1, 'forgot and locked out'::text, pg_temp.uid('boss@example.com')),
          'password_reset_by_other: mode, flag, count, reason, actor');
select ok((select actor_id <> target_id::bigint from audit.events
            where event = 'password_reset_by_other'
              and target_id = pg_temp.uid('temp@example.com')::text),
          'the actor is distinct from the target');
select ok(not exists (select 1 from audit.events where metadata::text like '%argon2id%'),
          'no event carries a password hash');

-- Reset, email: a link through the outbox; sessions stay until it is consumed.
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_reset_password(%s, %L, %L, null, %L, %L)',
                   pg_temp.uid('mail@example.com'), 'asked by phone', 'email', repeat('e', 43),
                   'https://admin.example.com')), 'ok', 'email reset succeeds');
select is(pg_temp.live(pg_temp.uid('mail@example.com')), 2, 'email: sessions stay until the link is used');
select is((select (kind, actor_user_id, mail_status) from auth.password_reset_tokens
            where user_id = pg_temp.uid('mail@example.com')),
          ('admin'::text, pg_temp.uid('boss@example.com'), 'pending'::text),
          'email: an admin token, pending mail');
select ok((select body like '%https://admin.example.com/admin/reset-password/' || repeat('e', 43) || '%'
             from auth.mail_outbox where recipient = 'mail@example.com'),
          'email: the mail in the outbox carries the link');
select is((select metadata ->> 'mode' from audit.events where event = 'password_reset_by_other'
            and target_id = pg_temp.uid('mail@example.com')::text), 'email',
          'email: password_reset_by_other with mode email');
select is(pg_temp.as_('boss@example.com', pg_temp.sid('boss'),
            format('select auth.admin_reset_password(%s, %L, %L, null, %L, %L)',
                   pg_temp.uid('mail@example.com'), 'asked by phone', 'email', repeat('f', 43),
                   'https://evil.example.com@x/')), '22023:unsafe_link_base',
          'email: an unsafe link base is refused');
select is(auth.consume_password_reset(repeat('e', 43), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3'),
          2, 'consuming the admin''s link revokes both sessions');
select is((select (metadata ->> 'invalidated_session_count')::int from audit.events
            where event = 'password_reset_self_consume'
              and target_id = pg_temp.uid('mail@example.com')::text), 2,
          'password_reset_self_consume with invalidated_session_count');

-- The throttle's lock is soft: it refuses logins, and sessions stay live.
update auth.users set password_hash = '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c29mdA'
 where email = 'soft@example.com';
insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                           absolute_expires_at)
values (pg_temp.uid('soft@example.com'),
        sha256(convert_to('soft_token_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'UTF8')),
        now(), now(), now() + interval '30 minutes', now() + interval '12 hours');
select count(*) from generate_series(1, 5) i,
  lateral auth.login_finish('soft@example.com', pg_temp.uid('soft@example.com'), false,
                            'login_token_' || i || repeat('x', 40));
select is((select locked_via from auth.users where email = 'soft@example.com'), 'auto_throttle',
          'five failures: an auto_throttle lock');
select is(pg_temp.live(pg_temp.uid('soft@example.com')), 1, 'the automatic lock revokes no session');
select is((select count(*)::int from auth.resolve_session('soft_token_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa')),
          1, 'the session still resolves during a soft lock');
select is((select outcome from auth.login_finish('soft@example.com', pg_temp.uid('soft@example.com'),
                                                 true, repeat('y', 43))), 'failed',
          'a soft lock still refuses a new login, even with the right password');
update auth.users set locked_until = now() + interval '1 day' where email = 'soft@example.com';
select is((select locked_via from auth.users where email = 'soft@example.com'), 'manual',
          'a DBA''s lock over it is manual');
select is(pg_temp.live(pg_temp.uid('soft@example.com')), 0, 'and a manual lock revokes');

-- The single writer is still the only writer of revoked_at.
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace
                   and p.prosrc ~* 'set\s+revoked_at\s*='),
          array['auth.invalidate_sessions(text,text,bigint,bigint)'],
          'only auth.invalidate_sessions() contains an assignment to revoked_at');

select * from finish();
rollback;
