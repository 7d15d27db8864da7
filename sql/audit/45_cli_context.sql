-- Who ran a command line: a `pgwarden` command sets `request.os_actor` (user@host) and
-- `request.cli_operation` (e.g. "user create") in its owner transaction (webui/cli/identity.py);
-- every event that transaction writes carries them as metadata.os_actor and
-- metadata.cli_operation, which the view audit.cli_changes (81_cli_views.sql) shows as columns.
-- The app's own connections (session_user authenticator) are never stamped, so a web request
-- cannot claim an OS identity. Code only (re-runnable). Test: tests_sql/test_audit_cli_context.sql.

create or replace function audit.stamp_cli_context()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  v_actor text := nullif(pg_catalog.current_setting('request.os_actor', true), '');
begin
  if v_actor is not null and session_user <> 'authenticator'
     and new.correlation_id is not distinct from pgwarden.correlation_id() then
    new.metadata := coalesce(new.metadata, '{}'::jsonb) || pg_catalog.jsonb_strip_nulls(
      pg_catalog.jsonb_build_object(
        'os_actor', pg_catalog.left(v_actor, 200),
        'cli_operation', pg_catalog.left(
          nullif(pg_catalog.current_setting('request.cli_operation', true), ''), 200)));
  end if;
  return new;
end
$$;
comment on function audit.stamp_cli_context() is
  'Trigger: adds metadata.os_actor and metadata.cli_operation (request.os_actor, '
  'request.cli_operation) to the events of a command-line transaction.';
revoke all on function audit.stamp_cli_context() from public;

drop trigger if exists events_cli_context on audit.events;
-- The WHEN clause keeps the function off every other event's path: outside a command the
-- trigger costs one setting read per event, not a PL/pgSQL call (bench/results/audit_insert.md).
create trigger events_cli_context before insert on audit.events
  for each row
  when (pg_catalog.current_setting('request.os_actor', true) <> '')
  execute function audit.stamp_cli_context();
comment on trigger events_cli_context on audit.events is
  'Stamps the OS user and CLI operation of a pgwarden command on the events it writes.';

-- The command line's side of the request context: pgwarden.begin_request() (the one writer of
-- request.*) with the command's correlation id, then the two settings only a command has.
create or replace function pgwarden.begin_command(os_actor text, operation text,
                                                  correlation_id text)
returns void
language plpgsql
volatile
set search_path = ''
as $$
begin
  perform pgwarden.begin_request(current_user, correlation_id => begin_command.correlation_id);
  perform pg_catalog.set_config('request.os_actor', coalesce(os_actor, ''), true),
          pg_catalog.set_config('request.cli_operation', coalesce(operation, ''), true);
end
$$;
comment on function pgwarden.begin_command(text, text, text) is
  'Starts a pgwarden command''s transaction: pgwarden.begin_request() with its correlation id, '
  'plus request.os_actor (user@host) and request.cli_operation, which audit.stamp_cli_context() '
  'stamps on its events.';
revoke all on function pgwarden.begin_command(text, text, text) from public;
