-- The second factor's rules in SQL (docs/recovery.md, R3): the re-auth wall on credential changes,
-- the replay guard, rotation lineage and the old session's revocation reason, single-use backup
-- codes, atomic regeneration, the verify throttle, an administrator's reset and its guards, and
-- who may call what.
begin;
select plan(44);

create function pg_temp.login(e text, tok text) returns bigint language sql as $$
  select session_id from auth.login_finish(e, auth.user_id_by_email(e), true, tok)
$$;
create function pg_temp.sid(tok text) returns bigint language sql as $$
  select id from auth.sessions where token_hash = sha256(convert_to(tok, 'UTF8'))
$$;
create function pg_temp.hashes(n int) returns text[] language sql as $$
  select array_agg('$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$code' || i) from generate_series(1, n) i
$$;
create function pg_temp.as_admin(tok text) returns void language plpgsql as $$
begin
  perform pgwarden.begin_session_request(tok, 'pgw_anon');
end
$$;

insert into auth.users (email, role, password_hash) values
  ('mfa-staff@example.org', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('mfa-admin@example.org', 'administrator', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('mfa-admin2@example.org', 'administrator', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
select pg_temp.login('mfa-staff@example.org', repeat('a', 43));
select pg_temp.login('mfa-staff@example.org', repeat('o', 43));  -- another device

-- who may call what
select is_definer('auth', 'mfa_verify', array['text', 'bigint', 'text'], 'mfa_verify is SECURITY DEFINER');
select is((select proconfig from pg_proc where oid = 'auth.mfa_verify(text,bigint,text)'::regprocedure),
          array['search_path=""'], 'mfa_verify pins search_path');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.mfa_verify(text,bigint,text)', 'execute') $$,
  array['authenticator'], 'only authenticator may verify a code (its step argument is trusted)');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.mfa_use_backup_code(text,bigint,text)', 'execute') $$,
  array['authenticator'], 'only authenticator may use a backup code');
select ok(not has_table_privilege('pgw_developer', 'auth.mfa_secrets', 'select'),
          'no tier reads the encrypted secrets');
select ok(not has_table_privilege('pgw_developer', 'auth.mfa_backup_codes', 'select'),
          'no tier reads the backup-code hashes');

-- enrolment needs an elevated session
select throws_ok($$ select auth.mfa_enrol(repeat('a', 43), decode(repeat('00', 48), 'hex'), 'k1') $$,
                 '42501', 'Re-enter your password first.', 'enrolment needs the re-auth wall');
select auth.elevate_session(pg_temp.sid(repeat('a', 43)));
select lives_ok($$ select auth.mfa_enrol(repeat('a', 43), decode(repeat('00', 48), 'hex'), 'k1') $$,
                'an elevated session starts enrolment');
select throws_ok($$ select auth.mfa_enrol(repeat('a', 43), decode('00', 'hex'), 'k1') $$,
                 '23514', null, 'a bare secret (not nonce || ciphertext || tag) is refused');
select is((select count(*)::int from auth.mfa_secrets m join auth.users u on u.id = m.user_id
            where u.email = 'mfa-staff@example.org' and m.confirmed_at is null), 1,
          'the secret is stored unconfirmed');
select ok(not auth.mfa_pending_of(pg_temp.sid(repeat('a', 43))),
          'an unconfirmed secret puts no session in debt');
select throws_ok($$ select * from auth.mfa_confirm(repeat('a', 43), 100, pg_temp.hashes(7), repeat('b', 43)) $$,
                 '22023', null, 'enrolment issues exactly eight backup codes');
select lives_ok($$ select * from auth.mfa_confirm(repeat('a', 43), 100, pg_temp.hashes(8), repeat('b', 43)) $$,
                'a valid code completes enrolment');
select is((select trust_level from auth.sessions where id = pg_temp.sid(repeat('b', 43))), 'mfa_verified',
          'enrolment rotates to an mfa_verified session');
select is((select parent_session_id from auth.sessions where id = pg_temp.sid(repeat('b', 43))),
          pg_temp.sid(repeat('a', 43)), 'its parent is the old session');
select is((select revoked_reason from auth.sessions where id = pg_temp.sid(repeat('a', 43))),
          'trust_escalation', 'the old session is revoked with reason trust_escalation');
select is((select revoked_reason from auth.sessions where id = pg_temp.sid(repeat('o', 43))),
          'mfa_enabled', 'the other device''s session ends (mfa_enabled)');
select is((select count(*)::int from audit.events where event = 'mfa_enabled'
            and target_id = auth.user_id_by_email('mfa-staff@example.org')::text), 1,
          'one mfa_enabled event');
select ok(not exists (select 1 from audit.events where event like 'mfa%'
                       and (metadata::text like '%ciphertext%' or metadata::text like '%argon2%')),
          'no secret or code reaches the audit');

-- signing in again owes the second factor
select pg_temp.login('mfa-staff@example.org', repeat('c', 43));
select ok(auth.mfa_pending_of(pg_temp.sid(repeat('c', 43))), 'a new password session is pending');
select is(auth.session_claims(repeat('c', 43)) ->> 'mfa_pending', 'true', 'its claims say so');
savepoint pending;
select ok(not pgwarden.begin_session_request(repeat('c', 43), 'pgw_anon'),
          'a pending session gets no data access');
select is(current_user::text, 'pgw_anon', 'it runs as the anonymous role');
rollback to savepoint pending;

-- the replay guard
select throws_ok($$ select * from auth.mfa_verify(repeat('c', 43), 100, repeat('d', 43)) $$,
                 '28000', 'That code was already used.', 'a used step is refused');
select throws_ok($$ select * from auth.mfa_verify(repeat('c', 43), 99, repeat('d', 43)) $$,
                 '28000', 'That code was already used.', 'an older step is refused');
select lives_ok($$ select * from auth.mfa_verify(repeat('c', 43), 101, repeat('d', 43)) $$,
                'a newer step rotates the session');
select is((select last_used_step from auth.mfa_secrets
            where user_id = auth.user_id_by_email('mfa-staff@example.org')), 101::bigint,
          'the guard moved to the accepted step');
select ok(not auth.mfa_pending_of(pg_temp.sid(repeat('d', 43))), 'the rotated session owes nothing');
select throws_ok($$ select * from auth.mfa_verify(repeat('d', 43), 102, repeat('e', 43)) $$,
                 '55000', null, 'a verified session cannot verify again');

-- backup codes: single use
select pg_temp.login('mfa-staff@example.org', repeat('f', 43));
select lives_ok($$ select * from auth.mfa_use_backup_code(repeat('f', 43),
                     (select min(id) from auth.mfa_backup_hashes(repeat('f', 43))), repeat('g', 43)) $$,
                'a backup code completes sign-in');
select is((select (metadata ->> 'remaining')::int from audit.events
            where event = 'mfa_code_consumed' order by id desc limit 1), 7,
          'mfa_code_consumed says how many codes remain');
select pg_temp.login('mfa-staff@example.org', repeat('h', 43));
select throws_ok($$ select * from auth.mfa_use_backup_code(repeat('h', 43),
                     (select min(id) from auth.mfa_backup_codes), repeat('i', 43)) $$,
                 '28000', 'That backup code was already used.', 'a used backup code is refused');

-- regeneration is atomic: every old code is gone at once
select auth.elevate_session(pg_temp.sid(repeat('g', 43)));
create temporary table old_codes as select id from auth.mfa_backup_codes
 where user_id = auth.user_id_by_email('mfa-staff@example.org');
select lives_ok($$ select auth.mfa_regenerate_backup_codes(repeat('g', 43), pg_temp.hashes(8)) $$,
                'an elevated session regenerates the codes');
select is((select count(*)::int from auth.mfa_backup_codes where id in (select id from old_codes)), 0,
          'no old code survives');
select is((select count(*)::int from auth.mfa_backup_codes
            where user_id = auth.user_id_by_email('mfa-staff@example.org') and used_at is null), 8,
          'eight new unused codes');

-- the verify throttle
select auth.mfa_fail(repeat('h', 43)) from generate_series(1, 4);
select is((select locked_until from auth.users where email = 'mfa-staff@example.org'), null,
          'four wrong codes do not lock');
select auth.mfa_fail(repeat('h', 43));
select ok((select locked_until > auth.now() from auth.users where email = 'mfa-staff@example.org'),
          'the fifth wrong code locks the account');
select is((select metadata ->> 'via' from audit.events
            where event = 'account_locked' order by id desc limit 1), 'auto_throttle',
          'account_locked says via auto_throttle');
select is((select revoked_at from auth.sessions where id = pg_temp.sid(repeat('h', 43))), null,
          'the lock is soft: the sessions stay');
update auth.users set locked_until = null where email = 'mfa-staff@example.org';

-- an administrator's reset
select pg_temp.login('mfa-admin@example.org', repeat('j', 43));
create temporary table ids as select email, id from auth.users;
grant select on ids to public;
savepoint reset_one;
select pg_temp.as_admin(repeat('j', 43));
select throws_ok($$ select auth.mfa_reset_by_other((select id from ids where email = 'mfa-staff@example.org'), 'lost phone') $$,
                 '42501', 'Re-enter your password first.', 'the reset needs an elevated session');
rollback to savepoint reset_one;
select auth.elevate_session(pg_temp.sid(repeat('j', 43)));
savepoint reset_two;
select pg_temp.as_admin(repeat('j', 43));
select throws_ok($$ select auth.mfa_reset_by_other((select id from ids where email = 'mfa-staff@example.org'), ' short  ') $$,
                 '23514', 'Give a reason of at least 8 characters.', 'a short reason is refused');
rollback to savepoint reset_two;
savepoint reset_three;
select pg_temp.as_admin(repeat('j', 43));
select throws_ok($$ select auth.mfa_reset_by_other((select id from ids where email = 'mfa-admin2@example.org'), 'lost the phone') $$,
                 '42501', 'You can reset the MFA of lower-ranked users only.', 'an equal rank is refused');
select lives_ok($$ select auth.mfa_reset_by_other((select id from ids where email = 'mfa-staff@example.org'), 'lost the phone') $$,
                'an elevated administrator resets a lower-ranked user''s MFA');
reset role;
select is((select metadata ->> 'actor_user_id' from audit.events
            where event = 'mfa_reset_by_other' order by id desc limit 1),
          auth.user_id_by_email('mfa-admin@example.org')::text,
          'mfa_reset_by_other names the acting administrator');
rollback to savepoint reset_three;

select * from finish();
rollback;
