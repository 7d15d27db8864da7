-- Cross-resource exists without RLS recursion (examples/family_app, compiled into its own sqitch
-- project): family reads through family_member, family_member through family and through its
-- co-members, household and the rest through both. Every lookup is a SECURITY DEFINER helper
-- owned by pgw_policy_reader, so no statement re-enters RLS (no 42P17), for any tier; the helpers'
-- facts (definer, search_path, owner, EXECUTE) are pinned too. docs/policies.md, doctrine 7.
set client_min_messages = warning;
\ir fixtures/standins.sql
\ir ../examples/family_app/migrations/deploy/policies_family_app.sql

begin;
select plan(32);

-- Run `stmt` (any statement returning rows) as user `uid` at tier `tier`, rolled back; the
-- outcome is 'rows N' or 'SQLSTATE: message'.
create function pg_temp.try(tier text, uid bigint, stmt text) returns text
language plpgsql as $$
declare
  n bigint;
begin
  begin
    perform set_config('request.jwt.claims',
      json_build_object('sub', uid::text, 'role', 'pgw_' || tier, 'tier', tier)::text, true);
    execute format('set local role %I', 'pgw_' || tier);
    execute format('with x as (%s) select count(*) from x', stmt) into n;
    raise exception using errcode = 'PGW01', message = 'rows ' || n;
  exception when others then
    reset role;
    return case when sqlstate = 'PGW01' then sqlerrm else sqlstate || ': ' || sqlerrm end;
  end;
end
$$;

-- Family 1 belongs to the guardian (user 1), with the spouse (user 2) as a member; family 2
-- belongs to an outsider (user 3). User 4, a member too, is the guardian's delegate. One household, child, care plan and shopping item in family 1.
insert into family.family (id, owner_user_id, slug, name) overriding system value values
  (1, 1, 'virtanen', 'Virtanen'), (2, 3, 'other', 'Other family');
insert into family.family_member (id, family_id, user_id, created_by_user_id, display_name) overriding system value values
  (11, 1, 1, 1, 'Guardian'), (12, 1, 2, 1, 'Spouse'), (13, 2, 3, 3, 'Outsider'),
  (14, 1, 4, 1, 'Grandparent');
insert into family.household (id, family_id, created_by_user_id, slug, label) overriding system value values
  (21, 1, 1, 'home', 'Home'), (22, 2, 3, 'away', 'Away');
insert into family.child_profile (id, family_id, household_id, created_by_user_id, primary_guardian_user_id, display_name) overriding system value values
  (31, 1, 21, 1, 1, 'Kid');
insert into family.shopping_item (id, family_id, household_id, created_by_user_id, title) overriding system value values
  (41, 1, 21, 1, 'Milk');
insert into family.household_announcement (family_id, author_user_id, household_slug, title) values
  (1, 1, 'home', 'Dinner at six'), (1, 1, 'nowhere', 'Lost slug');
insert into family.family_delegate (family_id, primary_user_id, delegate_user_id) values (1, 1, 4);

-- 1. The helpers: definer, empty search_path, owned by pgw_policy_reader, no PUBLIC execute.
select ok((select bool_and(p.prosecdef and p.proconfig = array['search_path=""'] and p.provolatile = 's')
             from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'authz' and p.proname like 'family_app_%'),
          'every exists helper is SECURITY DEFINER, STABLE, search_path empty');
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'authz' and p.proname like 'family_app_%'
              and pg_get_userbyid(p.proowner) <> 'pgw_policy_reader'), 0,
          'every exists helper is owned by pgw_policy_reader');
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'authz' and p.proname like 'family_app_%'
              and (has_function_privilege('public', p.oid, 'execute')
                   or has_function_privilege('pgw_anon', p.oid, 'execute')
                   or not has_function_privilege('pgw_user', p.oid, 'execute'))), 0,
          'EXECUTE on the helpers: revoked from PUBLIC and anon, granted to the tiers');
select ok((select rolbypassrls and not rolcanlogin and not rolsuper from pg_roles
            where rolname = 'pgw_policy_reader'), 'pgw_policy_reader: NOLOGIN, BYPASSRLS, not superuser');
select is((select count(*)::int from information_schema.role_table_grants
            where grantee = 'pgw_policy_reader' and privilege_type <> 'SELECT'), 0,
          'pgw_policy_reader holds SELECT only');
select is(pg_temp.try('user', 2, 'select from authz.family_app_family_member_f141b40f(1)'),
          'rows 1', 'a tier may call a helper (it answers only about the given values)');

-- 2. Reads through membership, for the spouse (user 2).
select is(pg_temp.try('user', 2, 'select from family.family'), 'rows 1',
          'spouse: sees family 1 through family_member (family.read → family_member helper)');
select is(pg_temp.try('user', 2, 'select from family.family_member'), 'rows 3',
          'spouse: sees the co-members of family 1 (a self-reference), not family 2''s');
select is(pg_temp.try('user', 2, 'select from family.household'), 'rows 1',
          'spouse: sees the household of family 1');
select is(pg_temp.try('user', 2, 'select from family.child_profile'), 'rows 1',
          'spouse: sees the child of family 1');
select is(pg_temp.try('user', 2, 'select from family.shopping_item'), 'rows 0',
          'spouse: sees no shopping item (creator only, until a grant)');
select is(pg_temp.try('user', 2, 'select from family.household_announcement'), 'rows 1',
          'spouse: sees the announcement whose household slug exists, not the other');
select is(pg_temp.try('user', 3, 'select from family.family'), 'rows 1',
          'outsider: sees only their own family');
select is(pg_temp.try('user', 9, 'select from family.family_member'), 'rows 0',
          'a stranger sees no member');

-- 3. Creates whose require and foreign keys read family and family_member.
select is(pg_temp.try('user', 2, $$insert into family.household (family_id, slug, label)
                                  values (1, 'cabin', 'Cabin') returning 1$$), 'rows 1',
          'spouse: a member creates a household in family 1');
select matches(pg_temp.try('user', 2, $$insert into family.family_member (family_id, user_id, display_name)
                                       values (1, 7, 'Aunt') returning 1$$), '^42501',
          'spouse: only the owner adds members (require reads family)');
select is(pg_temp.try('user', 1, $$insert into family.family_member (family_id, user_id, display_name)
                                  values (1, 7, 'Aunt') returning 1$$), 'rows 1',
          'guardian: the owner adds a member');
select matches(pg_temp.try('user', 3, $$insert into family.household (family_id, slug, label)
                                       values (1, 'spy', 'Spy') returning 1$$), '^42501',
          'outsider: no household in a family they are not in');
select is(pg_temp.try('user', 2, $$insert into family.shopping_item (family_id, household_id, title)
                                  values (1, 21, 'Bread') returning 1$$), 'rows 1',
          'spouse: a member adds a shopping item to a household of the family');
select matches(pg_temp.try('user', 2, $$insert into family.shopping_item (family_id, household_id, title)
                                       values (1, 22, 'Bread') returning 1$$), '^42501',
          'spouse: not into a household of another family');

-- 4. Updates and deletes: a hidden or foreign row changes nothing.
select is(pg_temp.try('user', 1, $$update family.family set name = 'V.' where id = 1 returning 1$$),
          'rows 1', 'guardian: the owner renames the family');
select is(pg_temp.try('user', 4, $$update family.family set name = 'V.' where id = 1 returning 1$$),
          'rows 1', 'delegate: the owner''s delegate (a member) renames it too (family_delegate helper)');
select is(pg_temp.try('user', 2, $$update family.family set name = 'X' where id = 1 returning 1$$),
          'rows 0', 'spouse: a member cannot rename it (0 rows)');
select is(pg_temp.try('user', 1, $$update family.family_member set display_name = 'S' where id = 12 returning 1$$),
          'rows 1', 'guardian: updates a member of their family (family_member.update reads family)');
select is(pg_temp.try('user', 2, $$delete from family.family_member where id = 11 returning 1$$),
          'rows 0', 'spouse: cannot delete the guardian''s membership');
select is(pg_temp.try('user', 3, $$delete from family.shopping_item where id = 41 returning 1$$),
          'rows 0', 'outsider: deleting a hidden shopping item deletes nothing');
select is(pg_temp.try('user', 1, $$delete from family.family_member where id = 12 returning 1$$),
          'rows 1', 'guardian: removes a member');

-- 5. Every tier, every table and action: no statement meets 42P17 (or any error but 42501).
create temporary table statements (stmt text);
insert into statements
  select 'select from family.' || t from unnest(array['family', 'household', 'family_member',
    'family_delegate', 'child_profile', 'care_plan', 'guardian_note', 'household_announcement',
    'shopping_item', 'calendar_event']) t
  union all values
    ($$insert into family.household (family_id, slug, label) values (1, 'x1', 'X') returning 1$$),
    ($$insert into family.family_member (family_id, user_id, display_name) values (1, 8, 'X') returning 1$$),
    ($$insert into family.child_profile (family_id, household_id, primary_guardian_user_id, display_name) values (1, 21, 1, 'X') returning 1$$),
    ($$insert into family.care_plan (family_id, child_profile_id, title) values (1, 31, 'X') returning 1$$),
    ($$insert into family.household_announcement (family_id, household_slug, title) values (1, 'home', 'X') returning 1$$),
    ($$update family.family set name = 'X' returning 1$$),
    ($$update family.family_member set display_name = 'X' returning 1$$),
    ($$update family.household set label = 'X', family_id = 1 returning 1$$),
    ($$update family.child_profile set school = 'X' returning 1$$),
    ($$delete from family.shopping_item returning 1$$),
    ($$delete from family.family_member returning 1$$),
    ($$delete from family.family returning 1$$);
select is((select array_agg(o) from (select pg_temp.try(tier, 2, stmt) o from statements) s
            where o !~ '^(rows \d+|42501: new row violates row-level security)'), null,
          tier || ': every read, create, update and delete answers without 42P17')
  from unnest(array['user', 'staff', 'supervisor', 'administrator', 'developer']) tier;

select * from finish();
rollback;
