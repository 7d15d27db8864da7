-- Privileges of the audit core. Audit rows are read by administrators and written only by the
-- definer functions and triggers. UPDATE, DELETE and TRUNCATE are revoked from everyone,
-- the owner included (a superuser ignores privileges: the guard triggers stop it).

revoke all on audit.event_types, audit.events from public;
do $owner$
declare
  v_owner text;
begin
  -- audit.events: audit.guard_append_only() (30_guards.sql) revoked them already
  select pg_catalog.pg_get_userbyid(c.relowner) into v_owner
    from pg_catalog.pg_class c where c.oid = 'audit.event_types'::regclass;
  execute pg_catalog.format('revoke delete, truncate on audit.event_types from %I', v_owner);
end
$owner$;

grant usage on schema audit to pgw_user, pgw_session_writer, authenticator;
grant select on audit.event_types to pgw_user;
grant select on audit.events to pgw_administrator;

revoke execute on function audit.record(text, text, text, text, jsonb, bigint) from public;
grant execute on function audit.record(text, text, text, text, jsonb, bigint) to pgw_session_writer;

revoke execute on function
  audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) from public;
grant execute on function
  audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) to authenticator;

revoke execute on function audit.refuse_change(), audit.event_types_guard(),
  audit.guard_append_only(regclass, boolean) from public;

-- audit.record()'s actor defaults to auth.uid(), evaluated as the caller: the definer functions
-- owned by pgw_session_writer need the request-context helpers.
grant usage on schema auth, pgwarden to pgw_session_writer;
grant execute on function auth.jwt(), auth.claim(text), auth.uid(), auth.role(), auth.session_id(),
  pgwarden.correlation_id(), pgwarden.client_ip() to pgw_session_writer;
