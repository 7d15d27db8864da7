-- Verify pgwarden:authz_grants on pg
BEGIN;
select g.id, g.user_id, g.target_kind, g.target_name, g.scope_name, g.scope_value, g.created_by,
       g.created_at, g.expires_at
  from authz.scoped_grants g where false;
select e.id, e.grant_id, e.event, e.actor_id, e.reason from authz.scoped_grant_events e where false;
do $verify$
begin
  assert (select p.prosecdef and 'search_path=""' = any (p.proconfig)
            from pg_catalog.pg_proc p
           where p.oid = 'authz.has_scoped_grant(text, text, text)'::regprocedure),
    'authz.has_scoped_grant must be SECURITY DEFINER with an empty search_path';
  assert not pg_catalog.has_function_privilege('pgw_supervisor',
    'authz.grant_scoped(bigint, text, text, text, text, timestamptz, text)', 'execute'),
    'only administrators may grant';
end
$verify$;
ROLLBACK;
