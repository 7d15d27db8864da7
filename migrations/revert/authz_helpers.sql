-- Revert pgwarden:authz_helpers from pg
BEGIN;
drop table if exists authz.resources;
drop function if exists authz.touch();
drop function if exists authz.is_request_role();
drop schema if exists authz;
COMMIT;
