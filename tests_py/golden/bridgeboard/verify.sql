-- Verify bridgeboard:policies_bridgeboard on pg
-- Compiled by `pgwarden policies compile` from examples/bridgeboard/bridgeboard.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

do $verify$
begin
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'bridgeboard.organization'::regclass),
    'bridgeboard.organization: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'bridgeboard'
            and p.tablename = 'organization'
            and p.policyname in ('organization_read', 'organization_create', 'organization_update', 'organization_delete', 'organization_admin_bypass')) = 5,
    'bridgeboard.organization: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'bridgeboard.interest'::regclass),
    'bridgeboard.interest: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'bridgeboard'
            and p.tablename = 'interest'
            and p.policyname in ('interest_read', 'interest_create', 'interest_update', 'interest_delete', 'interest_admin_bypass')) = 5,
    'bridgeboard.interest: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'bridgeboard.thesis_topic'::regclass),
    'bridgeboard.thesis_topic: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'bridgeboard'
            and p.tablename = 'thesis_topic'
            and p.policyname in ('thesis_topic_read', 'thesis_topic_create', 'thesis_topic_update', 'thesis_topic_delete', 'thesis_topic_admin_bypass')) = 5,
    'bridgeboard.thesis_topic: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'bridgeboard.collaboration_request'::regclass),
    'bridgeboard.collaboration_request: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'bridgeboard'
            and p.tablename = 'collaboration_request'
            and p.policyname in ('collaboration_request_read', 'collaboration_request_create', 'collaboration_request_update', 'collaboration_request_delete', 'collaboration_request_admin_bypass')) = 5,
    'bridgeboard.collaboration_request: a compiled policy is missing';
end
$verify$;

ROLLBACK;
