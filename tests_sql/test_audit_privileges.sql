-- Who may execute each SECURITY DEFINER function of the audit schema, locked: EXECUTE is revoked
-- from PUBLIC and granted to exactly the roles that need it. Also: every definer function pins
-- search_path to empty, and enable/disable (invoker) are the owner's alone. pgw_auth_service
-- (owner of the identity definer functions, sql/auth/) and pgw_session_writer (owner of the single
-- writer of revoked_at) record authority events.
begin;
select plan(4);

select set_eq(
  $$ select p.oid::regprocedure::text || ' -> '
            || coalesce(string_agg(case when a.grantee = 0 then 'public'
                                        else pg_get_userbyid(a.grantee)::text end, ','
                                   order by pg_get_userbyid(a.grantee)::text), '(owner only)')
       from pg_proc p
       left join lateral aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
              on a.grantee <> p.proowner
      where p.pronamespace = 'audit'::regnamespace and p.prosecdef
      group by p.oid $$,
  array[
    'audit.capture_rows() -> (owner only)',
    'audit.capture_truncate() -> (owner only)',
    'audit.capture_update() -> (owner only)',
    'audit.capture_updates() -> (owner only)',
    'audit.expand_row_batches() -> (owner only)',
    'audit.record(text,text,text,text,jsonb,bigint) -> pgw_auth_service,pgw_session_writer',
    'audit.record_security_event(text,bigint,text,text,text,jsonb,text,text) -> authenticator',
    'audit.seal(integer) -> authenticator,pgw_administrator',
    'audit.verify() -> pgw_administrator'
  ],
  'each audit definer function is executable by exactly the roles that need it'
);
select is((select count(*)::int from pg_proc
            where pronamespace = 'audit'::regnamespace and prosecdef
              and not ('search_path=""' = any (coalesce(proconfig, '{}')))),
          0, 'every audit definer function pins search_path to empty');
select is((select count(*)::int from pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
            where p.oid in ('audit.enable(regclass,text[])'::regprocedure,
                            'audit.disable(regclass)'::regprocedure,
                            'audit.drop_row_triggers(regclass)'::regprocedure)
              and a.grantee <> p.proowner),
          0, 'only the owner may enable or disable row audit');
select is((select count(*)::int from pg_proc p
            where p.pronamespace = 'audit'::regnamespace
              and has_function_privilege('public', p.oid, 'execute') and p.prosecdef),
          0, 'PUBLIC executes no audit definer function');

select * from finish();
rollback;
