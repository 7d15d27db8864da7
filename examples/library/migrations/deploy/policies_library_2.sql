-- Deploy library:policies_library_2 to pg
-- requires: policies_library, pgwarden:authz_helpers, pgwarden:audit_rows, pgwarden:auth_users, pgwarden:authz_grants
-- Compiled by `pgwarden policies compile` from policies/library.toml: the changes since policies_library.
-- Do not edit; change the declarations and compile again.
BEGIN;

set local client_min_messages = warning;
drop policy if exists branches_read on library.branches;
drop policy if exists branches_create on library.branches;
drop policy if exists branches_update on library.branches;
drop policy if exists branches_delete on library.branches;
drop policy if exists branches_admin_bypass on library.branches;
drop policy if exists patrons_read on library.patrons;
drop policy if exists patrons_create on library.patrons;
drop policy if exists patrons_update on library.patrons;
drop policy if exists patrons_delete on library.patrons;
drop policy if exists patrons_admin_bypass on library.patrons;
drop policy if exists items_read on library.items;
drop policy if exists items_create on library.items;
drop policy if exists items_update on library.items;
drop policy if exists items_delete on library.items;
drop policy if exists items_admin_bypass on library.items;
create index items_title_id_idx on library.items (title, id);
drop policy if exists staff_branches_read on library.staff_branches;
drop policy if exists staff_branches_create on library.staff_branches;
drop policy if exists staff_branches_update on library.staff_branches;
drop policy if exists staff_branches_delete on library.staff_branches;
drop policy if exists staff_branches_admin_bypass on library.staff_branches;
drop policy if exists loans_read on library.loans;
drop policy if exists loans_create on library.loans;
drop policy if exists loans_update on library.loans;
drop policy if exists loans_delete on library.loans;
drop policy if exists loans_admin_bypass on library.loans;
-- branches: privileges, row-level security, triggers
revoke all on library.branches from pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer;
grant select on library.branches to pgw_user;
grant insert (name, address, is_open) on library.branches to pgw_administrator;
grant update (name, address, is_open) on library.branches to pgw_administrator;
grant delete on library.branches to pgw_administrator;
alter table library.branches enable row level security;
alter table library.branches force row level security;
drop policy if exists branches_read on library.branches;
create policy branches_read on library.branches as permissive for select to pgw_user
  using (true);
comment on policy branches_read on library.branches is 'read: tier user and above; on every row.';
drop policy if exists branches_create on library.branches;
create policy branches_create on library.branches as permissive for insert to pgw_administrator
  with check (true);
comment on policy branches_create on library.branches is 'create: tier administrator and above; on every row.';
drop policy if exists branches_update on library.branches;
create policy branches_update on library.branches as permissive for update to pgw_administrator
  using (true)
  with check (true);
comment on policy branches_update on library.branches is 'update: tier administrator and above; on every row.';
drop policy if exists branches_delete on library.branches;
create policy branches_delete on library.branches as permissive for delete to pgw_administrator
  using (true);
comment on policy branches_delete on library.branches is 'delete: tier administrator and above; on every row.';
drop policy if exists branches_admin_bypass on library.branches;
create policy branches_admin_bypass on library.branches as permissive for all to pgw_administrator
  using (true) with check (true);
comment on policy branches_admin_bypass on library.branches is 'admin_bypass: administrators and developers see and change every row their grants allow.';
insert into authz.resources (name, relation, declared_in, display_field, default_limit,
    max_limit, default_order, search_fields, filter_fields)
  values ('branches', 'library.branches', 'policies/library.toml', 'name', 25, 100, 'name', array['name', 'address']::text[], array['is_open']::text[])
  on conflict (name) do update set relation = excluded.relation,
    declared_in = excluded.declared_in, display_field = excluded.display_field,
    default_limit = excluded.default_limit, max_limit = excluded.max_limit,
    default_order = excluded.default_order, search_fields = excluded.search_fields,
    filter_fields = excluded.filter_fields;
select audit.enable('library.branches'::regclass);

-- patrons: privileges, row-level security, triggers
revoke all on library.patrons from pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer;
grant select on library.patrons to pgw_user;
grant insert (user_id, card_number, full_name, email, is_active) on library.patrons to pgw_staff;
grant update (user_id, card_number, full_name, email, is_active) on library.patrons to pgw_staff;
grant delete on library.patrons to pgw_administrator;
alter table library.patrons enable row level security;
alter table library.patrons force row level security;
drop policy if exists patrons_read on library.patrons;
create policy patrons_read on library.patrons as permissive for select to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_staff', 'usage')
    or user_id = (select auth.uid())
  );
comment on policy patrons_read on library.patrons is 'read: tier user and above; on rows where (tier >= staff OR user_id = user.id).';
drop policy if exists patrons_create on library.patrons;
create policy patrons_create on library.patrons as permissive for insert to pgw_staff
  with check (true);
comment on policy patrons_create on library.patrons is 'create: tier staff and above; on every row.';
drop policy if exists patrons_update on library.patrons;
create policy patrons_update on library.patrons as permissive for update to pgw_staff
  using (pg_catalog.pg_has_role('pgw_staff', 'usage'))
  with check (pg_catalog.pg_has_role('pgw_staff', 'usage'));
comment on policy patrons_update on library.patrons is 'update: tier staff and above; on rows where tier >= staff.';
drop policy if exists patrons_delete on library.patrons;
create policy patrons_delete on library.patrons as permissive for delete to pgw_administrator
  using (true);
comment on policy patrons_delete on library.patrons is 'delete: tier administrator and above; on every row.';
drop policy if exists patrons_admin_bypass on library.patrons;
create policy patrons_admin_bypass on library.patrons as permissive for all to pgw_administrator
  using (true) with check (true);
comment on policy patrons_admin_bypass on library.patrons is 'admin_bypass: administrators and developers see and change every row their grants allow.';
insert into authz.resources (name, relation, declared_in, display_field, default_limit,
    max_limit, default_order, search_fields, filter_fields)
  values ('patrons', 'library.patrons', 'policies/library.toml', 'full_name', 25, 100, 'full_name', array['full_name', 'card_number']::text[], array['is_active']::text[])
  on conflict (name) do update set relation = excluded.relation,
    declared_in = excluded.declared_in, display_field = excluded.display_field,
    default_limit = excluded.default_limit, max_limit = excluded.max_limit,
    default_order = excluded.default_order, search_fields = excluded.search_fields,
    filter_fields = excluded.filter_fields;
select audit.enable('library.patrons'::regclass, array['email']::text[]);

-- items: privileges, row-level security, triggers
revoke all on library.items from pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer;
grant select on library.items to pgw_user;
grant insert (branch_id, title, kind, isbn, status) on library.items to pgw_user;
grant update (branch_id, title, kind, isbn, status) on library.items to pgw_user;
grant delete on library.items to pgw_user;
alter table library.items enable row level security;
alter table library.items force row level security;
drop policy if exists items_read on library.items;
create policy items_read on library.items as permissive for select to pgw_user
  using (true);
comment on policy items_read on library.items is 'read: tier user and above, or holders of items.view; on every row.';
drop policy if exists items_create on library.items;
create policy items_create on library.items as permissive for insert to pgw_user
  with check (
    (pg_catalog.pg_has_role('pgw_staff', 'usage') or (select auth.has_perm('items.add')))
    and exists (select from library.branches v where v.id = items.branch_id)
  );
comment on policy items_create on library.items is 'create: tier staff and above, or holders of items.add; on every row.';
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
drop policy if exists items_delete on library.items;
create policy items_delete on library.items as permissive for delete to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_administrator', 'usage') or (select auth.has_perm('items.delete'))
  );
comment on policy items_delete on library.items is 'delete: tier administrator and above, or holders of items.delete; on every row.';
drop policy if exists items_admin_bypass on library.items;
create policy items_admin_bypass on library.items as permissive for all to pgw_administrator
  using (true) with check (true);
comment on policy items_admin_bypass on library.items is 'admin_bypass: administrators and developers see and change every row their grants allow.';
insert into auth.permissions (codename, description) values
  ('items.view', 'view items'),
  ('items.add', 'add items'),
  ('items.change', 'change items'),
  ('items.delete', 'delete items')
on conflict (codename) do nothing;
insert into authz.resources (name, relation, declared_in, display_field, default_limit,
    max_limit, default_order, search_fields, filter_fields)
  values ('items', 'library.items', 'policies/library.toml', 'title', 25, 200, 'title', array['title', 'isbn']::text[], array['kind', 'status', 'branch_id']::text[])
  on conflict (name) do update set relation = excluded.relation,
    declared_in = excluded.declared_in, display_field = excluded.display_field,
    default_limit = excluded.default_limit, max_limit = excluded.max_limit,
    default_order = excluded.default_order, search_fields = excluded.search_fields,
    filter_fields = excluded.filter_fields;
select audit.enable('library.items'::regclass);

-- staff_branches: privileges, row-level security, triggers
revoke all on library.staff_branches from pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer;
grant select on library.staff_branches to pgw_user;
grant insert (user_id, branch_id) on library.staff_branches to pgw_supervisor;
grant update (user_id, branch_id) on library.staff_branches to pgw_supervisor;
grant delete on library.staff_branches to pgw_supervisor;
alter table library.staff_branches enable row level security;
alter table library.staff_branches force row level security;
drop policy if exists staff_branches_read on library.staff_branches;
create policy staff_branches_read on library.staff_branches as permissive for select to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or user_id = (select auth.uid())
  );
comment on policy staff_branches_read on library.staff_branches is 'read: tier user and above; on rows where (tier >= supervisor OR user_id = user.id).';
drop policy if exists staff_branches_create on library.staff_branches;
create policy staff_branches_create on library.staff_branches as permissive for insert to pgw_supervisor
  with check (
    exists (select from library.branches v where v.id = staff_branches.branch_id)
  );
comment on policy staff_branches_create on library.staff_branches is 'create: tier supervisor and above; on every row.';
drop policy if exists staff_branches_update on library.staff_branches;
create policy staff_branches_update on library.staff_branches as permissive for update to pgw_supervisor
  using (true)
  with check (
    exists (select from library.branches v where v.id = staff_branches.branch_id)
  );
comment on policy staff_branches_update on library.staff_branches is 'update: tier supervisor and above; on every row.';
drop policy if exists staff_branches_delete on library.staff_branches;
create policy staff_branches_delete on library.staff_branches as permissive for delete to pgw_supervisor
  using (true);
comment on policy staff_branches_delete on library.staff_branches is 'delete: tier supervisor and above; on every row.';
drop policy if exists staff_branches_admin_bypass on library.staff_branches;
create policy staff_branches_admin_bypass on library.staff_branches as permissive for all to pgw_administrator
  using (true) with check (true);
comment on policy staff_branches_admin_bypass on library.staff_branches is 'admin_bypass: administrators and developers see and change every row their grants allow.';
insert into authz.resources (name, relation, declared_in, display_field, default_limit,
    max_limit, default_order, search_fields, filter_fields)
  values ('staff_branches', 'library.staff_branches', 'policies/library.toml', null, null, null, null, array[]::text[], array[]::text[])
  on conflict (name) do update set relation = excluded.relation,
    declared_in = excluded.declared_in, display_field = excluded.display_field,
    default_limit = excluded.default_limit, max_limit = excluded.max_limit,
    default_order = excluded.default_order, search_fields = excluded.search_fields,
    filter_fields = excluded.filter_fields;
select audit.enable('library.staff_branches'::regclass);

-- loans: privileges, row-level security, triggers
revoke all on library.loans from pgw_anon, pgw_user, pgw_staff, pgw_supervisor, pgw_administrator, pgw_developer;
grant select on library.loans to pgw_user;
grant insert (patron_id, item_id, branch_id, status, due_at, returned_at) on library.loans to pgw_staff;
grant update (patron_id, item_id, branch_id, status, due_at, returned_at) on library.loans to pgw_staff;
grant delete on library.loans to pgw_administrator;
alter table library.loans enable row level security;
alter table library.loans force row level security;
drop policy if exists loans_read on library.loans;
create policy loans_read on library.loans as permissive for select to pgw_user
  using (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or (pg_catalog.pg_has_role('pgw_staff', 'usage') and exists (select from library.staff_branches e1 where e1.branch_id = loans.branch_id and e1.user_id = (select auth.uid())))
    or exists (select from library.patrons e1 where e1.id = loans.patron_id and e1.user_id = (select auth.uid()))
    or authz.has_scoped_grant('loans.view', 'branch', branch_id::text)
  );
comment on policy loans_read on library.loans is 'read: tier user and above; on rows where (tier >= supervisor OR (tier >= staff AND EXISTS a staff_branches row where (branch_id = row.branch_id AND user_id = user.id)) OR EXISTS a patrons row where (id = row.patron_id AND user_id = user.id) OR scoped grant loans.view on branch = branch_id).';
drop policy if exists loans_create on library.loans;
create policy loans_create on library.loans as permissive for insert to pgw_staff
  with check (
    (pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or exists (select from library.staff_branches e1 where e1.branch_id = loans.branch_id and e1.user_id = (select auth.uid())))
    and exists (select from library.patrons v where v.id = loans.patron_id)
    and exists (select from library.items v where v.id = loans.item_id)
    and exists (select from library.branches v where v.id = loans.branch_id)
  );
comment on policy loans_create on library.loans is 'create: tier staff and above; may insert when (tier >= supervisor OR EXISTS a staff_branches row where (branch_id = input.branch_id AND user_id = user.id)).';
drop policy if exists loans_update on library.loans;
create policy loans_update on library.loans as permissive for update to pgw_staff
  using (
    pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or exists (select from library.staff_branches e1 where e1.branch_id = loans.branch_id and e1.user_id = (select auth.uid()))
  )
  with check (
    (pg_catalog.pg_has_role('pgw_supervisor', 'usage')
    or exists (select from library.staff_branches e1 where e1.branch_id = loans.branch_id and e1.user_id = (select auth.uid())))
    and exists (select from library.patrons v where v.id = loans.patron_id)
    and exists (select from library.items v where v.id = loans.item_id)
    and exists (select from library.branches v where v.id = loans.branch_id)
  );
comment on policy loans_update on library.loans is 'update: tier staff and above; on rows where (tier >= supervisor OR EXISTS a staff_branches row where (branch_id = row.branch_id AND user_id = user.id)).';
drop policy if exists loans_delete on library.loans;
create policy loans_delete on library.loans as permissive for delete to pgw_administrator
  using (true);
comment on policy loans_delete on library.loans is 'delete: tier administrator and above; on every row.';
drop policy if exists loans_admin_bypass on library.loans;
create policy loans_admin_bypass on library.loans as permissive for all to pgw_administrator
  using (true) with check (true);
comment on policy loans_admin_bypass on library.loans is 'admin_bypass: administrators and developers see and change every row their grants allow.';
insert into authz.resources (name, relation, declared_in, display_field, default_limit,
    max_limit, default_order, search_fields, filter_fields)
  values ('loans', 'library.loans', 'policies/library.toml', 'id', 25, 100, 'due_at', array[]::text[], array['status', 'branch_id', 'patron_id']::text[])
  on conflict (name) do update set relation = excluded.relation,
    declared_in = excluded.declared_in, display_field = excluded.display_field,
    default_limit = excluded.default_limit, max_limit = excluded.max_limit,
    default_order = excluded.default_order, search_fields = excluded.search_fields,
    filter_fields = excluded.filter_fields;
select audit.enable('library.loans'::regclass);


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
