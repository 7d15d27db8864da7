-- Verify pgwarden:authz_scopes on pg
BEGIN;
select s.name, s.parent, s.description from authz.scopes s where false;
select t.scope from authz.templates t where false;
ROLLBACK;
