-- Every declared resource has the four permissions `<resource>.view|add|change|delete`, as Django
-- and RustIO seed them for every model: a trigger on authz.resources (the row each compiled
-- policies change writes) registers them, so `perm grant`, `perm list` and `authz grant` know
-- them whether or not the resource's policies consult group permissions.
-- Code only (re-runnable). Test: tests_sql/test_authz_resource_permissions.sql.

create or replace function authz.seed_resource_permissions()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  -- auth.register_resource() owns the four codenames; the label marks what this change seeded
  perform auth.register_resource(new.name, new.name || ' (every declared resource)');
  return null;
end;
$$;
comment on function authz.seed_resource_permissions() is
  'Trigger: registers <resource>.view|add|change|delete in auth.permissions for a declared resource.';
revoke all on function authz.seed_resource_permissions() from public;

drop trigger if exists resources_seed_permissions on authz.resources;
create trigger resources_seed_permissions after insert on authz.resources
  for each row execute function authz.seed_resource_permissions();
comment on trigger resources_seed_permissions on authz.resources is
  'Seeds the four permissions of every resource a policies change declares.';
