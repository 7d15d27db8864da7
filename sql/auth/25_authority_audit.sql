-- Typed audit events for groups, memberships and permission grants, written by triggers so
-- that a DBA's psql edit is audited exactly like the admin's.
--   auth.groups             insert/update/delete  -> group_created / group_updated / group_deleted
--   auth.user_groups        insert/delete         -> group_membership_changed (metadata.change)
--   auth.user_permissions,
--   auth.group_permissions  insert/delete         -> permission_granted / permission_revoked

create or replace function auth.groups_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_ auth.groups := coalesce(new, old);
begin
  perform audit.record(
    case tg_op when 'INSERT' then 'group_created' when 'UPDATE' then 'group_updated'
               else 'group_deleted' end,
    'auth.groups', row_.id::text, pg_catalog.format('group %s', row_.name),
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'name', row_.name,
      'previous_name', case when tg_op = 'UPDATE' and old.name <> new.name then old.name end,
      'auto_actions', pg_catalog.to_jsonb(row_.auto_actions))));
  return null;
end
$$;
comment on function auth.groups_audit() is
  'Trigger: audits group_created, group_updated and group_deleted.';

create or replace function auth.user_groups_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  row_ auth.user_groups := coalesce(new, old);
begin
  perform audit.record(
    'group_membership_changed', 'auth.users', row_.user_id::text,
    pg_catalog.format('user %s %s group %s', row_.user_id,
                      case tg_op when 'INSERT' then 'joined' else 'left' end, row_.group_id),
    pg_catalog.jsonb_build_object(
      'change', case tg_op when 'INSERT' then 'added' else 'removed' end,
      'group_id', row_.group_id,
      'group', (select g.name from auth.groups g where g.id = row_.group_id)));
  return null;
end
$$;
comment on function auth.user_groups_audit() is
  'Trigger: audits group_membership_changed (metadata.change: added or removed).';

create or replace function auth.permission_links_audit()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  holder jsonb := pg_catalog.to_jsonb(coalesce(new, old));
  is_user boolean := tg_table_name = 'user_permissions';
begin
  perform audit.record(
    case tg_op when 'INSERT' then 'permission_granted' else 'permission_revoked' end,
    case when is_user then 'auth.users' else 'auth.groups' end,
    case when is_user then holder ->> 'user_id' else holder ->> 'group_id' end,
    pg_catalog.format('%s %s %s', holder ->> 'codename',
                      case tg_op when 'INSERT' then 'granted to' else 'revoked from' end,
                      case when is_user then 'user ' || (holder ->> 'user_id')
                           else 'group ' || (holder ->> 'group_id') end),
    pg_catalog.jsonb_build_object('codename', holder ->> 'codename',
                                  'holder', case when is_user then 'user' else 'group' end));
  return null;
end
$$;
comment on function auth.permission_links_audit() is
  'Trigger: audits permission_granted and permission_revoked on user and group grants.';

drop trigger if exists groups_audit on auth.groups;
create trigger groups_audit
  after insert or update or delete on auth.groups
  for each row execute function auth.groups_audit();
comment on trigger groups_audit on auth.groups is 'Audits group_created, group_updated, group_deleted.';

drop trigger if exists user_groups_audit on auth.user_groups;
create trigger user_groups_audit
  after insert or delete on auth.user_groups
  for each row execute function auth.user_groups_audit();
comment on trigger user_groups_audit on auth.user_groups is 'Audits group_membership_changed.';

drop trigger if exists user_permissions_audit on auth.user_permissions;
create trigger user_permissions_audit
  after insert or delete on auth.user_permissions
  for each row execute function auth.permission_links_audit();
comment on trigger user_permissions_audit on auth.user_permissions is 'Audits permission_granted and permission_revoked.';

drop trigger if exists group_permissions_audit on auth.group_permissions;
create trigger group_permissions_audit
  after insert or delete on auth.group_permissions
  for each row execute function auth.permission_links_audit();
comment on trigger group_permissions_audit on auth.group_permissions is 'Audits permission_granted and permission_revoked.';

alter function auth.groups_audit() owner to pgw_auth_service;
alter function auth.user_groups_audit() owner to pgw_auth_service;
alter function auth.permission_links_audit() owner to pgw_auth_service;
revoke execute on function auth.groups_audit(), auth.user_groups_audit(),
  auth.permission_links_audit() from public;
grant execute on function audit.record(text, text, text, text, jsonb, bigint)
  to pgw_auth_service;
