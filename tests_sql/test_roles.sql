-- The role hierarchy: the tiers exist as NOLOGIN roles, each higher tier is a member of the one
-- below and inherits it, nothing inherits downwards, and authenticator (LOGIN NOINHERIT) may
-- switch to exactly pgw_anon and the five tiers.
begin;
select plan(21);

select has_role(r) from unnest(array['pgw_anon', 'pgw_user', 'pgw_staff', 'pgw_supervisor',
                                     'pgw_administrator', 'pgw_developer', 'authenticator']) r;

select is((select count(*)::int from pg_roles
           where rolname like 'pgw\_%' and rolname in ('pgw_anon', 'pgw_user', 'pgw_staff',
             'pgw_supervisor', 'pgw_administrator', 'pgw_developer') and rolcanlogin), 0,
          'the anonymous and tier roles cannot log in');
select ok((select rolcanlogin and not rolinherit from pg_roles where rolname = 'authenticator'),
          'authenticator is LOGIN NOINHERIT');
select ok(not (select rolsuper or rolbypassrls or rolcreaterole from pg_roles
               where rolname = 'authenticator'),
          'authenticator has no superuser, BYPASSRLS or CREATEROLE');

select is_member_of('pgw_user', array['pgw_staff'], 'pgw_staff is a member of pgw_user');
select is_member_of('pgw_staff', array['pgw_supervisor'], 'pgw_supervisor is a member of pgw_staff');
select is_member_of('pgw_supervisor', array['pgw_administrator'],
                    'pgw_administrator is a member of pgw_supervisor');
select is_member_of('pgw_administrator', array['pgw_developer'],
                    'pgw_developer is a member of pgw_administrator');

select ok(pg_has_role('pgw_developer', 'pgw_user', 'usage'),
          'pgw_developer inherits the privileges of pgw_user');
select ok(pg_has_role('pgw_supervisor', 'pgw_staff', 'usage'),
          'pgw_supervisor inherits the privileges of pgw_staff');
select ok(not pg_has_role('pgw_user', 'pgw_staff', 'usage'),
          'pgw_user does not inherit the privileges of pgw_staff');
select ok(not pg_has_role('pgw_administrator', 'pgw_developer', 'usage'),
          'pgw_administrator does not inherit the privileges of pgw_developer');
select ok(not pg_has_role('pgw_user', 'pgw_anon', 'member') and not pg_has_role('pgw_anon', 'pgw_user', 'member'),
          'pgw_anon and the tiers are separate');

select ok(not pg_has_role('authenticator', 'pgw_developer', 'usage'),
          'authenticator (NOINHERIT) holds no privilege of a tier until it switches');

-- Every role authenticator may SET ROLE to, directly or through membership.
select set_eq(
  $$ with recursive reach(oid) as (
       select roleid from pg_auth_members
        where member = (select oid from pg_roles where rolname = 'authenticator')
       union
       select m.roleid from pg_auth_members m join reach r on m.member = r.oid)
     select rolname::text from pg_roles where oid in (select oid from reach) $$,
  array['pgw_anon', 'pgw_user', 'pgw_staff', 'pgw_supervisor', 'pgw_administrator', 'pgw_developer'],
  'authenticator can switch to exactly pgw_anon and the five tiers'
);

select * from finish();
rollback;
