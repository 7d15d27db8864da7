-- Verify pgwarden:auth_sessions
BEGIN;
select id, user_id, token_hash, created_at, last_seen_at, idle_expires_at, absolute_expires_at,
       elevated_until, parent_session_id, revoked_at, revoked_reason, ip, user_agent
  from auth.sessions where false;
do $verify$
begin
  assert (select pg_catalog.pg_get_userbyid(p.proowner) from pg_catalog.pg_proc p
           where p.oid = 'auth.invalidate_sessions(text, text, bigint, bigint)'::regprocedure)
         = 'pgw_session_writer', 'the single writer must be owned by pgw_session_writer';
  assert not pg_catalog.has_function_privilege('authenticator',
           'auth.invalidate_sessions(text, text, bigint, bigint)', 'execute'),
         'authenticator must not call the single writer';
  assert pg_catalog.has_function_privilege('authenticator', 'auth.resolve_session(text)',
           'execute'), 'authenticator must be able to resolve sessions';
  assert exists (select 1 from pg_catalog.pg_trigger
                  where tgname = 'sessions_guard' and tgenabled = 'A'),
         'the single-writer guard must be enabled ALWAYS';
end
$verify$;
ROLLBACK;
