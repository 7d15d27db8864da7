-- Revert library:policies_library from pg
-- Compiled by `pgwarden policies compile` from policies/library.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

delete from authz.resources where name in ('branches', 'patrons', 'items', 'staff_branches', 'loans');
select audit.disable('library.loans'::regclass);
drop table if exists library.loans;
select audit.disable('library.staff_branches'::regclass);
drop table if exists library.staff_branches;
select audit.disable('library.items'::regclass);
drop table if exists library.items;
delete from auth.permissions where codename in ('items.view', 'items.add', 'items.change', 'items.delete');
select audit.disable('library.patrons'::regclass);
drop table if exists library.patrons;
select audit.disable('library.branches'::regclass);
drop table if exists library.branches;
drop function if exists authz.library_staff_branches_14bcdeea(bigint);
drop function if exists authz.library_patrons_5df12837(bigint);
drop schema if exists library;

COMMIT;
