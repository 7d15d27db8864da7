-- Revert pgwarden:auth_login
BEGIN;
drop function if exists auth.elevate_session(bigint);
drop function if exists auth.change_password(text);
drop function if exists auth.password_hash_of(bigint);
drop function if exists auth.login_finish(text, bigint, boolean, text, inet, text, text);
drop function if exists auth.login_fail(auth.users, text, text);
drop function if exists auth.login_begin(text, inet);
drop function if exists auth.purge_expired(interval);
drop function if exists auth.ip_throttle_hit(inet);
drop table if exists auth.throttle;
COMMIT;
