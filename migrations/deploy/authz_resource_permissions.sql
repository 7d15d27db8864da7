-- Deploy pgwarden:authz_resource_permissions to pg
-- requires: authz_grants
BEGIN;
\ir ../../sql/authz/16_resource_permissions.sql

-- resources declared before this change get theirs once
select auth.register_resource(r.name, r.name || ' (every declared resource)')
  from authz.resources r;
COMMIT;
