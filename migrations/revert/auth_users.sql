-- Revert pgwarden:auth_users
-- pgw_session_writer belongs to audit_core and stays; pgw_auth_service is dropped unless another
-- database of the cluster still uses it (then kept, with a notice).
BEGIN;
drop table if exists auth.user_permissions, auth.group_permissions, auth.user_groups,
  auth.permissions, auth.groups, auth.users, auth.config;
drop function if exists auth.user_links_rank_guard();
drop function if exists auth.permission_links_audit();
drop function if exists auth.user_groups_audit();
drop function if exists auth.groups_audit();
drop function if exists auth.users_orphan_guard();
drop function if exists auth.users_rank_guard();
drop function if exists auth.refuse(text, text);
drop function if exists auth.has_perm(text);
drop function if exists auth.register_resource(text, text, boolean);
drop function if exists auth.permissions_autolink();
drop function if exists auth.users_normalize();
drop function if exists auth.tier_rank(text);
drop function if exists auth.normalize_email(text);
drop function if exists auth.now();
revoke execute on function audit.record(text, text, text, text, jsonb, bigint)
  from pgw_auth_service;
revoke usage on schema auth, pgwarden, audit from pgw_auth_service;
do $revert$
begin
  drop role if exists pgw_auth_service;
exception when dependent_objects_still_exist or object_in_use then
  raise notice 'role pgw_auth_service is still used elsewhere in this cluster; kept';
end
$revert$;
COMMIT;
