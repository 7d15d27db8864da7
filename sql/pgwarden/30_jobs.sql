-- Scheduled work: the framework's periodic jobs and the record of each one's last run (state,
-- created once by the ops_jobs change). Who runs them, pg_cron or one elected app process, and
-- how a run is recorded: 31_jobs_code.sql. Doctrine: docs/operations.md#scheduled-jobs.

create table if not exists pgwarden.jobs (
  name             text primary key,
  period           interval not null,
  description      text not null,
  installed_at     timestamptz not null default pg_catalog.clock_timestamp(),
  last_started_at  timestamptz,
  last_finished_at timestamptz,
  last_ok          boolean,
  last_result      text,
  last_runner      text,
  runs             bigint not null default 0,
  failures         bigint not null default 0,
  -- job names are identifiers: they become pg_cron job names (pgwarden_<name>)
  constraint jobs_name_identifier check (name ~ '^[a-z][a-z0-9_]{0,40}$'),
  -- a job runs at most once a second
  constraint jobs_period_positive check (period >= interval '1 second'),
  -- a run that finished also started, and not after it finished
  constraint jobs_run_ordered check (last_finished_at is null
                                     or (last_started_at is not null
                                         and last_started_at <= last_finished_at)),
  -- failures are a subset of runs
  constraint jobs_failures_bounded check (failures between 0 and runs)
);
comment on table pgwarden.jobs is
  'The framework''s periodic jobs (one row each) and the outcome of each one''s last run. '
  'The owner may change a period; pgwarden.run_job() writes the rest.';
comment on column pgwarden.jobs.name is 'Stable job identifier (pg_cron job pgwarden_<name>).';
comment on column pgwarden.jobs.period is
  'How often the job is due. pg_cron before 1.5 schedules whole minutes (rounded up).';
comment on column pgwarden.jobs.description is 'What the job does, in one sentence.';
comment on column pgwarden.jobs.installed_at is
  'When the job was installed: a job that never ran is overdue 3 periods after this.';
comment on column pgwarden.jobs.last_started_at is 'Start of the last run.';
comment on column pgwarden.jobs.last_finished_at is 'End of the last run (successful or not).';
comment on column pgwarden.jobs.last_ok is 'Whether the last run succeeded.';
comment on column pgwarden.jobs.last_result is 'The last run''s result, or its error message.';
comment on column pgwarden.jobs.last_runner is
  'Who ran it last: pg_cron, or the elected app process (host and pid), or a CLI run.';
comment on column pgwarden.jobs.runs is 'Runs recorded since installation.';
comment on column pgwarden.jobs.failures is 'Failed runs recorded since installation.';

insert into pgwarden.jobs (name, period, description) values
  ('audit_seal', interval '5 seconds',
   'Link committed audit events into the hash chain (audit.seal()).'),
  ('audit_batches', interval '5 seconds',
   'Materialise the row batches of bulk statements into audit events (audit.expand_row_batches()).'),
  ('auth_purge', interval '1 hour',
   'Delete spent throttle buckets, sessions and tokens past their retention (auth.purge_expired()).')
on conflict (name) do nothing;
