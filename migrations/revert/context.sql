-- Revert pgwarden:context
BEGIN;
drop function if exists pgwarden.deployed_changes();
drop function if exists pgwarden.client_ip();
drop function if exists pgwarden.correlation_id();
drop function if exists auth.session_id();
drop function if exists auth.role();
drop function if exists auth.uid();
drop function if exists auth.claim(text);
drop function if exists auth.jwt();
drop schema if exists api;
drop schema if exists auth;
drop schema if exists pgwarden;
COMMIT;
