-- pgwarden.deployed_changes() (change ops_registry_report) reports every sqitch project's deployed
-- changes from the one registry, sqitch.changes, that stock sqitch and pgwarden migrate share.
-- It is a SECURITY DEFINER function: search_path pinned, EXECUTE for authenticator only.
begin;
select plan(9);

select is_definer('pgwarden', 'deployed_changes', array[]::text[], 'deployed_changes() is a definer');
select is(
  (select p.proconfig from pg_catalog.pg_proc p
    where p.oid = 'pgwarden.deployed_changes()'::regprocedure),
  array['search_path=""'],
  'deployed_changes() pins search_path to the empty string'
);
select function_privs_are('pgwarden', 'deployed_changes', array[]::text[], 'authenticator',
                          array['EXECUTE'], 'authenticator may call deployed_changes()');
select function_privs_are('pgwarden', 'deployed_changes', array[]::text[], 'pgw_user',
                          array[]::text[], 'pgw_user may not call deployed_changes()');
select ok(
  not pg_catalog.has_function_privilege('public', 'pgwarden.deployed_changes()', 'execute'),
  'PUBLIC may not call deployed_changes()'
);

select is(
  (select count(*) from pgwarden.deployed_changes()),
  (select count(*) from sqitch.changes),
  'every registered change is reported'
);
select ok(
  (select count(*) from pgwarden.deployed_changes() where project = 'pgwarden') > 0,
  'the framework''s own changes are reported under project pgwarden'
);

-- Another project deployed into the same database (as the example's is) is reported too.
insert into sqitch.projects (project, uri, creator_name, creator_email)
values ('pgtap_probe', null, 'test', 'test@example.invalid');
insert into sqitch.changes (change_id, script_hash, change, project, committer_name,
                            committer_email, planned_at, planner_name, planner_email)
values (repeat('a', 40), null, 'probe_change', 'pgtap_probe', 'test', 'test@example.invalid',
        now(), 'test', 'test@example.invalid');
select results_eq(
  $$select project, change from pgwarden.deployed_changes() where project = 'pgtap_probe'$$,
  $$values ('pgtap_probe'::text, 'probe_change'::text)$$,
  'a second project''s change is reported with its project'
);
select ok(
  (select count(distinct project) from pgwarden.deployed_changes()) >= 2,
  'every project in the registry is reported'
);

select * from finish();
rollback;
