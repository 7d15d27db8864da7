-- Revert pgwarden:authz_resource_permissions from pg
BEGIN;
drop trigger if exists resources_seed_permissions on authz.resources;
drop function if exists authz.seed_resource_permissions();
-- the permissions this change registered (a compiled policies change registers its own)
delete from auth.permissions where description like '% (every declared resource)';
COMMIT;
