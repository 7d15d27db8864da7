-- Emergency recovery (R4) in SQL: no web-facing role can run it or write its event; each
-- operation writes exactly one emergency_recovery event with the operator, the argv, the reason
-- and the states before and after; a short reason, an inactive user and demoting the sole
-- active administrator are refused.
begin;
select plan(16);

insert into auth.users (email, role, password_hash) values
  ('root-admin@example.org', 'administrator', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('gone@example.org', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
update auth.users set is_active = false where email = 'gone@example.org';
update auth.users set locked_until = now() + interval '1 day', failed_login_count = 5
 where email = 'root-admin@example.org';

select set_eq(
  $$ select r::text from unnest(array['authenticator', 'pgw_anon', 'pgw_user', 'pgw_staff',
       'pgw_supervisor', 'pgw_administrator', 'pgw_developer']) r
     where has_function_privilege(r, 'auth.emergency_recovery(text,text,text,text,jsonb,text,text,text,integer)', 'execute')
        or has_function_privilege(r, 'audit.record(text,text,text,text,jsonb,bigint)', 'execute') $$,
  array[]::text[], 'no web-facing role may run emergency recovery or write an event directly');
select is((select detachable from audit.event_types where id = 'emergency_recovery'), false,
          'emergency_recovery is not detachable, so the app''s detached path refuses it');
set local role authenticator;
select throws_ok($$ select audit.record_security_event('emergency_recovery', null, null, null, 'x', '{}', null, null) $$,
                 '42501', 'event "emergency_recovery" may not be recorded outside its transaction',
                 'the app cannot write emergency_recovery through its detached path');
reset role;

select throws_ok($$ select auth.emergency_recovery('unlock', 'root-admin@example.org', ' short ', 'op@host', '[]') $$,
                 '23514', 'Give a reason of at least 8 characters.', 'a reason of under 8 trimmed characters is refused');
select throws_ok($$ select auth.emergency_recovery('unlock', 'gone@example.org', 'ticket 1234 locked out', 'op@host', '[]') $$,
                 '55000', null, 'an inactive user is refused');
select throws_ok($$ select auth.emergency_recovery('unlock', 'nobody@example.org', 'ticket 1234 locked out', 'op@host', '[]') $$,
                 'P0002', null, 'an unknown email is refused');

select lives_ok($$ select auth.emergency_recovery('unlock', 'ROOT-admin@example.org', 'ticket 1234 locked out',
                   'op@host', '["user", "unlock", "--email", "root-admin@example.org", "--reason", "…"]') $$,
                'unlock runs');
select is((select locked_until from auth.users where email = 'root-admin@example.org'), null, 'the lock is gone');
select is((select count(*)::int from audit.events where event = 'emergency_recovery'), 1,
          'exactly one emergency_recovery event');
select is((select metadata ->> 'os_actor' from audit.events where event = 'emergency_recovery'), 'op@host',
          'it names the operator');
select is((select metadata -> 'before' ->> 'failed_login_count' from audit.events where event = 'emergency_recovery'), '5',
          'it carries the previous state');
select is((select metadata -> 'after' ->> 'failed_login_count' from audit.events where event = 'emergency_recovery'), '0',
          'and the new state');

select throws_ok($$ select auth.emergency_recovery('promote', 'root-admin@example.org', 'ticket 1235 demote', 'op@host', '[]', null, 'staff') $$,
                 '42501', null, 'demoting the sole active administrator is refused');
select lives_ok($$ select auth.emergency_recovery('reset-password', 'root-admin@example.org', 'ticket 1236 forgot',
                   'op@host', '[]', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3') $$,
                'reset-password runs');
select is((select must_change_password from auth.users where email = 'root-admin@example.org'), true,
          'the temporary password must be changed');
select is((select count(*)::int from audit.events where event = 'emergency_recovery'), 2,
          'each command writes its one event');

select * from finish();
rollback;
