-- pgwarden.begin_request() and begin_session_request() own the request context: one call sets
-- the role, the claims and every request.* setting transaction-locally; a session token gives
-- its tier only while it is live and has data access.
begin;
select plan(28);

insert into auth.users (email, role, password_hash)
values ('ctx-staff@example.org', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
       ('ctx-mcp@example.org', 'staff', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
update auth.users set must_change_password = true where email = 'ctx-mcp@example.org';

create function pg_temp.login(e text, tok text) returns text language sql as $$
  select tok from auth.login_finish(e, auth.user_id_by_email(e), true, tok)
$$;
create temporary table tokens as
select e as email, pg_temp.login(e, t) as token
  from (values ('ctx-staff@example.org', repeat('s', 43)),
               ('ctx-mcp@example.org', repeat('m', 43))) v(e, t);
grant select on tokens to public;

select is(auth.user_id_by_email('  CTX-Staff@Example.ORG '),
          (select id from auth.users where email = 'ctx-staff@example.org'),
          'user_id_by_email normalises as auth.users does');
select is(auth.user_id_by_email('nobody@example.org'), null, 'an unknown email has no id');

savepoint a;
select pgwarden.begin_request('pgw_staff', '{"sub": "42", "role": "pgw_staff"}', 'GET', '/loans',
                              '{"accept": "*/*"}', '{"k": "v"}', 'corr-0123456789abcdef',
                              '192.0.2.1', true);
select is(current_user::text, 'pgw_staff', 'begin_request sets the role');
select is(auth.uid(), 42::bigint, 'the claims are set');
select is(current_setting('request.method'), 'GET', 'request.method is set');
select is(current_setting('request.path'), '/loans', 'request.path is set');
select is(current_setting('request.headers')::jsonb ->> 'accept', '*/*', 'request.headers is set');
select is(current_setting('request.cookies')::jsonb ->> 'k', 'v', 'request.cookies is set');
select is(pgwarden.correlation_id(), 'corr-0123456789abcdef', 'the correlation id is set');
select is(pgwarden.client_ip(), '192.0.2.1'::inet, 'the client address is set');
select is(current_setting('transaction_read_only'), 'on', 'a read is read-only');
rollback to savepoint a;
select is(auth.uid(), null, 'the context ends with its (sub)transaction');

savepoint b;
select ok(pgwarden.begin_session_request((select token from tokens where email = 'ctx-staff@example.org'),
                                         'pgw_anon', 'POST', '/loans'),
          'a live session is used');
select is(current_user::text, 'pgw_staff', 'a session request runs as its tier');
select is(auth.claim('tier'), 'staff', 'the claims carry the tier');
select is(auth.jwt() ? 'must_change_password', false, 'internal flags stay out of the claims');
select is(current_setting('transaction_read_only'), 'off', 'a write is not read-only');
rollback to savepoint b;

savepoint c;
select ok(not pgwarden.begin_session_request((select token from tokens where email = 'ctx-mcp@example.org'),
                                             'pgw_anon'),
          'a must-change-password session is not used for data');
select is(current_user::text, 'pgw_anon', 'it runs as the anonymous role');
rollback to savepoint c;

-- the MFA policy (PGWARDEN_MFA → mfa_required_tiers): a session of a required tier without a
-- confirmed second factor gets no data access; other tiers, and enrolled users, keep theirs
savepoint f;
select ok(not pgwarden.begin_session_request((select token from tokens where email = 'ctx-staff@example.org'),
                                             'pgw_anon', 'GET', '/loans', '{}', '{}', '', '', true,
                                             array['staff', 'administrator']),
          'a session whose tier must enrol first is not used for data');
select is(current_user::text, 'pgw_anon', 'it runs as the anonymous role');
rollback to savepoint f;
savepoint g;
select ok(pgwarden.begin_session_request((select token from tokens where email = 'ctx-staff@example.org'),
                                         'pgw_anon', 'GET', '/loans', '{}', '{}', '', '', true,
                                         array['administrator']),
          'a tier the policy does not name keeps its data access');
rollback to savepoint g;
savepoint h;
insert into auth.mfa_secrets (user_id, ciphertext, key_id, created_at, confirmed_at)
select id, decode(repeat('00', 48), 'hex'), 'k1', now(), now() from auth.users
 where email = 'ctx-staff@example.org';
update auth.sessions set trust_level = 'mfa_verified'  -- as a verified code leaves it
 where user_id = auth.user_id_by_email('ctx-staff@example.org');
select ok(pgwarden.begin_session_request((select token from tokens where email = 'ctx-staff@example.org'),
                                         'pgw_anon', 'GET', '/loans', '{}', '{}', '', '', true,
                                         array['staff']),
          'an enrolled user of a required tier keeps data access');
select is(current_user::text, 'pgw_staff', 'and runs as their tier');
rollback to savepoint h;

savepoint e;
select pgwarden.begin_request('pgw_user', '{"sub": "7"}');
select is(auth.role(), 'pgw_user', 'claims without a role get the role the request runs as');
rollback to savepoint e;

savepoint d;
select ok(not pgwarden.begin_session_request('garbage', 'pgw_anon'), 'a garbage token is not used');
select is(auth.jwt(), '{"role": "pgw_anon"}'::jsonb, 'and carries only the role claim, as PostgREST');
rollback to savepoint d;

select function_privs_are('pgwarden', 'begin_request',
  array['text', 'jsonb', 'text', 'text', 'jsonb', 'jsonb', 'text', 'text', 'boolean'],
  'pgw_anon', array[]::text[], 'a tier cannot call begin_request (only authenticator starts requests)');

select * from finish();
rollback;
