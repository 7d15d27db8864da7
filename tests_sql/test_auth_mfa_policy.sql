-- The MFA policy and the second factor's re-proof in SQL (docs/recovery-mfa.md, policy):
-- auth.mfa_enrolment_due decides which sessions must enrol for the tiers PGWARDEN_MFA requires;
-- auth.mfa_prove checks a code again (replay guard, single-use backup codes) without rotating;
-- while the account is locked no code is accepted, so a pending session cannot keep guessing.
begin;
select plan(24);

create function pg_temp.login(e text, tok text) returns bigint language sql as $$
  select session_id from auth.login_finish(e, auth.user_id_by_email(e), true, tok)
$$;
create function pg_temp.sid(tok text) returns bigint language sql as $$
  select id from auth.sessions where token_hash = sha256(convert_to(tok, 'UTF8'))
$$;

insert into auth.users (email, role, password_hash) values
  ('pol-staff@example.org', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('pol-admin@example.org', 'administrator', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
select pg_temp.login('pol-staff@example.org', repeat('a', 43));
select pg_temp.login('pol-admin@example.org', repeat('b', 43));

-- who may call what
select is_definer('auth', 'mfa_enrolment_due', array['bigint', 'text[]'], 'mfa_enrolment_due is SECURITY DEFINER');
select is((select proconfig from pg_proc where oid = 'auth.mfa_prove(text,bigint,bigint)'::regprocedure),
          array['search_path=""'], 'mfa_prove pins search_path');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.mfa_prove(text,bigint,bigint)', 'execute') $$,
  array['authenticator'], 'only authenticator may prove a code (its step argument is trusted)');
select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.mfa_enrolment_due(bigint,text[])', 'execute') $$,
  array['authenticator'], 'only authenticator reads the policy rule');

select is(array(select r from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
            'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
           where has_function_privilege(r, 'auth.mfa_refuse_locked(bigint)', 'execute')),
          array[]::text[], 'the lock check is internal: no web-facing role calls it');

-- which sessions must enrol
select ok(not auth.mfa_enrolment_due(pg_temp.sid(repeat('a', 43)), '{}'),
          'optional (no tier required): nobody must enrol');
select ok(auth.mfa_enrolment_due(pg_temp.sid(repeat('a', 43)),
            array['user', 'staff', 'supervisor', 'administrator', 'developer']),
          'required: a staff session without MFA must enrol');
select ok(not auth.mfa_enrolment_due(pg_temp.sid(repeat('a', 43)), array['administrator', 'developer']),
          'required:administrator,developer: staff need not');
select ok(auth.mfa_enrolment_due(pg_temp.sid(repeat('b', 43)), array['administrator', 'developer']),
          'required:administrator,developer: an administrator must');
select ok(not auth.mfa_enrolment_due(null, array['staff']), 'no session, no debt');
select ok(not auth.mfa_policy_satisfied(pg_temp.sid(repeat('b', 43)), array['administrator']),
          'an administrator without MFA does not satisfy the policy');

-- an unconfirmed secret does not satisfy it; a confirmed one does (forward-only: no new session)
insert into auth.mfa_secrets (user_id, ciphertext, key_id, created_at)
values (auth.user_id_by_email('pol-admin@example.org'), decode(repeat('00', 48), 'hex'), 'k1', now());
select ok(auth.mfa_enrolment_due(pg_temp.sid(repeat('b', 43)), array['administrator']),
          'an enrolment not yet confirmed still owes it');
update auth.mfa_secrets set confirmed_at = now()
 where user_id = auth.user_id_by_email('pol-admin@example.org');
select ok(not auth.mfa_enrolment_due(pg_temp.sid(repeat('b', 43)), array['administrator']),
          'a confirmed second factor satisfies the tier rule');
insert into auth.mfa_backup_codes (user_id, code_hash, created_at)
select auth.user_id_by_email('pol-admin@example.org'), '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$c' || i, now()
  from generate_series(1, 2) i;

-- proving the second factor again (to disable it): replay guard and single use, no rotation
select is(auth.mfa_prove(repeat('b', 43), 200, null), 'totp', 'a TOTP step proves it');
select throws_ok($$ select auth.mfa_prove(repeat('b', 43), 200, null) $$, '28000',
                 'That code was already used.', 'the same step is refused (replay guard)');
select is(auth.mfa_prove(repeat('b', 43), null,
            (select min(id) from auth.mfa_backup_hashes(repeat('b', 43)))), 'backup',
          'a backup code proves it');
select throws_ok($$ select auth.mfa_prove(repeat('b', 43), null,
                      (select min(id) from auth.mfa_backup_codes)) $$, '28000',
                 'That backup code was already used.', 'a used backup code is refused');
select is((select metadata ->> 'purpose' from audit.events where event = 'mfa_code_consumed'
            order by id desc limit 1), 'reauth', 'mfa_code_consumed says what it was for');
select is((select revoked_at from auth.sessions where id = pg_temp.sid(repeat('b', 43))), null,
          'proving rotates nothing: the session stays');
select throws_ok($$ select auth.mfa_prove(repeat('a', 43), 300, null) $$, '55000', null,
                 'a user without MFA has nothing to prove');

-- no code is accepted while the account is locked (the verify throttle's soft lock keeps sessions)
select pg_temp.login('pol-admin@example.org', repeat('c', 43));  -- pending: MFA is on
select auth.mfa_fail(repeat('c', 43)) from generate_series(1, (select max_failed_logins from auth.config));
select ok((select locked_until > auth.now() from auth.users where email = 'pol-admin@example.org'),
          'wrong codes locked the account');
select throws_ok($$ select * from auth.mfa_verify(repeat('c', 43), 401, repeat('d', 43)) $$, '28000',
                 'The account is locked.', 'a locked account: a pending session cannot verify, even a valid step');
select throws_ok($$ select * from auth.mfa_use_backup_code(repeat('c', 43),
                      (select max(id) from auth.mfa_backup_codes), repeat('d', 43)) $$, '28000',
                 'The account is locked.', 'a locked account: nor use a backup code');
select throws_ok($$ select auth.mfa_prove(repeat('b', 43), 402, null) $$, '28000',
                 'The account is locked.', 'a locked account: nor prove a code to change MFA');

select * from finish();
rollback;
