-- Code of the identity tables' access (state: 29_users_access.sql): the cross-rank guard of
-- memberships and direct grants.

-- A membership or direct grant is an authority change of that user: the cross-rank guard
-- applies to it (an administrator cannot regroup a developer).
create or replace function auth.user_links_rank_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  target bigint := (pg_catalog.to_jsonb(coalesce(new, old)) ->> 'user_id')::bigint;
begin
  if actor is not null and target <> actor and (
       select auth.tier_rank(t.role) from auth.users t where t.id = target)
     >= coalesce((select auth.tier_rank(a.role) from auth.users a
                   where a.id = actor and a.is_active), 0) then
    perform auth.refuse('cross_rank', 'You cannot modify users at or above your authority level.');
  end if;
  return coalesce(new, old);
end
$$;
comment on function auth.user_links_rank_guard() is
  'Trigger: the cross-rank guard for group memberships and direct permission grants.';

drop trigger if exists user_groups_rank_guard on auth.user_groups;
create trigger user_groups_rank_guard
  before insert or delete on auth.user_groups
  for each row execute function auth.user_links_rank_guard();
comment on trigger user_groups_rank_guard on auth.user_groups is 'The cross-rank guard for memberships.';
drop trigger if exists user_permissions_rank_guard on auth.user_permissions;
create trigger user_permissions_rank_guard
  before insert or delete on auth.user_permissions
  for each row execute function auth.user_links_rank_guard();
comment on trigger user_permissions_rank_guard on auth.user_permissions is 'The cross-rank guard for direct grants.';

alter function auth.user_links_rank_guard() owner to pgw_auth_service;
revoke execute on function auth.user_links_rank_guard() from public;
