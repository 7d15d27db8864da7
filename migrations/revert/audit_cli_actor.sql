-- Revert pgwarden:audit_cli_actor from pg
BEGIN;
drop view if exists audit.cli_changes;
drop function if exists pgwarden.begin_command(text, text, text);
drop trigger if exists events_cli_context on audit.events;
drop function if exists audit.stamp_cli_context();
COMMIT;
