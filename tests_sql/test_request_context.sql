-- The request-context helpers read transaction-local settings: they return what the
-- transaction set, and NULL once that (sub)transaction is gone or when nothing was set.
begin;
select plan(16);

select is(auth.jwt(), null, 'auth.jwt() is NULL outside a request');
select is(auth.uid(), null, 'auth.uid() is NULL outside a request');
select is(auth.claim('role'), null, 'auth.claim() is NULL outside a request');
select is(pgwarden.correlation_id(), null, 'correlation_id() is NULL outside a request');

savepoint request;
select set_config('request.jwt.claims',
                  '{"sub": "42", "role": "pgw_staff", "sid": "7", "tenant_id": "t-1"}', true);
select set_config('request.correlation_id', 'corr-0123456789abcdef', true);
select set_config('request.client_ip', '192.0.2.10', true);

select is(auth.uid(), 42::bigint, 'auth.uid() is the sub claim');
select is(auth.claim('tenant_id'), 't-1', 'auth.claim() returns a claim by name');
select is(auth.role(), 'pgw_staff', 'auth.role() is the role claim');
select is(auth.session_id(), 7::bigint, 'auth.session_id() is the sid claim');
select is(pgwarden.correlation_id(), 'corr-0123456789abcdef', 'correlation_id() is the setting');
select is(pgwarden.client_ip(), '192.0.2.10'::inet, 'client_ip() is the setting');
select is(auth.claim('missing'), null, 'an absent claim is NULL');

select set_config('request.jwt.claims', '{"sub": "not-a-number"}', true);
select is(auth.uid(), null, 'a non-numeric sub is not a user id');
rollback to savepoint request;

select is(auth.uid(), null, 'auth.uid() is NULL again once the setting''s transaction is gone');
select is(pgwarden.correlation_id(), null, 'correlation_id() is NULL again');

select function_privs_are('auth', 'uid', array[]::text[], 'pgw_anon', array['EXECUTE'],
                          'pgw_anon may call auth.uid()');
select function_privs_are('pgwarden', 'deployed_changes', array[]::text[], 'pgw_anon',
                          array[]::text[], 'pgw_anon may not call the definer deployed_changes()');

select * from finish();
rollback;
