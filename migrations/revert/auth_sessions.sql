-- Revert pgwarden:auth_sessions
BEGIN;
drop function if exists auth.revoke_user_sessions(bigint);
drop function if exists auth.revoke_my_other_sessions();
drop function if exists auth.revoke_my_session(bigint);
drop function if exists auth.logout();
drop function if exists auth.require_user();
drop view if exists auth.my_sessions;
drop function if exists auth.resolve_session(text);
drop trigger if exists users_30_effects on auth.users;
drop trigger if exists users_30_effects_delete on auth.users;
drop function if exists auth.users_effects();
drop table if exists auth.sessions;
drop function if exists auth.invalidate_sessions(text, text, bigint, bigint);
drop function if exists auth.sessions_guard();
COMMIT;
