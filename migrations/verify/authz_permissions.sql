-- Verify pgwarden:authz_permissions on pg
BEGIN;
select p.name, p.actions, p.resources, p.scopes, p.description from authz.permissions p where false;
ROLLBACK;
