-- Revert fine_grained_policies:policies_fine_grained_policies from pg
-- Compiled by `pgwarden policies compile` from examples/fine_grained_policies/fine_grained_policies.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

drop view if exists ops.open_incidents;
delete from authz.resources where name in ('workspaces', 'projects', 'incidents', 'time_entries', 'runbooks', 'escalation_rules', 'incident_notes', 'deployment_windows', 'on_call_subscriptions', 'audit_exports');
select audit.disable('ops.audit_exports'::regclass);
drop table if exists ops.audit_exports;
drop function if exists ops.audit_exports_assign();
select audit.disable('ops.on_call_subscriptions'::regclass);
drop table if exists ops.on_call_subscriptions;
drop function if exists ops.on_call_subscriptions_assign();
select audit.disable('ops.deployment_windows'::regclass);
drop table if exists ops.deployment_windows;
drop function if exists ops.deployment_windows_assign();
select audit.disable('ops.incident_notes'::regclass);
drop table if exists ops.incident_notes;
drop function if exists ops.incident_notes_assign();
select audit.disable('ops.escalation_rules'::regclass);
drop table if exists ops.escalation_rules;
drop function if exists ops.escalation_rules_assign();
select audit.disable('ops.runbooks'::regclass);
drop table if exists ops.runbooks;
drop function if exists ops.runbooks_assign();
select audit.disable('ops.time_entries'::regclass);
drop table if exists ops.time_entries;
drop function if exists ops.time_entries_assign();
select audit.disable('ops.incidents'::regclass);
drop table if exists ops.incidents;
drop function if exists ops.incidents_assign();
select audit.disable('ops.projects'::regclass);
drop table if exists ops.projects;
drop function if exists ops.projects_assign();
select audit.disable('ops.workspaces'::regclass);
drop table if exists ops.workspaces;
drop function if exists ops.workspaces_assign();
drop function if exists authz.fine_grained_policies_workspaces_e8e9adb2(bigint);
drop function if exists authz.fine_grained_policies_workspaces_8bcf2aed(bigint);
drop schema if exists ops;

COMMIT;
