-- Revert pgwarden:ops_jobs from pg
BEGIN;
do $$ begin perform pgwarden.unschedule_jobs(); end $$;
drop view if exists pgwarden.job_status;
drop function if exists pgwarden.unschedule_jobs();
drop function if exists pgwarden.schedule_jobs();
drop function if exists pgwarden.due_jobs();
drop function if exists pgwarden.run_job(text, text);
drop function if exists pgwarden.job_effective_period(interval);
drop function if exists pgwarden.job_schedule(interval, boolean);
drop function if exists pgwarden.job_mode();
drop function if exists pgwarden.cron_version();
drop function if exists pgwarden.job_leader();
drop function if exists pgwarden.try_lead_jobs();
drop function if exists pgwarden.job_lock_key();
drop table if exists pgwarden.jobs;
COMMIT;
