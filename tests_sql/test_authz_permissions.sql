-- Declared permissions (change authz_permissions): a policy file's [authorization.permissions]
-- compile into authz.permissions, and authz.grant_scoped() refuses a permission that is neither
-- declared there nor a resource codename (auth.permissions), with a typed error and nothing
-- written; a grant of an unknown name would count for nothing. docs/policies.md.
begin;
select plan(8);

insert into auth.users (id, email, role) overriding system value values (902, 'perm@example.com', 'user');
insert into authz.scopes (name) values ('family');
insert into authz.permissions (name, actions, resources, scopes)
  values ('family_read', array['read'], array['family'], array['family']);
insert into auth.permissions (codename) values ('gadgets.view');

select throws_ok($$select authz.grant_scoped(902, 'permission', 'family_reed', 'family', '7')$$,
                 '22023', 'unknown permission family_reed', 'an unknown permission is refused');
select is((select count(*)::int from authz.scoped_grants), 0, 'and nothing was granted');
select is((select count(*)::int from authz.scoped_grant_events), 0, 'nor logged');
select throws_ok($$select authz.grant_scoped(902, 'permission', 'gadgets.fly', 'family', '7')$$,
                 '22023', 'unknown permission gadgets.fly', 'a codename no resource has is refused');
select lives_ok($$select authz.grant_scoped(902, 'permission', 'family_read', 'family', '7')$$,
                'a declared permission is granted');
select lives_ok($$select authz.grant_scoped(902, 'permission', 'gadgets.view', 'family', '7')$$,
                'a resource codename is granted');
select throws_ok($$insert into authz.permissions (name, actions) values ('x', array['fly'])$$,
                 '23514', null, 'a permission''s actions are the four of a resource');
select table_privs_are('authz', 'permissions', 'pgw_user', array[]::text[],
                       'a user cannot read or write declared permissions');

select * from finish();
rollback;
