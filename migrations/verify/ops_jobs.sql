-- Verify pgwarden:ops_jobs on pg
BEGIN;
select name, period, description, installed_at, last_started_at, last_finished_at, last_ok,
       last_result, last_runner, runs, failures
  from pgwarden.jobs where false;
select name, mode, effective_period, overdue from pgwarden.job_status where false;
do $$
begin
  if (select count(*) from pgwarden.jobs
       where name in ('audit_seal', 'audit_batches', 'auth_purge')) <> 3 then
    raise exception 'pgwarden.jobs lacks one of audit_seal, audit_batches, auth_purge';
  end if;
  if pgwarden.job_mode() not in ('app', 'pg_cron') then
    raise exception 'pgwarden.job_mode() returned %', pgwarden.job_mode();
  end if;
  if not pg_catalog.has_function_privilege('authenticator', 'pgwarden.run_job(text, text)',
                                           'execute') then
    raise exception 'authenticator cannot run the jobs';
  end if;
end
$$;
ROLLBACK;
