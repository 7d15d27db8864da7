-- Verify fine_grained_policies:policies_fine_grained_policies on pg
-- Compiled by `pgwarden policies compile` from examples/fine_grained_policies/fine_grained_policies.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

do $verify$
begin
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.workspaces'::regclass),
    'ops.workspaces: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'workspaces'
            and p.policyname in ('workspaces_read', 'workspaces_create', 'workspaces_update', 'workspaces_delete', 'workspaces_admin_bypass')) = 5,
    'ops.workspaces: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.projects'::regclass),
    'ops.projects: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'projects'
            and p.policyname in ('projects_read', 'projects_create', 'projects_update', 'projects_delete', 'projects_read_to_update', 'projects_read_to_delete', 'projects_admin_bypass')) = 7,
    'ops.projects: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.incidents'::regclass),
    'ops.incidents: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'incidents'
            and p.policyname in ('incidents_read', 'incidents_create', 'incidents_update', 'incidents_delete', 'incidents_admin_bypass')) = 5,
    'ops.incidents: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.time_entries'::regclass),
    'ops.time_entries: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'time_entries'
            and p.policyname in ('time_entries_read', 'time_entries_create', 'time_entries_update', 'time_entries_delete')) = 4,
    'ops.time_entries: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.runbooks'::regclass),
    'ops.runbooks: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'runbooks'
            and p.policyname in ('runbooks_read', 'runbooks_create', 'runbooks_update', 'runbooks_delete', 'runbooks_admin_bypass')) = 5,
    'ops.runbooks: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.escalation_rules'::regclass),
    'ops.escalation_rules: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'escalation_rules'
            and p.policyname in ('escalation_rules_read', 'escalation_rules_create', 'escalation_rules_update', 'escalation_rules_delete', 'escalation_rules_admin_bypass')) = 5,
    'ops.escalation_rules: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.incident_notes'::regclass),
    'ops.incident_notes: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'incident_notes'
            and p.policyname in ('incident_notes_read', 'incident_notes_create', 'incident_notes_update', 'incident_notes_delete', 'incident_notes_admin_bypass')) = 5,
    'ops.incident_notes: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.deployment_windows'::regclass),
    'ops.deployment_windows: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'deployment_windows'
            and p.policyname in ('deployment_windows_read', 'deployment_windows_create', 'deployment_windows_update', 'deployment_windows_delete', 'deployment_windows_admin_bypass')) = 5,
    'ops.deployment_windows: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.on_call_subscriptions'::regclass),
    'ops.on_call_subscriptions: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'on_call_subscriptions'
            and p.policyname in ('on_call_subscriptions_read', 'on_call_subscriptions_create', 'on_call_subscriptions_update', 'on_call_subscriptions_delete')) = 4,
    'ops.on_call_subscriptions: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'ops.audit_exports'::regclass),
    'ops.audit_exports: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'ops'
            and p.tablename = 'audit_exports'
            and p.policyname in ('audit_exports_read', 'audit_exports_create', 'audit_exports_update', 'audit_exports_delete')) = 4,
    'ops.audit_exports: a compiled policy is missing';
  assert (select coalesce(c.reloptions, '{}') @> array['security_invoker=true']
          from pg_catalog.pg_class c where c.oid = 'ops.open_incidents'::regclass) = true,
    'ops.open_incidents: security_invoker differs from the declaration';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.fine_grained_policies_workspaces_e8e9adb2(bigint)'::regprocedure),
    'authz.fine_grained_policies_workspaces_e8e9adb2: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.fine_grained_policies_workspaces_8bcf2aed(bigint)'::regprocedure),
    'authz.fine_grained_policies_workspaces_8bcf2aed: must be SECURITY DEFINER owned by pgw_policy_reader';
end
$verify$;

ROLLBACK;
