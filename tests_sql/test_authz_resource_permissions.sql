-- Every declared resource gets view/add/change/delete (sql/authz/16_resource_permissions.sql).
begin;
select plan(6);

insert into authz.resources (name, relation, declared_in)
values ('gadgets', 'shop.gadgets', 'policies/shop.toml');
select results_eq(
  $$select codename from auth.permissions where resource = 'gadgets' order by codename$$,
  array['gadgets.add', 'gadgets.change', 'gadgets.delete', 'gadgets.view'],
  'a declared resource gets its four permissions');

update authz.resources set declared_in = 'policies/other.toml' where name = 'gadgets';
delete from authz.resources where name = 'gadgets';
insert into authz.resources (name, relation, declared_in)
values ('gadgets', 'shop.gadgets', 'policies/shop.toml');
select is((select count(*)::int from auth.permissions where resource = 'gadgets'), 4,
          're-declaring a resource adds nothing twice');

insert into auth.group_permissions (group_id, codename)
select id, 'gadgets.delete' from auth.groups where name = 'editor';
select ok(exists (select from auth.group_permissions where codename = 'gadgets.delete'),
          'a group may hold a seeded permission');

select function_privs_are('authz', 'seed_resource_permissions', array[]::text[], 'public',
                          array[]::text[], 'PUBLIC may not call the seeding trigger function');
select is((select proconfig from pg_proc where oid = 'authz.seed_resource_permissions()'::regprocedure),
          array['search_path=""'], 'the seeding function pins search_path');
select has_trigger('authz', 'resources', 'resources_seed_permissions',
                   'authz.resources seeds permissions');

select * from finish();
rollback;
