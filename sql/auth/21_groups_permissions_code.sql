-- Code of groups and permissions (state: 21_groups_permissions.sql): the trigger that links a new
-- permission to the groups whose auto_actions name its action, and auth.register_resource().

-- A new permission joins every group whose auto_actions name its action.
create or replace function auth.permissions_autolink()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into auth.group_permissions (group_id, codename)
  select g.id, new.codename from auth.groups g
   where new.auto_grant and new.action = any (g.auto_actions)
  on conflict do nothing;
  return null;
end
$$;
comment on function auth.permissions_autolink() is
  'Trigger: links a new permission to the groups whose auto_actions include its action.';

drop trigger if exists permissions_autolink on auth.permissions;
create trigger permissions_autolink
  after insert on auth.permissions
  for each row execute function auth.permissions_autolink();
comment on trigger permissions_autolink on auth.permissions is 'Links a new permission to the groups whose auto_actions name its action.';

create or replace function auth.register_resource(resource text, label text default null,
                                                  auto_grant boolean default true)
returns setof text
language sql
set search_path = ''
as $$
  insert into auth.permissions (codename, description, auto_grant)
  select resource || '.' || a, pg_catalog.initcap(a) || ' ' || coalesce(label, resource),
         auto_grant
    from pg_catalog.unnest(array['view', 'add', 'change', 'delete']) a
  on conflict (codename) do nothing
  returning codename
$$;
comment on function auth.register_resource(text, text, boolean) is
  'Creates the four permissions of a resource (view/add/change/delete); returns the new codenames.';

revoke execute on function auth.permissions_autolink(), auth.register_resource(text, text, boolean)
  from public;
alter function auth.permissions_autolink() owner to pgw_auth_service;
