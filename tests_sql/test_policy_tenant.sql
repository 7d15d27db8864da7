-- Claim-scoped (tenant) policies and the composite forms (VSR's fine_grained_policies,
-- examples/fine_grained_policies/, compiled into tests_py/golden/fine_grained_policies/):
-- claim, literal, null checks, all_of/any_of/not, exists with row./input., require, tier, and a
-- policy without admin bypass; each action as each tier with SET LOCAL ROLE and claims.
set client_min_messages = warning;
\ir fixtures/standins.sql
\ir ../tests_py/golden/fine_grained_policies/deploy.sql

begin;
select plan(30);

-- Tenant 1: user 1 owns workspace 'alpha' (id 1); user 2 is a colleague. Tenant 2: user 3.
insert into ops.workspaces (id, tenant_id, slug, name, owner_user_id, is_archived) overriding system value values
  (1, 1, 'alpha', 'Alpha', 1, false), (2, 1, 'old', 'Old one', 1, true), (3, 2, 'alpha', 'Other alpha', 3, false);
insert into ops.projects (id, tenant_id, workspace_id, name, lead_user_id, status, visibility) overriding system value values
  (10, 1, 1, 'internal led by 2', 2, 'active', 'internal'),
  (11, 1, 1, 'public, no lead', null, 'closed', 'public'),
  (12, 1, 2, 'internal, no lead', null, 'paused', 'internal'),
  (13, 2, 3, 'tenant 2 project', 3, 'active', 'public');
insert into ops.incidents (id, tenant_id, project_id, title, severity, commander_user_id, resolved_at) overriding system value values
  (20, 1, 10, 'unassigned', 2, null, null),
  (21, 1, 10, 'commanded by 1, resolved', 3, 1, now()),
  (22, 1, null, 'commanded by 2', 1, 2, null),
  (23, 2, 13, 'tenant 2 incident', 4, 3, null);
insert into ops.time_entries (user_id, minutes) values (1, 30), (2, 45), (9, 60);
select setval(pg_get_serial_sequence('ops.' || t, 'id'), 100) from unnest(array['workspaces', 'projects', 'incidents']) t \g /dev/null

-- claim: user 2 of tenant 1 sees tenant 1's workspaces only
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "2", "role": "pgw_user", "tenant_id": "1"}', true);
select results_eq('select id from ops.workspaces order by id', array[1::bigint, 2],
                  'claim: a user reads only the workspaces of their tenant');
select results_eq('select id from ops.incidents order by id', array[20::bigint, 21, 22],
                  'claim: a user reads only the incidents of their tenant');
-- all_of(claim, any_of(literal, owner, exists row.)): user 2 leads 10; 11 is public
select results_eq('select id from ops.projects order by id', array[10::bigint, 11],
                  'any_of: the project they lead and the public one, not tenant 2''s public one');
-- null: an incident without commander may be updated by anyone of the tenant
with u as (update ops.incidents set severity = 5 where id in (20, 21, 22, 23) returning id)
select is(array_agg(id order by id), array[20::bigint, 22],
          'null check: unassigned or own incidents are updatable, others 0 rows') from u;
-- delete needs resolved_at is not null and own command
with d as (delete from ops.incidents where id in (20, 21, 22) returning id)
select is(count(*)::int, 0, 'is not null: an unresolved incident cannot be deleted') from d;
-- owner-scoped update in a tenant
with u as (update ops.workspaces set name = 'Renamed' returning id)
select is(count(*)::int, 0, 'a non-owner update of a workspace affects 0 rows') from u;
-- the assign trigger takes the tenant from the claim, not the payload
insert into ops.workspaces (tenant_id, slug, name, owner_user_id) values (2, 'beta', 'Beta', 3);
select results_eq($$select tenant_id, owner_user_id from ops.workspaces where slug = 'beta'$$,
                  $$values (1::bigint, 2::bigint)$$,
                  'assign: tenant_id and owner come from the claim and the session');
-- unique (tenant_id, slug) is scoped: tenant 2's 'alpha' does not collide, and is not revealed
select lives_ok($$insert into ops.workspaces (slug, name) values ('alpha-2', 'Alpha two')$$,
                'a workspace insert in the own tenant works');
select throws_ok($$insert into ops.workspaces (slug, name) values ('alpha', 'Alpha again')$$,
                 '23505', null, 'a duplicate slug within the own tenant is refused');

-- require with input.: a project only in a workspace the user owns and that is not archived
select throws_ok($$insert into ops.projects (workspace_id, name) values (1, 'p')$$, '42501', null,
                 'require: not the owner of input.workspace_id: refused');
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "1", "role": "pgw_user", "tenant_id": "1"}', true);
select lives_ok($$insert into ops.projects (workspace_id, name) values (1, 'mine')$$,
                'require: the owner may create a project in an open workspace');
select throws_ok($$insert into ops.projects (workspace_id, name) values (2, 'p')$$, '42501', null,
                 'require: a literal (is_archived = false) in the require tree holds');
-- exists with row.: user 1 owns workspace 1 and therefore sees its internal projects
select results_eq('select id from ops.projects where id < 14 order by id', array[10::bigint, 11, 12],
                  'exists with row.: the owner of workspaces 1 and 2 sees their internal projects');

-- FK: a reference to a row RLS hides fails exactly like a reference to no row at all
select throws_ok($$insert into ops.incidents (project_id, title, severity) values (13, 'x13', 1)$$,
                 '42501', 'new row violates row-level security policy for table "incidents"',
                 'FK: referencing tenant 2''s hidden project is refused as a policy violation');
select throws_ok($$insert into ops.incidents (project_id, title, severity) values (999, 'x99', 1)$$,
                 '42501', 'new row violates row-level security policy for table "incidents"',
                 'FK: referencing a missing project gives the very same error');
select lives_ok($$insert into ops.incidents (project_id, title, severity) values (10, 'okay', 1)$$,
                'FK: referencing a visible project works');
-- CHECK constraints compiled from validation
select throws_ok($$insert into ops.incidents (title, severity) values ('sev', 9)$$, '23514', null,
                 'maximum: severity 9 is refused');
select throws_ok($$insert into ops.workspaces (slug, name) values ('Bad Slug', 'x')$$, '23514', null,
                 'pattern: an invalid slug is refused');
select throws_ok($$insert into ops.projects (workspace_id, name, status) values (1, 'p', 'gone')$$, '23514', null,
                 'choices: an unknown status is refused');

-- not + tier_at_least: only a supervisor deletes a project, and only one that is not active
with d as (delete from ops.projects where id = 11 returning 1)
select is(count(*)::int, 0, 'tier: a user cannot delete a project') from d;
set local role pgw_supervisor;
select set_config('request.jwt.claims', '{"sub": "5", "role": "pgw_supervisor", "tenant_id": "1"}', true);
with d as (delete from ops.projects where id in (10, 11) returning id)
select is(array_agg(id), array[11::bigint],
          'not: a supervisor deletes the closed public project, not the active one') from d;

-- missing claim: nothing is visible (tenant_id = NULL is never true)
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "2", "role": "pgw_user"}', true);
select is((select count(*)::int from ops.incidents), 0, 'a missing tenant claim shows no rows');

-- the security_invoker view keeps the RLS of incidents
select set_config('request.jwt.claims', '{"sub": "3", "role": "pgw_user", "tenant_id": "2"}', true);
select results_eq('select id from ops.open_incidents order by id', array[23::bigint],
                  'a security_invoker view shows only the reader''s tenant');
select ok((select reloptions @> array['security_invoker=true'] from pg_class
           where oid = 'ops.open_incidents'::regclass), 'open_incidents is security_invoker');

-- admin_bypass = false: time entries stay private even to administrators
set local role pgw_administrator;
select set_config('request.jwt.claims', '{"sub": "9", "role": "pgw_administrator", "tenant_id": "1"}', true);
select results_eq('select minutes from ops.time_entries', array[60],
                  'admin_bypass = false: an administrator sees only their own time entries');
insert into ops.time_entries (user_id, minutes) values (1, 15);
-- admin_bypass = true elsewhere: the administrator sees every tenant's incidents
select is((select count(*)::int from ops.incidents), 5, 'admin_bypass: every incident');
reset role;
select is((select user_id from ops.time_entries where minutes = 15), 9::bigint,
          'admin_bypass = false: even an administrator cannot assign another owner');

select policies_are('ops', 'time_entries',
  array['time_entries_read', 'time_entries_create', 'time_entries_update', 'time_entries_delete'],
  'no admin_bypass policy on time_entries');
select is((select count(*)::int from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where n.nspname = 'ops' and c.relkind = 'r'
             and not (c.relrowsecurity and c.relforcerowsecurity)), 0,
          'every ops table has row-level security enabled and forced');
select is((select count(*)::int from pg_policies where schemaname = 'ops'
           and not (roles <@ array['pgw_user', 'pgw_administrator']::name[])), 0,
          'policies apply to the tier roles only');

select * from finish();
rollback;
