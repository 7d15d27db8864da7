-- auth.audit_event(): how identity's definer functions and triggers (owned by pgw_auth_service)
-- write typed audit events. audit.record() is executable by pgw_session_writer alone (audit_core's
-- contract), so this pass-through is owned by pgw_session_writer and executable only by
-- pgw_auth_service. It does nothing but call audit.record(): pgw_session_writer owns exactly this
-- function and auth.invalidate_sessions() (tests_sql/test_session_single_writer.sql locks that),
-- so the revocation guard, which trusts code running as pgw_session_writer, trusts only those two.

create or replace function auth.audit_event(
  event text,
  target_table text default null,
  target_id text default null,
  summary text default '',
  metadata jsonb default '{}'::jsonb,
  actor_id bigint default auth.uid()
)
returns bigint
language sql
volatile
security definer
set search_path = ''
as $$
  select audit.record(event, target_table, target_id, summary, metadata, actor_id)
$$;
comment on function auth.audit_event(text, text, text, text, jsonb, bigint) is
  'Identity''s door to audit.record() (same arguments), for the functions owned by pgw_auth_service.';

alter function auth.audit_event(text, text, text, text, jsonb, bigint) owner to pgw_session_writer;
revoke execute on function auth.audit_event(text, text, text, text, jsonb, bigint) from public;
grant execute on function auth.audit_event(text, text, text, text, jsonb, bigint)
  to pgw_auth_service;
