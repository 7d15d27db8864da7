-- Verify library:policies_library_3 on pg
-- Compiled by `pgwarden policies compile` from policies/library.toml: the changes since policies_library_2
-- (pgwarden's compiler now lets writes reach the rows their policy allows, and
-- re-checks only the references an update changes; docs/policies.md, doctrines 5 and 11).
-- Do not edit; change the declarations and compile again.
BEGIN;

do $verify$
begin
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'library.branches'::regclass),
    'library.branches: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'library'
            and p.tablename = 'branches'
            and p.policyname in ('branches_read', 'branches_create', 'branches_update', 'branches_delete', 'branches_admin_bypass')) = 5,
    'library.branches: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'library.patrons'::regclass),
    'library.patrons: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'library'
            and p.tablename = 'patrons'
            and p.policyname in ('patrons_read', 'patrons_create', 'patrons_update', 'patrons_delete', 'patrons_admin_bypass')) = 5,
    'library.patrons: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'library.items'::regclass),
    'library.items: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'library'
            and p.tablename = 'items'
            and p.policyname in ('items_read', 'items_create', 'items_update', 'items_delete', 'items_read_to_update', 'items_read_to_delete', 'items_admin_bypass')) = 7,
    'library.items: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'library.staff_branches'::regclass),
    'library.staff_branches: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'library'
            and p.tablename = 'staff_branches'
            and p.policyname in ('staff_branches_read', 'staff_branches_create', 'staff_branches_update', 'staff_branches_delete', 'staff_branches_read_to_update', 'staff_branches_read_to_delete', 'staff_branches_admin_bypass')) = 7,
    'library.staff_branches: a compiled policy is missing';
  assert (select c.relrowsecurity and c.relforcerowsecurity
          from pg_catalog.pg_class c where c.oid = 'library.loans'::regclass),
    'library.loans: row-level security must be enabled and forced';
  assert (select count(*) from pg_catalog.pg_policies p
          where p.schemaname = 'library'
            and p.tablename = 'loans'
            and p.policyname in ('loans_read', 'loans_create', 'loans_update', 'loans_delete', 'loans_read_to_update', 'loans_admin_bypass')) = 6,
    'library.loans: a compiled policy is missing';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.library_staff_branches_14bcdeea(bigint)'::regprocedure),
    'authz.library_staff_branches_14bcdeea: must be SECURITY DEFINER owned by pgw_policy_reader';
  assert (select p.prosecdef and p.proowner = (select r.oid from pg_catalog.pg_roles r where r.rolname = 'pgw_policy_reader')
          from pg_catalog.pg_proc p where p.oid = 'authz.library_patrons_5df12837(bigint)'::regprocedure),
    'authz.library_patrons_5df12837: must be SECURITY DEFINER owned by pgw_policy_reader';
end
$verify$;

ROLLBACK;
