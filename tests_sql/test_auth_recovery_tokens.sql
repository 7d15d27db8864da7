-- R1, self-service reset (docs/recovery.md): reset tokens stored as SHA-256 only, 1 hour, single
-- use, several outstanding; the forgot budget (5 per IP per 15 min) and the consume budget
-- (10 per IP per 5 min) in the database; nothing written for unknown or inactive accounts; the
-- mail queued in the outbox with the token; the outbox's claim, retry, failure and scrubbing;
-- the sweep after 7 days. (The two-connection race of the consume: tests_py/test_auth_recovery_race.py.)
begin;
select plan(53);

create function pg_temp.uid(e text) returns bigint language sql as $$
  select id from auth.users where email = e
$$;
create function pg_temp.tok(c text) returns text language sql as $$ select repeat(c, 43) $$;
create function pg_temp.hash() returns text language sql as $$
  select '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$bmV3'
$$;

insert into auth.users (email, role, is_active) values
  ('known@example.com', 'user', true), ('off@example.com', 'user', false);
insert into auth.sessions (user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                           absolute_expires_at)
select pg_temp.uid('known@example.com'), sha256(convert_to(gen_random_uuid()::text, 'UTF8')),
       now(), now(), now() + interval '30 minutes', now() + interval '12 hours'
  from generate_series(1, 2);

-- Facts.
select columns_are('auth', 'password_reset_tokens', array['id', 'user_id', 'token_hash', 'kind',
  'requested_ip', 'requested_user_agent', 'requested_at', 'expires_at', 'consumed_at',
  'mail_status', 'correlation_id', 'actor_user_id'], 'reset tokens have no plaintext column');
select col_type_is('auth', 'password_reset_tokens', 'token_hash', 'bytea', 'the hash is bytes');
select throws_ok($$ insert into auth.password_reset_tokens (user_id, token_hash, requested_at, expires_at)
                    values (1, convert_to('plaintext-token', 'UTF8'), now(), now() + interval '1 hour') $$,
                 '23514', null, 'anything but a 32-byte SHA-256 is refused');
select set_eq($$ select r from unnest(array['authenticator', 'pgw_anon', 'pgw_user',
                  'pgw_administrator', 'pgw_developer']) r
                 where has_function_privilege(r,
                   'auth.request_password_reset(text, text, text, inet, text)', 'execute')
                   and has_function_privilege(r,
                   'auth.consume_password_reset(text, text, inet, text)', 'execute') $$,
              array['authenticator'], 'only authenticator (the app) requests and consumes');
select ok(not has_table_privilege(r, t, 'select'), r || ' cannot read ' || t)
  from unnest(array['authenticator', 'pgw_developer']) r,
       unnest(array['auth.password_reset_tokens', 'auth.mail_outbox']) t;
select set_eq($$ select r from unnest(array['authenticator', 'pgw_anon', 'pgw_user',
                  'pgw_administrator', 'pgw_developer', 'pgw_auth_service']) r
                 where has_function_privilege(r, 'auth.mail_claim(integer)', 'execute')
                    or has_function_privilege(r, 'auth.mail_result(bigint, boolean, text)', 'execute') $$,
              array['authenticator', 'pgw_auth_service'],
              'only the app (and the owner) drains the outbox');
select is(array(select p.oid::regprocedure::text from pg_proc p
                 where p.pronamespace = 'auth'::regnamespace and p.prosecdef
                   and p.proname in ('request_password_reset', 'consume_password_reset',
                     'issue_reset_token', 'mail_claim', 'mail_result', 'mail_status',
                     'throttle_hit', 'purge_recovery')
                   and (p.proowner <> 'pgw_auth_service'::regrole
                        or p.proconfig is distinct from array['search_path=""'])), '{}'::text[],
          'the recovery definer functions are owned by pgw_auth_service and pin search_path');
select is_definer('auth', 'request_password_reset', array['text', 'text', 'text', 'inet', 'text'],
                  'request_password_reset is SECURITY DEFINER');
select is((select proconfig from pg_proc
            where oid = 'auth.consume_password_reset(text, text, inet, text)'::regprocedure),
          array['search_path=""'], 'consume pins search_path');

-- Unknown and inactive: nothing written at all.
select auth.request_password_reset('nobody@example.com', pg_temp.tok('a'), 'https://x.example', '192.0.2.1');
select auth.request_password_reset('off@example.com', pg_temp.tok('b'), 'https://x.example', '192.0.2.1');
select is((select count(*)::int from auth.password_reset_tokens), 0, 'unknown, inactive: no token');
select is((select count(*)::int from auth.mail_outbox), 0, 'unknown, inactive: no mail');
select is((select count(*)::int from audit.events where event = 'password_reset_self_request'), 0,
          'unknown, inactive: no audit row');

-- Known: a token (SHA-256, 1 hour), a queued mail with the link, one audit event.
select auth.request_password_reset('  KNOWN@example.com ', pg_temp.tok('c'), 'https://x.example',
                                   '192.0.2.1', 'curl/8');
select is((select count(*)::int from auth.password_reset_tokens
            where token_hash = sha256(convert_to(pg_temp.tok('c'), 'UTF8'))), 1,
          'known: the token is stored as its SHA-256');
select is((select expires_at - requested_at from auth.password_reset_tokens), interval '1 hour',
          'the token lives 1 hour');
select is((select (recipient, status, kind) from auth.mail_outbox),
          ('known@example.com'::text, 'pending'::text, 'password_reset'::text),
          'the mail is queued in the same transaction');
select ok((select body like '%https://x.example/admin/reset-password/' || pg_temp.tok('c') || '%'
             and body like '%expires in 1 hour and can only be used once%' from auth.mail_outbox),
          'the mail carries the link and RustIO''s copy');
select is((select (metadata ->> 'token_fingerprint', metadata ->> 'email_send_status',
                   metadata ->> 'requested_ip')
             from audit.events where event = 'password_reset_self_request'),
          (auth.token_fingerprint(pg_temp.tok('c')), 'queued'::text, '192.0.2.1'::text),
          'password_reset_self_request with the fingerprint, not the token');
select ok(not exists (select 1 from audit.events where metadata::text like '%' || pg_temp.tok('c') || '%'),
          'no event carries the token');

-- Several outstanding tokens per user; each consumes once.
select auth.request_password_reset('known@example.com', pg_temp.tok('d'), 'https://x.example', '192.0.2.2');
select is((select count(*)::int from auth.password_reset_tokens
            where user_id = pg_temp.uid('known@example.com') and consumed_at is null), 2,
          'a second request leaves the first token valid');
select is(auth.consume_password_reset(pg_temp.tok('c'), pg_temp.hash(), '192.0.2.9'), 2,
          'consume: both sessions revoked');
select is((select password_hash from auth.users where email = 'known@example.com'), pg_temp.hash(),
          'consume: the password is set');
select is((select array_agg(distinct revoked_reason) from auth.sessions
            where user_id = pg_temp.uid('known@example.com')), array['password_reset'],
          'consume: revoked through the single writer, reason password_reset');
select is((select count(*)::int from audit.events where event = 'password_reset_self_consume'), 1,
          'consume: one password_reset_self_consume');
select is((select (metadata ->> 'invalidated_session_count')::int from audit.events
            where event = 'password_reset_self_consume'), 2, 'with invalidated_session_count 2');
select is((select count(*)::int from audit.events where event in ('password_reset_by_other',
                                                                  'password_changed_self')), 0,
          'consume: not audited as another kind of change');
select is(auth.consume_password_reset(pg_temp.tok('c'), pg_temp.hash(), '192.0.2.9'), null,
          'a used link is no longer valid');
select is(auth.consume_password_reset(pg_temp.tok('d'), pg_temp.hash(), '192.0.2.9'), 0,
          'the other outstanding link still works (once)');
select is(auth.consume_password_reset('garbage', pg_temp.hash(), '192.0.2.9'), null,
          'a garbage token is simply not valid');
select is(auth.consume_password_reset(pg_temp.tok('z'), pg_temp.hash(), '192.0.2.9'), null,
          'an unknown token is not valid');
select is((select count(*)::int from audit.events where event = 'password_reset_self_consume'), 2,
          'failed consumes write no audit row');

-- Expiry: after 1 hour the link is dead.
select auth.request_password_reset('known@example.com', pg_temp.tok('e'), 'https://x.example', '192.0.2.3');
update auth.config set clock_offset = '61 minutes';
select is(auth.consume_password_reset(pg_temp.tok('e'), pg_temp.hash(), '192.0.2.9'), null,
          'an expired link is not valid');
update auth.config set clock_offset = '0';

-- An unsafe link base: no token, no mail, audited as failed.
select auth.request_password_reset('known@example.com', pg_temp.tok('f'),
                                   'https://evil.example/x?y=' || chr(10), '192.0.2.4');
select is((select count(*)::int from auth.password_reset_tokens
            where token_hash = sha256(convert_to(pg_temp.tok('f'), 'UTF8'))), 0,
          'unsafe link base: no token');
select is((select metadata ->> 'email_send_status' from audit.events
            where event = 'password_reset_self_request' order by id desc limit 1), 'failed',
          'unsafe link base: audited with email_send_status failed');
select ok(not auth.safe_link_base('https://' || repeat('a', 250) || '.example'), 'an oversized host is unsafe');
select ok(not auth.safe_link_base('https://a b.example'), 'a host with a space is unsafe');
select ok(auth.safe_link_base('https://admin.example.com:8443/base'), 'a normal base is safe');

-- The forgot budget: 5 per IP per 15 minutes, then silently nothing.
select auth.request_password_reset('known@example.com', pg_temp.tok(chr(103 + i)),
                                   'https://x.example', '198.51.100.1')
  from generate_series(0, 5) i;
select is((select count(*)::int from auth.password_reset_tokens where requested_ip = '198.51.100.1'), 5,
          'forgot budget: the 6th request from one IP writes nothing');
update auth.config set clock_offset = '16 minutes';
select auth.request_password_reset('known@example.com', pg_temp.tok('q'), 'https://x.example', '198.51.100.1');
select is((select count(*)::int from auth.password_reset_tokens where requested_ip = '198.51.100.1'), 6,
          'forgot budget: it refills after 15 minutes');

-- The consume budget: 10 per IP per 5 minutes, then even a valid link is refused.
select auth.consume_password_reset('bad' || i, pg_temp.hash(), '203.0.113.5') from generate_series(1, 10) i;
select is(auth.consume_password_reset(pg_temp.tok('q'), pg_temp.hash(), '203.0.113.5'), null,
          'consume budget: the 11th consume from one IP is refused');
select is(auth.consume_password_reset(pg_temp.tok('q'), pg_temp.hash(), '203.0.113.6'), 0,
          'another IP can still use the link');
update auth.config set clock_offset = '0';

-- The outbox: claim, retry with backoff, fail for good, scrub.
delete from auth.mail_outbox;
insert into auth.mail_outbox (recipient, subject, body, kind) values ('a@example.com', 's', 'b1', 'test');
select is((select count(*)::int from auth.mail_claim(10)), 1, 'a due pending mail is claimed');
select is(auth.mail_result((select id from auth.mail_outbox), false, 'connection refused'), 'pending',
          'a failure keeps it pending');
select is((select (attempts, next_attempt_at > now(), body) from auth.mail_outbox),
          (1, true, 'b1'::text), 'with one attempt counted and a backoff');
select is((select count(*)::int from auth.mail_claim(10)), 0, 'it is not claimed before its backoff');
update auth.mail_outbox set attempts = 7, next_attempt_at = now();
select is(auth.mail_result((select id from auth.mail_outbox), false, 'still refused'), 'failed',
          'the 8th failure fails it for good');
select is((select body from auth.mail_outbox), null, 'a failed mail keeps no body');
insert into auth.mail_outbox (recipient, subject, body, kind) values ('b@example.com', 's', 'b2', 'test');
select is(auth.mail_result((select max(id) from auth.mail_outbox), true), 'sent', 'a success marks it sent');
select is((select body from auth.mail_outbox where recipient = 'b@example.com'), null,
          'a sent mail keeps no body (the link is gone)');

-- The sweep: tokens 7 days past expiry go, with their finished mails.
update auth.config set clock_offset = '8 days 2 hours';
select ok(auth.purge_recovery() > 0, 'the sweep deletes spent tokens');
select is((select count(*)::int from auth.password_reset_tokens), 0, 'none older than 7 days is left');

select * from finish();
rollback;
