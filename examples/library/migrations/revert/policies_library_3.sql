-- Revert library:policies_library_3 from pg
-- Compiled by `pgwarden policies compile` from policies/library.toml: the changes since policies_library_2
-- (pgwarden's compiler now lets writes reach the rows their policy allows, and
-- re-checks only the references an update changes; docs/policies.md, doctrines 5 and 11).
-- Do not edit; change the declarations and compile again.
BEGIN;

set local client_min_messages = warning;
drop trigger if exists loans_references on library.loans;
drop policy if exists loans_read_to_update on library.loans;
drop policy if exists loans_update on library.loans;
create policy loans_update on library.loans as permissive for update to pgw_staff
  using (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or loans.branch_id in (select authz.library_staff_branches_14bcdeea((select auth.uid())))
  )
  with check (
    (pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or loans.branch_id in (select authz.library_staff_branches_14bcdeea((select auth.uid()))))
    and exists (select from library.patrons v where v.id = loans.patron_id)
    and exists (select from library.items v where v.id = loans.item_id)
    and exists (select from library.branches v where v.id = loans.branch_id)
  );
comment on policy loans_update on library.loans is 'update: tier staff and above; on rows where (tier >= supervisor OR EXISTS a staff_branches row where (branch_id = row.branch_id AND user_id = user.id)).';
drop trigger if exists staff_branches_references on library.staff_branches;
drop policy if exists staff_branches_read_to_delete on library.staff_branches;
drop policy if exists staff_branches_read_to_update on library.staff_branches;
drop policy if exists staff_branches_update on library.staff_branches;
create policy staff_branches_update on library.staff_branches as permissive for update to pgw_supervisor
  using (true)
  with check (
    exists (select from library.branches v where v.id = staff_branches.branch_id)
  );
comment on policy staff_branches_update on library.staff_branches is 'update: tier supervisor and above; on every row.';
drop trigger if exists items_references on library.items;
drop policy if exists items_read_to_delete on library.items;
drop policy if exists items_read_to_update on library.items;
drop policy if exists items_update on library.items;
create policy items_update on library.items as permissive for update to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.change'))
  )
  with check (
    (pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.change')))
    and exists (select from library.branches v where v.id = items.branch_id)
  );
comment on policy items_update on library.items is 'update: tier staff and above, or holders of items.change; on every row.';

COMMIT;
