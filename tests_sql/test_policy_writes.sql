-- Writes to rows the read policy hides (examples/family_app; docs/policies.md, doctrines 5 and
-- 11). A delegate of a family's owner may update the family and its children's profiles but not
-- read them (REFERENCE §B6). PostgreSQL applies the read policy to an UPDATE or DELETE whose
-- WHERE reads the row, so `<table>_read_to_update` / `_read_to_delete` admit the rows the write
-- allows while the request is that write (authz.writing()); and an update re-checks only the
-- references it changes (authz.check_references()), so the delegate keeps the family and
-- household it cannot read, while a changed reference to a hidden row is still 42501.
set client_min_messages = warning;
\ir fixtures/standins.sql
\ir ../examples/family_app/migrations/deploy/policies_family_app.sql

begin;
select plan(20);

-- Run `stmt` as user `uid` (tier user) in a request of `method`, rolled back; the outcome is
-- 'rows N' or 'SQLSTATE: message'.
create function pg_temp.try(uid bigint, method text, stmt text) returns text
language plpgsql as $$
declare
  n bigint;
begin
  begin
    perform set_config('request.jwt.claims',
      json_build_object('sub', uid::text, 'role', 'pgw_user', 'tier', 'user')::text, true);
    perform set_config('request.method', method, true);
    set local role pgw_user;
    execute format('with x as (%s) select count(*) from x', stmt) into n;
    raise exception using errcode = 'PGW01', message = 'rows ' || n;
  exception when others then
    reset role;
    perform set_config('request.method', '', true);
    return case when sqlstate = 'PGW01' then sqlerrm else sqlstate || ': ' || sqlerrm end;
  end;
end
$$;

-- The guardian (user 1) owns family 1 with member 2; user 3 owns family 2; user 5 is the
-- guardian's delegate in family 1 and no member of it.
insert into family.family (id, owner_user_id, slug, name) overriding system value values
  (1, 1, 'virtanen', 'Virtanen'), (2, 3, 'other', 'Other family');
insert into family.family_member (id, family_id, user_id, created_by_user_id, display_name) overriding system value values
  (11, 1, 1, 1, 'Guardian'), (12, 1, 2, 1, 'Spouse'), (13, 2, 3, 3, 'Outsider');
insert into family.household (id, family_id, created_by_user_id, slug, label) overriding system value values
  (21, 1, 1, 'home', 'Home'), (22, 2, 3, 'away', 'Away'), (23, 1, 2, 'cabin', 'Cabin');
insert into family.child_profile (id, family_id, household_id, created_by_user_id, primary_guardian_user_id, display_name) overriding system value values
  (31, 1, 21, 1, 1, 'Kid');
insert into family.family_delegate (family_id, primary_user_id, delegate_user_id) values (1, 1, 5);

-- 1. The helpers' facts.
select function_privs_are('authz', 'writing', array['text'], 'pgw_user', array['EXECUTE'],
                          'every tier may call authz.writing()');
select function_privs_are('authz', 'writing', array['text'], 'public', array[]::text[],
                          'PUBLIC may not call authz.writing()');
select ok((select not p.prosecdef and p.proconfig = array['search_path=""']
             from pg_proc p where p.oid = 'authz.check_references()'::regprocedure),
          'authz.check_references() is SECURITY INVOKER (the writer''s RLS applies) with an empty search_path');
select policies_are('family', 'family',
  array['family_read', 'family_create', 'family_update', 'family_delete', 'family_read_to_update',
        'family_admin_bypass'],
  'family has a read policy for its updates only (its delete test is its read test''s owner)');

-- 2. The delegate updates the family by id during a PATCH, and only then.
select is(pg_temp.try(5, 'GET', 'select id from family.family'), 'rows 0',
          'the delegate does not read the family');
select is(pg_temp.try(5, 'PATCH', $$update family.family set name = 'By id' where id = 1 returning id$$),
          'rows 1', 'a PATCH by id reaches the family the delegate may update');
select is(pg_temp.try(5, 'POST', $$update family.family set name = 'By id' where id = 1 returning id$$),
          'rows 0', 'the same statement outside a PATCH matches nothing');
select is(pg_temp.try(5, 'DELETE', 'delete from family.family where id = 1 returning id'), 'rows 0',
          'a DELETE does not reach it: the delegate may not delete');
select is(pg_temp.try(3, 'PATCH', $$update family.family set name = 'X' where id = 1 returning id$$),
          'rows 0', 'an outsider''s PATCH matches nothing');
select is(pg_temp.try(5, 'PATCH', $$update family.family set name = 'X' where id = 2 returning id$$),
          'rows 0', 'the delegate''s PATCH of another family matches nothing');
select is(pg_temp.try(5, 'PATCH', 'select id from family.child_profile where id = 31'), 'rows 1',
          'during a PATCH the delegate reads only what it may update');
select is(pg_temp.try(5, 'PATCH', 'select id from family.household'), 'rows 0',
          'and nothing it may not update');

-- 3. The delegate updates a child profile, keeping the references it cannot read.
select is(pg_temp.try(5, 'PATCH', $$update family.child_profile set school = 'By delegate' where id = 31 returning id$$),
          'rows 1', 'the delegate updates the child profile (family and household unchanged)');
select is(pg_temp.try(5, 'PATCH', $$update family.child_profile set school = 'x', household_id = 21 where id = 31 returning id$$),
          'rows 1', 'naming the same household again is no change');
select is(pg_temp.try(5, 'PATCH', 'update family.child_profile set household_id = 22 where id = 31 returning id'),
          '42501: new row violates row-level security policy for table "child_profile"',
          'a changed reference to a household the delegate cannot read is refused');
select is(pg_temp.try(5, 'PATCH', 'update family.child_profile set household_id = 9999 where id = 31 returning id'),
          '42501: new row violates row-level security policy for table "child_profile"',
          'with the same error as a reference to no household at all');

-- 4. Doctrine 5 still holds for members: a changed reference must be readable.
select is(pg_temp.try(1, 'PATCH', 'update family.child_profile set household_id = 23 where id = 31 returning id'),
          'rows 1', 'the creator moves the child to a household of its family');
select is(pg_temp.try(1, 'PATCH', 'update family.child_profile set family_id = 2 where id = 31 returning id'),
          '42501: new row violates row-level security policy for table "child_profile"',
          'a reference to another family''s row is refused');
select is(pg_temp.try(1, 'PATCH', 'update family.child_profile set household_id = 22 where id = 31 returning id'),
          '42501: new row violates row-level security policy for table "child_profile"',
          'a reference to another family''s household is refused');
select is((select school from family.child_profile where id = 31), '',
          'every attempt was rolled back');

select * from finish();
rollback;
