-- Scheduled work (sql/pgwarden/31_jobs_code.sql): the jobs and their last runs live in
-- pgwarden.jobs; pgwarden.run_job() runs one and records it, failures included; the app may lead
-- and run them, administrators may read their status, no tier may run or change them; without
-- pg_cron in this database the mode is `app` and schedule_jobs() schedules nothing.
-- (The election between app processes and pg_cron itself: tests_py/test_jobs.py.)
begin;
select plan(47);

-- definer facts
select is_definer('pgwarden', f, args, 'pgwarden.' || f || '() is SECURITY DEFINER')
  from (values ('run_job', array['text', 'text']), ('due_jobs', array[]::text[]),
               ('job_mode', array[]::text[])) v(f, args);
select is((select count(*)::int from pg_proc
            where oid in ('pgwarden.run_job(text, text)'::regprocedure,
                          'pgwarden.due_jobs()'::regprocedure, 'pgwarden.job_mode()'::regprocedure)
              and proconfig = array['search_path=""']), 3, 'the definers pin search_path to empty');
select isnt_definer('pgwarden', 'schedule_jobs', array[]::text[],
                    'schedule_jobs() runs as its caller (pg_cron runs jobs as the scheduling role)');

-- privileges
select function_privs_are('pgwarden', 'run_job', array['text', 'text'], r, array['EXECUTE'],
                          r || ' may run a job')
  from unnest(array['authenticator']) r;
select function_privs_are('pgwarden', 'run_job', array['text', 'text'], r, array[]::text[],
                          r || ' may not run a job')
  from unnest(array['public', 'pgw_anon', 'pgw_user', 'pgw_administrator', 'pgw_developer']) r;
select function_privs_are('pgwarden', 'try_lead_jobs', array[]::text[], r, array[]::text[],
                          r || ' may not take the runner''s lock')
  from unnest(array['public', 'pgw_user', 'pgw_developer']) r;
select function_privs_are('pgwarden', 'schedule_jobs', array[]::text[], r, array[]::text[],
                          r || ' may not schedule')
  from unnest(array['public', 'authenticator', 'pgw_developer']) r;
select table_privs_are('pgwarden', 'jobs', r, array['SELECT'], r || ' may only read the jobs')
  from unnest(array['pgw_administrator']) r;
select table_privs_are('pgwarden', 'jobs', r, array[]::text[], r || ' may not touch the jobs')
  from unnest(array['public', 'authenticator', 'pgw_anon', 'pgw_user']) r;

-- the catalogue and the mode
select set_eq('select name from pgwarden.jobs', array['audit_seal', 'audit_batches', 'auth_purge', 'audit_partitions'],
              'four jobs: seal, batches, purge, partitions');
select is(pgwarden.job_mode(), 'app', 'no pg_cron in this database: the app runs the jobs');
select is(pgwarden.schedule_jobs(), 0, 'schedule_jobs() does nothing without pg_cron');
select is(pgwarden.unschedule_jobs(), 0, 'nor does unschedule_jobs()');
select is(pgwarden.job_schedule('5 seconds', false), '* * * * *', 'pg_cron 1.4: a minute at most');
select is(pgwarden.job_schedule('5 seconds', true), '5 seconds', 'pg_cron 1.5: seconds');
select is(pgwarden.job_schedule('15 minutes', false), '*/15 * * * *', 'minutes');
select is(pgwarden.job_schedule('1 hour', false), '0 * * * *', 'hourly');
select set_eq('select pgwarden.due_jobs()', array['audit_seal', 'audit_batches', 'auth_purge', 'audit_partitions'],
              'jobs that never ran are due');

-- a run is recorded
select ok(audit.record('session_logout', 'auth.users', '1') > 0, 'one event to seal');
select is(pgwarden.run_job('audit_seal', 'test runner'), '1 event(s) sealed', 'run_job() seals');
select is((select last_ok::text || ' ' || runs || ' ' || last_runner || ' ' || last_result
             from pgwarden.jobs where name = 'audit_seal'),
          'true 1 test runner 1 event(s) sealed', 'and records the run, its runner and result');
select ok((select last_started_at <= last_finished_at from pgwarden.jobs where name = 'audit_seal'),
          'with its start and end');
select ok('audit_seal' <> all(array(select pgwarden.due_jobs())), 'a job just run is not due');
select is(pgwarden.run_job('auth_purge', 'test runner'), '0 session(s) purged', 'run_job() purges');
select is(pgwarden.run_job('audit_batches'), '0 event(s) materialised', 'and materialises batches');
select throws_ok($$select pgwarden.run_job('drop_everything')$$, '22023', null,
                 'an unknown job is refused');

-- a failing job is recorded, not raised, and its work is rolled back
savepoint failing;
insert into pgwarden.jobs (name, period, description) values ('broken', '1 minute', 'no code');
select is(pgwarden.run_job('broken', 'test runner'), 'job broken has no code in pgwarden.run_job()',
          'a failing job returns its error');
select is((select last_ok::text || ' ' || runs || ' ' || failures from pgwarden.jobs where name = 'broken'),
          'false 1 1', 'and is recorded as failed');
rollback to savepoint failing;

-- overdue: no run for 3 periods
update pgwarden.jobs set last_finished_at = now() - interval '16 seconds',
                         last_started_at = now() - interval '16 seconds'
 where name = 'audit_seal';
select is((select overdue from pgwarden.job_status where name = 'audit_seal'), true,
          'a 5 s job not run for 16 s is overdue');
update pgwarden.jobs set last_finished_at = now() - interval '14 seconds' where name = 'audit_seal';
select is((select overdue from pgwarden.job_status where name = 'audit_seal'), false,
          'one not run for 14 s is not');

-- tiers cannot run or alter jobs; authenticator can only run them
set local role pgw_developer;
select throws_ok($$select pgwarden.run_job('audit_seal')$$, '42501', null,
                 'a developer cannot run a job');
select throws_ok($$update pgwarden.jobs set period = '1 day'$$, '42501', null,
                 'nor change a period');
reset role;
set local role authenticator;
select lives_ok($$select pgwarden.run_job('audit_seal', 'app')$$, 'authenticator runs a job');
select throws_ok($$update pgwarden.jobs set period = '1 day'$$, '42501', null,
                 'but cannot change a period');
reset role;

select * from finish();
rollback;
