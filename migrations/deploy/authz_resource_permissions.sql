-- Deploy pgwarden:authz_resource_permissions to pg
-- requires: authz_grants
BEGIN;
\ir ../../sql/authz/16_resource_permissions.sql

-- resources declared before this change get theirs once
insert into auth.permissions (codename, description)
select r.name || '.' || a.action, a.action || ' ' || r.name || ' (every declared resource)'
  from authz.resources r
 cross join pg_catalog.unnest(array['view', 'add', 'change', 'delete']) as a(action)
on conflict (codename) do nothing;
COMMIT;
