-- The changes made from the command line (sql/audit/45_cli_context.sql): which OS user ran which
-- pgwarden command, and what it changed. security_invoker, read by administrators and the owner.
-- The other views show the same events, with os_actor and cli_operation inside metadata.

create or replace view audit.cli_changes with (security_invoker = true) as
select e.id, e.occurred_at, e.event, t.category, e.metadata ->> 'os_actor' as os_actor,
       e.metadata ->> 'cli_operation' as cli_operation, e.db_role, e.correlation_id,
       e.target_table, e.target_id, e.summary
  from audit.events e
  join audit.event_types t on t.id = e.event
 where e.metadata ? 'os_actor';
comment on view audit.cli_changes is
  'Events written by a pgwarden command: the OS user (user@host) and the command that ran '
  '(metadata.os_actor, metadata.cli_operation), with what it changed.';

revoke all on audit.cli_changes from public;
grant select on audit.cli_changes to pgw_administrator;
