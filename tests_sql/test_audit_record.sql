-- audit.record(): a typed event in the caller's transaction, with the actor, session, correlation
-- id and client ip taken from the transaction's settings; unknown and row events are refused;
-- it is a pinned SECURITY DEFINER callable by pgw_session_writer (and the owner) only.
-- audit.record_security_event(): detachable security events only, callable by authenticator only.
begin;
select plan(38);

-- Definer facts.
select is_definer('audit', 'record', array['text', 'text', 'text', 'text', 'jsonb', 'bigint'],
                  'audit.record() is SECURITY DEFINER');
select is_definer('audit', 'record_security_event',
                  array['text', 'bigint', 'text', 'text', 'text', 'jsonb', 'text', 'text'],
                  'audit.record_security_event() is SECURITY DEFINER');
select is((select proconfig from pg_proc where oid = 'audit.record(text,text,text,text,jsonb,bigint)'::regprocedure),
          array['search_path=""'], 'audit.record() pins search_path to empty');
select is((select proconfig from pg_proc
            where oid = 'audit.record_security_event(text,bigint,text,text,text,jsonb,text,text)'::regprocedure),
          array['search_path=""'], 'audit.record_security_event() pins search_path to empty');
select function_privs_are('audit', 'record', array['text', 'text', 'text', 'text', 'jsonb', 'bigint'],
                          'pgw_session_writer', array['EXECUTE'], 'pgw_session_writer may call audit.record()');
select function_privs_are('audit', 'record', array['text', 'text', 'text', 'text', 'jsonb', 'bigint'],
                          r, array[]::text[], r || ' may not call audit.record()')
  from unnest(array['public', 'authenticator', 'pgw_anon', 'pgw_user', 'pgw_administrator',
                    'pgw_developer']) r;
select function_privs_are('audit', 'record_security_event',
                          array['text', 'bigint', 'text', 'text', 'text', 'jsonb', 'text', 'text'],
                          'authenticator', array['EXECUTE'],
                          'authenticator may call audit.record_security_event()');
select function_privs_are('audit', 'record_security_event',
                          array['text', 'bigint', 'text', 'text', 'text', 'jsonb', 'text', 'text'],
                          r, array[]::text[], r || ' may not call audit.record_security_event()')
  from unnest(array['public', 'pgw_anon', 'pgw_user', 'pgw_developer', 'pgw_session_writer']) r;

-- Context comes from the transaction's settings.
savepoint req;
select set_config('role', 'pgw_session_writer', true);
select set_config('request.jwt.claims', '{"sub":"42","role":"pgw_staff","sid":"7"}', true);
select set_config('request.correlation_id', 'corr-record-000000001', true);
select set_config('request.client_ip', '192.0.2.10', true);
create temporary table got on commit drop as
  select audit.record('role_changed', 'auth.users', '9', 'promoted',
                      '{"previous_role":"user","new_role":"staff"}') as id;
reset role;
select is(e.actor_id, 42::bigint, 'the actor is auth.uid() of the request')
  from audit.events e join got using (id);
select is(e.session_id, 7::bigint, 'the session id is the sid claim') from audit.events e join got using (id);
select is(e.correlation_id, 'corr-record-000000001', 'the correlation id is the request''s')
  from audit.events e join got using (id);
select is(e.client_ip, '192.0.2.10'::inet, 'the client ip is the request''s') from audit.events e join got using (id);
select is(e.db_role, session_user::text, 'db_role is the login role (session_user)')
  from audit.events e join got using (id);
select is(e.set_role, 'pgw_session_writer', 'set_role is the role the transaction switched to')
  from audit.events e join got using (id);
select is(e.target_table || '#' || e.target_id || ' ' || e.summary, 'auth.users#9 promoted',
          'target and summary are stored') from audit.events e join got using (id);
select is(e.metadata ->> 'new_role', 'staff', 'metadata is stored') from audit.events e join got using (id);
rollback to savepoint req;

select is(audit.record('session_logout', actor_id => 5), currval('audit.events_id_seq'),
          'audit.record() returns the new event id');
select is((select actor_id from audit.events order by id desc limit 1), 5::bigint,
          'an explicit actor wins over the request');
select is((select correlation_id from audit.events order by id desc limit 1), null,
          'outside a request the correlation id is NULL, never fabricated');
select audit.record('emergency_recovery');
select ok((select actor_id is null and event = 'emergency_recovery' from audit.events order by id desc limit 1),
          'outside a request the actor is NULL (system)');

select throws_ok($$ select audit.record('no_such_event') $$, '22023',
                 'unknown audit event "no_such_event"', 'an unknown event is refused');
select throws_ok($$ select audit.record('update', 'app.t', '1') $$, '22023', null,
                 'row events cannot be forged through audit.record()');
select throws_ok($$ select audit.record('login_failed', metadata => '[1]') $$, '22023', null,
                 'metadata must be an object');
select throws_ok($$ set local role pgw_developer; select audit.record('login_failed') $$, '42501', null,
                 'a tier cannot call audit.record()');

-- Detached security events.
select ok(audit.record_security_event('login_failed', 3, 'auth.users', '3', 'bad password',
            '{"reason":"wrong_password"}', 'corr-detached-0000001', '198.51.100.7') > 0,
          'login_failed can be recorded detached');
select is((select client_ip from audit.events order by id desc limit 1), '198.51.100.7'::inet,
          'the detached event carries the given client ip');
select throws_ok($$ select audit.record_security_event('role_changed', 1) $$, '42501', null,
                 'a non-security event cannot be recorded detached');
select throws_ok($$ select audit.record_security_event('login_failed', 1, client_ip => 'nope') $$,
                 '22023', 'malformed client ip', 'a malformed ip is a typed error');
select throws_ok($$ select audit.record_security_event('login_failed', 1, correlation_id => 'x;y') $$,
                 '22023', 'malformed correlation id', 'a malformed correlation id is a typed error');

select * from finish();
rollback;
