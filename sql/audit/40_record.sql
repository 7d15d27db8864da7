-- Writing events from code: audit.record() inside the caller's transaction, and
-- audit.record_security_event() for the security events of a request that fails (called by the
-- app on its own connection, so that it commits although the request's transaction rolls back).
-- Tests: tests_sql/test_audit_record.sql, tests_py/test_audit_detached.py.

create or replace function audit.record(
  event text,
  target_table text default null,
  target_id text default null,
  summary text default '',
  metadata jsonb default '{}'::jsonb,
  actor_id bigint default auth.uid()
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_category text;
  v_id bigint;
begin
  select t.category into v_category from audit.event_types t where t.id = event;
  if v_category is null then
    raise exception 'unknown audit event "%"', event
      using errcode = 'invalid_parameter_value',
            hint = 'the identifiers are listed in audit.event_types';
  end if;
  if v_category = 'row' then
    raise exception 'row event "%" is written by the row trigger, not by audit.record()', event
      using errcode = 'invalid_parameter_value', hint = 'use audit.enable(table)';
  end if;
  if metadata is not null and pg_catalog.jsonb_typeof(metadata) <> 'object' then
    raise exception 'audit metadata must be a JSON object, not %', pg_catalog.jsonb_typeof(metadata)
      using errcode = 'invalid_parameter_value';
  end if;
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, target_id, summary, metadata)
  values (event, actor_id,
          nullif(pg_catalog.current_setting('role'), 'none'),
          auth.session_id(), pgwarden.correlation_id(), pgwarden.client_ip(),
          nullif(target_table, ''), target_id, coalesce(summary, ''),
          coalesce(metadata, '{}'::jsonb))
  returning id into v_id;
  return v_id;
end
$$;
comment on function audit.record(text, text, text, text, jsonb, bigint) is
  'Record one typed (non-row) event in the caller''s transaction; the session id, correlation id '
  'and client ip come from the request context. Returns the event id. Callable by '
  'pgw_session_writer and the owner only.';

create or replace function audit.record_security_event(
  event text,
  actor_id bigint default null,
  target_table text default null,
  target_id text default null,
  summary text default '',
  metadata jsonb default '{}'::jsonb,
  correlation_id text default null,
  client_ip text default null
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_detachable boolean;
  v_ip inet;
  v_id bigint;
begin
  select t.detachable into v_detachable from audit.event_types t where t.id = event;
  if v_detachable is distinct from true then
    raise exception 'event "%" may not be recorded outside its transaction', event
      using errcode = 'insufficient_privilege',
            hint = 'only events with audit.event_types.detachable (login_failed, account_locked)';
  end if;
  if nullif(correlation_id, '') !~ '^[A-Za-z0-9_-]{16,64}$' then
    raise exception 'malformed correlation id' using errcode = 'invalid_parameter_value';
  end if;
  if nullif(client_ip, '') is not null then
    begin
      v_ip := client_ip::inet;
    exception when invalid_text_representation then
      raise exception 'malformed client ip' using errcode = 'invalid_parameter_value';
    end;
  end if;
  if metadata is not null and (pg_catalog.jsonb_typeof(metadata) <> 'object'
                               or pg_catalog.octet_length(metadata::text) > 4096) then
    raise exception 'metadata must be a JSON object of at most 4096 bytes'
      using errcode = 'invalid_parameter_value';
  end if;
  insert into audit.events (event, actor_id, correlation_id, client_ip, target_table, target_id,
                            summary, metadata)
  values (event, actor_id, nullif(correlation_id, ''), v_ip,
          nullif(target_table, ''), target_id,
          pg_catalog.left(coalesce(summary, ''), 500), coalesce(metadata, '{}'::jsonb))
  returning id into v_id;
  return v_id;
end
$$;
comment on function audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) is
  'Record a security event of a failing request in its own transaction (the app calls it as '
  'authenticator outside the request''s transaction). Only catalog events marked detachable.';
