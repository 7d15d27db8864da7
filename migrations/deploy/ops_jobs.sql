-- Deploy pgwarden:ops_jobs to pg
-- requires: audit_chain
-- requires: auth_login
-- The periodic jobs, the record of their runs, and who runs them: pg_cron when the extension
-- exists in this database (the jobs are scheduled here), else one app process elected by an
-- advisory lock. Without pg_cron this schedules nothing and changes nothing else.
BEGIN;
\ir ../../sql/pgwarden/30_jobs.sql
\ir ../../sql/pgwarden/31_jobs_code.sql
do $$ begin perform pgwarden.schedule_jobs(); end $$;
COMMIT;
