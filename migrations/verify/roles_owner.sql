-- Verify pgwarden:roles_owner on pg: pgw_owner exists (NOLOGIN), owns pgwarden's schemas, and
-- no object of them is left to a superuser; the session rows guard is armed (ENABLE ALWAYS).

BEGIN;

select 1 / (count(*) = 1)::integer from pg_catalog.pg_roles
 where rolname = 'pgw_owner' and not rolcanlogin and not rolsuper;
select 1 / (count(*) = 5)::integer from pg_catalog.pg_namespace
 where nspname in ('pgwarden', 'auth', 'audit', 'authz', 'api')
   and nspowner = 'pgw_owner'::regrole;
select 1 / (count(*) = 0)::integer
  from pg_catalog.pg_class c join pg_catalog.pg_roles r on r.oid = c.relowner
 where c.relnamespace::regnamespace::text in ('pgwarden', 'auth', 'audit', 'authz') and r.rolsuper;
select 1 / (count(*) = 0)::integer
  from pg_catalog.pg_proc p join pg_catalog.pg_roles r on r.oid = p.proowner
 where p.pronamespace::regnamespace::text in ('pgwarden', 'auth', 'audit', 'authz') and r.rolsuper;
select 1 / (count(*) = 1)::integer from pg_catalog.pg_trigger
 where tgrelid = 'auth.sessions'::regclass and tgname = 'sessions_rows_guard' and tgenabled = 'A';
select 1 / (count(*) = 1)::integer from pg_catalog.pg_event_trigger
 where evtname = 'pgwarden_owner_adopts' and evtenabled <> 'D';

ROLLBACK;
