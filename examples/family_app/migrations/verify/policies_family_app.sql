-- Verify family_app:policies_family_app on pg
-- Compiled by `pgwarden policies compile` from examples/family_app/family_app.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

do $verify$
begin
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.family'::regclass),
    'family.family: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'family'
            and p.policyname in ('family_read', 'family_create', 'family_update', 'family_delete', 'family_read_to_update', 'family_admin_bypass')) = 6,
    'family.family: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.household'::regclass),
    'family.household: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'household'
            and p.policyname in ('household_read', 'household_create', 'household_update', 'household_delete', 'household_read_to_update', 'household_read_to_delete', 'household_admin_bypass')) = 7,
    'family.household: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.family_member'::regclass),
    'family.family_member: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'family_member'
            and p.policyname in ('family_member_read', 'family_member_create', 'family_member_update', 'family_member_delete', 'family_member_admin_bypass')) = 5,
    'family.family_member: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.family_delegate'::regclass),
    'family.family_delegate: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'family_delegate'
            and p.policyname in ('family_delegate_read', 'family_delegate_create', 'family_delegate_update', 'family_delegate_delete', 'family_delegate_admin_bypass')) = 5,
    'family.family_delegate: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.child_profile'::regclass),
    'family.child_profile: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'child_profile'
            and p.policyname in ('child_profile_read', 'child_profile_create', 'child_profile_update', 'child_profile_delete', 'child_profile_read_to_update', 'child_profile_read_to_delete', 'child_profile_admin_bypass')) = 7,
    'family.child_profile: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.care_plan'::regclass),
    'family.care_plan: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'care_plan'
            and p.policyname in ('care_plan_read', 'care_plan_create', 'care_plan_update', 'care_plan_delete', 'care_plan_admin_bypass')) = 5,
    'family.care_plan: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.guardian_note'::regclass),
    'family.guardian_note: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'guardian_note'
            and p.policyname in ('guardian_note_read', 'guardian_note_create', 'guardian_note_update', 'guardian_note_delete', 'guardian_note_admin_bypass')) = 5,
    'family.guardian_note: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.household_announcement'::regclass),
    'family.household_announcement: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'household_announcement'
            and p.policyname in ('household_announcement_read', 'household_announcement_create', 'household_announcement_update', 'household_announcement_delete', 'household_announcement_read_to_update', 'household_announcement_read_to_delete', 'household_announcement_admin_bypass')) = 7,
    'family.household_announcement: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.shopping_item'::regclass),
    'family.shopping_item: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'shopping_item'
            and p.policyname in ('shopping_item_read', 'shopping_item_create', 'shopping_item_update', 'shopping_item_delete', 'shopping_item_admin_bypass')) = 5,
    'family.shopping_item: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'family.calendar_event'::regclass),
    'family.calendar_event: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'family'
            and p.tablename = 'calendar_event'
            and p.policyname in ('calendar_event_read', 'calendar_event_create', 'calendar_event_update', 'calendar_event_delete', 'calendar_event_admin_bypass')) = 5,
    'family.calendar_event: a compiled policy is missing';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_family_member_f141b40f(bigint)'::regprocedure),
    'authz.family_app_family_member_f141b40f: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_family_delegate_22c7c197(bigint)'::regprocedure),
    'authz.family_app_family_delegate_22c7c197: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_family_8d82a190(bigint)'::regprocedure),
    'authz.family_app_family_8d82a190: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_household_7909d5ec(bigint, bigint)'::regprocedure),
    'authz.family_app_household_7909d5ec: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_child_profile_74f3027e(bigint, bigint)'::regprocedure),
    'authz.family_app_child_profile_74f3027e: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.family_app_household_8d23a7ce(bigint, text)'::regprocedure),
    'authz.family_app_household_8d23a7ce: must be SECURITY DEFINER owned by pgw_policy_reader';
end
$verify$;

ROLLBACK;
