-- Verify pgwarden:auth_login
BEGIN;
select bucket, window_started_at, hits from auth.throttle where false;
do $verify$
begin
  assert pg_catalog.has_function_privilege('authenticator',
           'auth.login_finish(text, bigint, boolean, text, inet, text, text)', 'execute'),
         'authenticator must be able to finish a login';
  assert not pg_catalog.has_function_privilege('pgw_developer',
           'auth.login_finish(text, bigint, boolean, text, inet, text, text)', 'execute'),
         'no tier may call auth.login_finish';
end
$verify$;
ROLLBACK;
