-- Deploy library:policies_library_3 to pg
-- requires: policies_library_2, pgwarden:authz_helpers, pgwarden:audit_rows, pgwarden:auth_users, pgwarden:authz_grants, pgwarden:authz_exists_owner, pgwarden:authz_policy_writes
-- Compiled by `pgwarden policies compile` from policies/library.toml: the changes since policies_library_2
-- (pgwarden's compiler now lets writes reach the rows their policy allows, and
-- re-checks only the references an update changes; docs/policies.md, doctrines 5 and 11).
-- Do not edit; change the declarations and compile again.
BEGIN;

set local client_min_messages = warning;
drop policy if exists items_update on library.items;
create policy items_update on library.items as permissive for update to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.change'))
  )
  with check (
    pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.change'))
  );
comment on policy items_update on library.items is 'update: tier staff and above, or holders of items.change; on every row.';
drop policy if exists items_read_to_update on library.items;
create policy items_read_to_update on library.items as permissive for select to pgw_user
  using (
    (select authz.writing('update'))
    and (pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.change')))
  );
comment on policy items_read_to_update on library.items is 'read_to_update: during a PATCH request, also the rows the update policy allows, so that the write''s filter and representation reach them.';
drop policy if exists items_read_to_delete on library.items;
create policy items_read_to_delete on library.items as permissive for select to pgw_user
  using (
    (select authz.writing('delete'))
    and (pg_catalog.pg_has_role('pgw_administrator', 'usage') or (select auth.has_perm('items.delete')))
  );
comment on policy items_read_to_delete on library.items is 'read_to_delete: during a DELETE request, also the rows the delete policy allows, so that the write''s filter and representation reach them.';
drop trigger if exists items_references on library.items;
create trigger items_references before update on library.items
  for each row when (old.branch_id is distinct from new.branch_id)
  execute function authz.check_references('branch_id', 'library.branches', 'id');
drop policy if exists staff_branches_update on library.staff_branches;
create policy staff_branches_update on library.staff_branches as permissive for update to pgw_supervisor
  using (true)
  with check (true);
comment on policy staff_branches_update on library.staff_branches is 'update: tier supervisor and above; on every row.';
drop policy if exists staff_branches_read_to_update on library.staff_branches;
create policy staff_branches_read_to_update on library.staff_branches as permissive for select to pgw_supervisor
  using ((select authz.writing('update')));
comment on policy staff_branches_read_to_update on library.staff_branches is 'read_to_update: during a PATCH request, also the rows the update policy allows, so that the write''s filter and representation reach them.';
drop policy if exists staff_branches_read_to_delete on library.staff_branches;
create policy staff_branches_read_to_delete on library.staff_branches as permissive for select to pgw_supervisor
  using ((select authz.writing('delete')));
comment on policy staff_branches_read_to_delete on library.staff_branches is 'read_to_delete: during a DELETE request, also the rows the delete policy allows, so that the write''s filter and representation reach them.';
drop trigger if exists staff_branches_references on library.staff_branches;
create trigger staff_branches_references before update on library.staff_branches
  for each row when (old.branch_id is distinct from new.branch_id)
  execute function authz.check_references('branch_id', 'library.branches', 'id');
drop policy if exists loans_update on library.loans;
create policy loans_update on library.loans as permissive for update to pgw_staff
  using (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or loans.branch_id in (select authz.library_staff_branches_14bcdeea((select auth.uid())))
  )
  with check (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or loans.branch_id in (select authz.library_staff_branches_14bcdeea((select auth.uid())))
  );
comment on policy loans_update on library.loans is 'update: tier staff and above; on rows where (tier >= supervisor OR EXISTS a staff_branches row where (branch_id = row.branch_id AND user_id = user.id)).';
drop policy if exists loans_read_to_update on library.loans;
create policy loans_read_to_update on library.loans as permissive for select to pgw_staff
  using (
    (select authz.writing('update'))
    and loans.branch_id in (select authz.library_staff_branches_14bcdeea((select auth.uid())))
  );
comment on policy loans_read_to_update on library.loans is 'read_to_update: during a PATCH request, also the rows the update policy allows, so that the write''s filter and representation reach them.';
drop trigger if exists loans_references on library.loans;
create trigger loans_references before update on library.loans
  for each row when (old.patron_id is distinct from new.patron_id or old.item_id is distinct from new.item_id or old.branch_id is distinct from new.branch_id)
  execute function authz.check_references('patron_id', 'library.patrons', 'id', 'item_id', 'library.items', 'id', 'branch_id', 'library.branches', 'id');

COMMIT;

-- Declarations (policies/library.toml):
-- | # The library circulation example (RustIO's examples/library-circulation), declared for pgwarden.
-- | #
-- | #   branches        every signed-in user reads them; administrators change them
-- | #   patrons         staff and above read and register them; a patron (tier user) reads only
-- | #                   the patron card linked to their own account
-- | #   items           the catalogue: everyone reads it; staff, or members of a group holding
-- | #                   items.add / items.change (e.g. "editor"), add and change items
-- | #   staff_branches  which branches a staff member works at; supervisors manage it
-- | #   loans           staff see and change the loans of their own branches, supervisors all
-- | #                   loans, a patron only their own; only administrators delete a loan; a runtime
-- | #                   scoped grant of loans.view on branch = N (`pgwarden authz grant`) lets its
-- | #                   holder read that branch's loans until it expires
-- | #
-- | # Compile with `pgwarden policies compile`; load demo data with `pgwarden example load library`.
-- |
-- | [settings]
-- | schema = "library"
-- | # The example is its own sqitch project, deployed by `pgwarden example load library` (and so by
-- | # `make run`), not by `pgwarden migrate`: the framework's plan stays free of application tables.
-- | migrations = "examples/library/migrations"
-- | comment = "Library circulation example: branches, patrons, items, loans."
-- |
-- | # --- branches -------------------------------------------------------------------------------------
-- | [resources.branches]
-- | comment = "A library branch."
-- | display = "name"
-- | roles = { read = "user", create = "administrator", update = "administrator", delete = "administrator" }
-- | list = { default_limit = 25, max_limit = 100, order = "name", search = ["name", "address"], filter = ["is_open"] }
-- |
-- | [resources.branches.fields]
-- | id = { type = "bigint", primary_key = true, generated = "identity" }
-- | name = { type = "text", unique = true, min_length = 2, max_length = 120, comment = "Unique branch name." }
-- | address = { type = "text", nullable = true, max_length = 300 }
-- | is_open = { type = "boolean", default = true, comment = "Whether the branch lends items today." }
-- | created_at = { type = "timestamptz", generated = "created_at" }
-- |
-- | [resources.branches.admin]
-- | list_display = ["name", "address", "is_open", "created_at"]
-- | list_filter = ["is_open"]
-- | search_fields = ["name", "address"]
-- | ordering = ["name"]
-- | readonly_fields = ["created_at"]
-- | inlines = ["items"]
-- |
-- | # --- patrons --------------------------------------------------------------------------------------
-- | [resources.patrons]
-- | comment = "A library card holder; user_id links the card to a sign-in account."
-- | display = "full_name"
-- | audit_redact = ["email"]
-- | roles = { read = "user", create = "staff", update = "staff", delete = "administrator" }
-- | list = { default_limit = 25, max_limit = 100, order = "full_name", search = ["full_name", "card_number"], filter = ["is_active"] }
-- |
-- | [resources.patrons.fields]
-- | id = { type = "bigint", primary_key = true, generated = "identity" }
-- | user_id = { type = "bigint", nullable = true, unique = true, comment = "The sign-in account of this patron (auth.users.id), if any." }
-- | card_number = { type = "text", unique = true, pattern = "^C[0-9]{6}$", comment = "Library card number, C + 6 digits." }
-- | full_name = { type = "text", min_length = 2, max_length = 200 }
-- | email = { type = "text", unique = true, pattern = "^[^@[:space:]]+@[^@[:space:]]+$", max_length = 254 }
-- | is_active = { type = "boolean", default = true }
-- | joined_at = { type = "timestamptz", generated = "created_at" }
-- |
-- | [resources.patrons.policies]
-- | read = { any_of = [{ tier_at_least = "staff" }, "user_id = user.id"] }
-- | update = { tier_at_least = "staff" }
-- |
-- | [resources.patrons.admin]
-- | list_display = ["full_name", "card_number", "email", "is_active", "joined_at"]
-- | list_filter = ["is_active"]
-- | search_fields = ["full_name", "card_number"]
-- | ordering = ["full_name"]
-- | masked_fields = ["email"]
-- | readonly_fields = ["joined_at"]
-- | exclude = ["user_id"]
-- | inlines = ["loans"]
-- |
-- | # --- items ----------------------------------------------------------------------------------------
-- | [resources.items]
-- | comment = "A lendable item of a branch's catalogue."
-- | display = "title"
-- | group_permissions = true
-- | roles = { read = "user", create = "staff", update = "staff", delete = "administrator" }
-- | list = { default_limit = 25, max_limit = 200, order = "title", search = ["title", "isbn"], filter = ["kind", "status", "branch_id"] }
-- | # the admin's and the API's default order: a changelist of 1M items reads 25 index entries
-- | indexes = [{ fields = ["title", "id"] }]
-- |
-- | [resources.items.fields]
-- | id = { type = "bigint", primary_key = true, generated = "identity" }
-- | branch_id = { type = "bigint", references = "branches", on_delete = "restrict" }
-- | title = { type = "text", min_length = 1, max_length = 300 }
-- | kind = { type = "text", choices = ["book", "audiobook", "dvd"] }
-- | isbn = { type = "text", nullable = true, pattern = "^[0-9]{9}[0-9X]$|^[0-9]{13}$" }
-- | status = { type = "text", choices = ["available", "on_loan", "lost", "withdrawn"], default = "available" }
-- | created_at = { type = "timestamptz", generated = "created_at" }
-- |
-- | [resources.items.admin]
-- | list_display = ["title", "kind", "status", "branch_id", "isbn"]
-- | list_filter = ["kind", "status", "branch_id"]
-- | search_fields = ["title", "isbn"]
-- | ordering = ["title"]
-- | list_per_page = 50
-- | readonly_fields = ["created_at"]
-- |
-- | [[resources.items.admin.fieldsets]]
-- | title = "Catalogue"
-- | fields = ["title", "kind", "isbn"]
-- |
-- | [[resources.items.admin.fieldsets]]
-- | title = "Circulation"
-- | fields = ["branch_id", "status"]
-- |
-- | # --- staff_branches -------------------------------------------------------------------------------
-- | [resources.staff_branches]
-- | comment = "Which branch a staff member works at (user_id is an auth.users id)."
-- | roles = { read = "user", create = "supervisor", update = "supervisor", delete = "supervisor" }
-- | indexes = [{ fields = ["user_id", "branch_id"], unique = true }]
-- |
-- | [resources.staff_branches.fields]
-- | id = { type = "bigint", primary_key = true, generated = "identity" }
-- | user_id = { type = "bigint", comment = "The staff member (auth.users.id)." }
-- | branch_id = { type = "bigint", references = "branches", on_delete = "cascade" }
-- |
-- | [resources.staff_branches.policies]
-- | read = { any_of = [{ tier_at_least = "supervisor" }, "user_id = user.id"] }
-- |
-- | [resources.staff_branches.admin]
-- | list_display = ["id", "user_id", "branch_id"]
-- | list_filter = ["branch_id"]
-- | ordering = ["user_id", "branch_id"]
-- |
-- | # --- loans ----------------------------------------------------------------------------------------
-- | [resources.loans]
-- | comment = "An item lent to a patron by a branch."
-- | display = "id"
-- | roles = { read = "user", create = "staff", update = "staff", delete = "administrator" }
-- | list = { default_limit = 25, max_limit = 100, order = "due_at", filter = ["status", "branch_id", "patron_id"] }
-- |
-- | [resources.loans.fields]
-- | id = { type = "bigint", primary_key = true, generated = "identity" }
-- | patron_id = { type = "bigint", references = "patrons", on_delete = "restrict" }
-- | item_id = { type = "bigint", references = "items", on_delete = "restrict" }
-- | branch_id = { type = "bigint", references = "branches", on_delete = "restrict", comment = "The lending branch." }
-- | status = { type = "text", choices = ["active", "returned", "overdue"], default = "active" }
-- | borrowed_at = { type = "timestamptz", generated = "created_at" }
-- | due_at = { type = "timestamptz" }
-- | returned_at = { type = "timestamptz", nullable = true }
-- |
-- | [resources.loans.policies]
-- | read = { any_of = [
-- |   { tier_at_least = "supervisor" },
-- |   { all_of = [{ tier_at_least = "staff" },
-- |               { exists = { resource = "staff_branches", where = ["branch_id = row.branch_id", "user_id = user.id"] } }] },
-- |   { exists = { resource = "patrons", where = ["id = row.patron_id", "user_id = user.id"] } },
-- |   { scoped_grant = { permission = "loans.view", scope = "branch", field = "branch_id" } },
-- | ] }
-- | update = { any_of = [
-- |   { tier_at_least = "supervisor" },
-- |   { exists = { resource = "staff_branches", where = ["branch_id = row.branch_id", "user_id = user.id"] } },
-- | ] }
-- | create.require = { any_of = [
-- |   { tier_at_least = "supervisor" },
-- |   { exists = { resource = "staff_branches", where = ["branch_id = input.branch_id", "user_id = user.id"] } },
-- | ] }
-- |
-- | [resources.loans.admin]
-- | list_display = ["id", "patron_id", "item_id", "branch_id", "status", "due_at", "returned_at"]
-- | list_filter = ["status", "branch_id", "due_at"]
-- | search_fields = ["status"]
-- | ordering = ["-due_at", "id"]
-- | readonly_fields = ["borrowed_at"]
-- |
-- | [[resources.loans.admin.bulk_actions]]
-- | name = "mark_overdue"
-- | label = "Mark selected loans overdue"
-- | confirm = "Mark these loans overdue?"
-- |
-- | [[resources.loans.admin.bulk_actions]]
-- | name = "mark_returned"
-- | label = "Mark selected loans returned"
-- | confirm = "Mark these loans returned? Their return time is set to now."
