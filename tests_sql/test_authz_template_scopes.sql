-- Templates are granted at the one scope they declare (change authz_scopes): authz.grant_scoped()
-- refuses a template at another scope, accepts it at its own, and a template without a scope
-- (inserted by hand before scopes existed) still goes anywhere. Scopes nest without cycles.
begin;
select plan(6);

insert into auth.users (id, email, role) overriding system value values (901, 'scoped@example.com', 'user');
insert into authz.scopes (name, parent) values ('family', null), ('household', 'family');
insert into authz.templates (name, permissions, scope) values ('caregiver', array['family_read'], 'family');
insert into authz.templates (name, permissions) values ('anywhere', array['family_read']);

select throws_ok($$select authz.grant_scoped(901, 'template', 'caregiver', 'household', '1')$$,
                 '22023', 'template caregiver is granted at scope family, not household',
                 'a template at another scope is refused');
select is((select count(*)::int from authz.scoped_grants), 0, 'and nothing was granted');
select lives_ok($$select authz.grant_scoped(901, 'template', 'caregiver', 'family', '7')$$,
                'a template at its own scope is granted');
select lives_ok($$select authz.grant_scoped(901, 'template', 'anywhere', 'household', '1')$$,
                'a template without a declared scope goes anywhere');
select throws_ok($$update authz.scopes set parent = 'family' where name = 'family'$$, '23514',
                 null, 'a scope is not its own parent');
select throws_ok($$insert into authz.templates (name, permissions, scope) values ('x', array['a'], 'clan')$$,
                 '23503', null, 'a template names a declared scope');

select * from finish();
rollback;
