-- Verify pgwarden:roles
BEGIN;
do $verify$
begin
  assert (select count(*) from pg_catalog.pg_roles
          where rolname in ('pgw_anon', 'pgw_user', 'pgw_staff', 'pgw_supervisor',
                            'pgw_administrator', 'pgw_developer') and not rolcanlogin) = 6,
         'the anonymous and tier roles must exist and be NOLOGIN';
  assert exists (select 1 from pg_catalog.pg_roles
                 where rolname = 'authenticator' and rolcanlogin and not rolinherit),
         'authenticator must be LOGIN NOINHERIT';
  assert pg_catalog.pg_has_role('pgw_developer', 'pgw_user', 'usage'),
         'pgw_developer must inherit pgw_user';
end
$verify$;
ROLLBACK;
