-- Revert pgwarden:audit_core
-- Drops the audit schema and its events: revert is destructive, as sqitch reverts are.
BEGIN;
drop function if exists audit.record_security_event(text, bigint, text, text, text, jsonb, text, text);
drop function if exists audit.record(text, text, text, text, jsonb, bigint);
drop table if exists audit.events;
drop table if exists audit.event_types;
drop function if exists audit.guard_append_only(regclass, boolean);
drop function if exists audit.refuse_change();
drop function if exists audit.event_types_guard();
drop schema if exists audit;
do $revert$
begin
  drop role if exists pgw_session_writer;
exception when dependent_objects_still_exist or object_in_use then
  raise notice 'role pgw_session_writer is still used elsewhere in this cluster; kept';
end
$revert$;
COMMIT;
