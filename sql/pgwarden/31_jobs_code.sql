-- Scheduled work, the code (re-runnable). The jobs of pgwarden.jobs (30_jobs.sql) run in exactly
-- one of two ways:
--
--   pg_cron  when the extension exists in this database, pgwarden.schedule_jobs() (called by the
--            ops_jobs change, and again by the owner after installing pg_cron or changing a
--            period) schedules one cron job per row: `select pgwarden.run_job(name, 'pg_cron')`.
--   app      otherwise: every app process competes for one session-level advisory lock
--            (pgwarden.try_lead_jobs(), on a direct connection, never through PgBouncer); the one
--            holding it runs pgwarden.due_jobs() through pgwarden.run_job(). When it dies, its
--            session ends, the lock goes, and another process takes it at its next try.
--
-- A run is recorded in its job's row whoever ran it; pgwarden.job_status adds the mode and
-- whether a job is overdue (not run for 3 of its periods). Tests: tests_sql/test_ops_jobs.sql,
-- tests_py/test_jobs.py.

-- The advisory lock every app process competes for; a constant, so every process agrees.
create or replace function pgwarden.job_lock_key()
returns bigint
language sql
immutable
parallel safe
as $$
  select 7086221520357318656::bigint
$$;
comment on function pgwarden.job_lock_key() is
  'The session-level advisory lock key held by the app process that runs the jobs.';

create or replace function pgwarden.try_lead_jobs()
returns boolean
language sql
volatile
as $$
  select pg_catalog.pg_try_advisory_lock(pgwarden.job_lock_key())
$$;
comment on function pgwarden.try_lead_jobs() is
  'Take the job runner''s advisory lock for this session if no other session holds it; true when '
  'this session now leads. Needs a direct (session) connection, never a transaction pooler.';

create or replace function pgwarden.job_leader()
returns table (pid integer, application_name text, backend_start timestamptz)
language sql
stable
as $$
  select l.pid, a.application_name::text, a.backend_start
    from pg_catalog.pg_locks l
    left join pg_catalog.pg_stat_activity a on a.pid = l.pid
   where l.locktype = 'advisory' and l.granted and l.objsubid = 1
     and l.database = (select d.oid from pg_catalog.pg_database d
                        where d.datname = pg_catalog.current_database())
     and l.classid = (pgwarden.job_lock_key() >> 32)::oid
     and l.objid = (pgwarden.job_lock_key() & 4294967295)::oid
$$;
comment on function pgwarden.job_leader() is
  'The session holding the job runner''s advisory lock (none in pg_cron mode or with no app).';

-- Which pg_cron is installed here, if any: (major, minor) of the extension in this database.
create or replace function pgwarden.cron_version()
returns integer[]
language sql
stable
as $$
  select array[(pg_catalog.regexp_match(e.extversion, '^(\d+)\.(\d+)'))[1]::integer,
               (pg_catalog.regexp_match(e.extversion, '^(\d+)\.(\d+)'))[2]::integer]
    from pg_catalog.pg_extension e
   where e.extname = 'pg_cron'
$$;
comment on function pgwarden.cron_version() is
  'The (major, minor) version of the pg_cron extension in this database; null without it.';

create or replace function pgwarden.job_mode()
returns text
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  scheduled boolean;
begin
  if pgwarden.cron_version() is null then
    return 'app';
  end if;
  -- dynamic: cron.job does not exist without the extension
  execute 'select exists (select 1 from cron.job j where j.jobname like ''pgwarden\_%'' and j.active)'
    into scheduled;
  return case when scheduled then 'pg_cron' else 'app' end;
end
$$;
comment on function pgwarden.job_mode() is
  'Who runs the jobs: pg_cron (the extension is here and the jobs are scheduled in it), else app '
  '(one app process elected by an advisory lock).';

-- The cron schedule of a period: pg_cron 1.5+ takes '<n> seconds' below a minute; earlier
-- versions (Debian 12 ships 1.4) take whole minutes, so a shorter period becomes one minute.
create or replace function pgwarden.job_schedule(period interval, seconds_ok boolean)
returns text
language sql
immutable
as $$
  select case
    when seconds_ok and period < interval '1 minute'
      then pg_catalog.ceil(extract(epoch from period))::integer || ' seconds'
    when period <= interval '1 minute' then '* * * * *'
    when period < interval '1 hour'
      then '*/' || pg_catalog.ceil(extract(epoch from period) / 60)::integer || ' * * * *'
    when period <= interval '1 hour' then '0 * * * *'
    when period < interval '1 day'
      then '0 */' || pg_catalog.ceil(extract(epoch from period) / 3600)::integer || ' * * *'
    else '0 0 * * *'
  end
$$;
comment on function pgwarden.job_schedule(interval, boolean) is
  'The pg_cron schedule for a period (seconds only when pg_cron supports them, i.e. 1.5+).';

create or replace function pgwarden.job_effective_period(period interval)
returns interval
language sql
stable
as $$
  select case
    when pgwarden.job_mode() <> 'pg_cron' then period
    when pgwarden.cron_version() >= array[1, 5] and period < interval '1 minute'
      then pg_catalog.make_interval(secs => pg_catalog.ceil(extract(epoch from period)))
    when period <= interval '1 minute' then interval '1 minute'
    when period < interval '1 hour'
      then pg_catalog.make_interval(mins => pg_catalog.ceil(extract(epoch from period) / 60)::integer)
    when period <= interval '1 hour' then interval '1 hour'
    when period < interval '1 day'
      then pg_catalog.make_interval(hours => pg_catalog.ceil(extract(epoch from period) / 3600)::integer)
    else interval '1 day'
  end
$$;
comment on function pgwarden.job_effective_period(interval) is
  'How often a job of this period really runs in the active mode (pg_cron rounds to its '
  'resolution).';

create or replace function pgwarden.run_job(job text, runner text default 'sql')
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  j pgwarden.jobs;
  v_started timestamptz := pg_catalog.clock_timestamp();
  v_result text;
  v_ok boolean := true;
begin
  -- one run of a job at a time, whoever asks: a second runner skips instead of waiting
  select * into j from pgwarden.jobs x where x.name = job for update skip locked;
  if not found then
    if not exists (select 1 from pgwarden.jobs x where x.name = job) then
      raise exception 'unknown job %', pg_catalog.quote_literal(job)
        using errcode = 'invalid_parameter_value', hint = 'The jobs are the rows of pgwarden.jobs.';
    end if;
    return 'skipped: running in another session';
  end if;
  begin
    case job
      when 'audit_seal' then
        v_result := audit.seal() || ' event(s) sealed';
      when 'audit_batches' then
        v_result := audit.expand_row_batches() || ' event(s) materialised';
      when 'auth_purge' then
        v_result := auth.purge_expired() || ' session(s) purged';
      when 'audit_partitions' then
        -- audit.ensure_partitions() exists from the change audit_partitions on
        execute 'select audit.ensure_partitions()' into v_result;
        v_result := v_result || ' partition(s) created';
      else
        raise exception 'job % has no code in pgwarden.run_job()', job;
    end case;
  exception when others then
    -- the job's own work is rolled back (this block is a subtransaction); its failure is kept
    v_ok := false;
    v_result := sqlerrm;
  end;
  update pgwarden.jobs x
     set last_started_at = v_started,
         last_finished_at = pg_catalog.clock_timestamp(),
         last_ok = v_ok,
         last_result = pg_catalog.left(v_result, 500),
         last_runner = pg_catalog.left(coalesce(runner, 'unknown'), 200),
         runs = x.runs + 1,
         failures = x.failures + case when v_ok then 0 else 1 end
   where x.name = job;
  return v_result;
end
$$;
comment on function pgwarden.run_job(text, text) is
  'Run one job now and record the run (start, end, outcome, runner) in pgwarden.jobs; a failure '
  'is recorded, not raised. Returns the result; skips when the job is running in another session.';

create or replace function pgwarden.due_jobs()
returns setof text
language sql
stable
security definer
set search_path = ''
as $$
  select j.name
    from pgwarden.jobs j
   where j.last_finished_at is null or j.last_finished_at + j.period <= pg_catalog.now()
   order by j.name
$$;
comment on function pgwarden.due_jobs() is
  'The jobs whose period has passed since their last run (or that never ran).';

create or replace function pgwarden.schedule_jobs()
returns integer
language plpgsql
volatile
as $$
declare
  j pgwarden.jobs;
  v_seconds_ok boolean := pgwarden.cron_version() >= array[1, 5];
  v_count integer := 0;
begin
  if pgwarden.cron_version() is null then
    return 0;
  end if;
  for j in select * from pgwarden.jobs order by name loop
    -- cron.schedule(name, …) replaces the job of that name: re-running this is safe
    execute 'select cron.schedule($1, $2, $3)'
      using 'pgwarden_' || j.name, pgwarden.job_schedule(j.period, v_seconds_ok),
            pg_catalog.format('select pgwarden.run_job(%L, %L)', j.name, 'pg_cron');
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function pgwarden.schedule_jobs() is
  'With pg_cron in this database, (re)schedule every job of pgwarden.jobs as the calling role; '
  'returns how many (0 without pg_cron). Run it again after installing pg_cron or changing a period.';

create or replace function pgwarden.unschedule_jobs()
returns integer
language plpgsql
volatile
as $$
declare
  v_count integer := 0;
begin
  if pgwarden.cron_version() is null then
    return 0;
  end if;
  execute 'select count(cron.unschedule(j.jobid))::integer from cron.job j
            where j.jobname like ''pgwarden\_%'''
    into v_count;
  return v_count;
end
$$;
comment on function pgwarden.unschedule_jobs() is
  'Remove pgwarden''s jobs from pg_cron (the app runner takes over); returns how many.';

create or replace view pgwarden.job_status
with (security_invoker = true)
as
select j.name, j.period, e.effective_period, m.mode, j.last_started_at, j.last_finished_at,
       j.last_ok, j.last_result, j.last_runner, j.runs, j.failures,
       coalesce(j.last_finished_at, j.installed_at) + 3 * e.effective_period
         < pg_catalog.now() as overdue
  from pgwarden.jobs j
 cross join lateral (select pgwarden.job_effective_period(j.period) as effective_period) e
 cross join (select pgwarden.job_mode() as mode) m;
comment on view pgwarden.job_status is
  'Each job with the active mode, its effective period and whether it is overdue (no run for 3 '
  'effective periods since its last run, or since installation if it never ran).';

-- Privileges: the app (authenticator) may lead and run the jobs, administrators may read their
-- status; only the owner changes periods or schedules.
revoke all on table pgwarden.jobs from public;
revoke all on table pgwarden.job_status from public;
grant select on table pgwarden.jobs, pgwarden.job_status to pgw_administrator;
revoke execute on function pgwarden.try_lead_jobs(), pgwarden.job_leader(),
  pgwarden.cron_version(), pgwarden.job_mode(), pgwarden.job_schedule(interval, boolean),
  pgwarden.job_effective_period(interval), pgwarden.run_job(text, text), pgwarden.due_jobs(),
  pgwarden.schedule_jobs(), pgwarden.unschedule_jobs() from public;
grant execute on function pgwarden.try_lead_jobs(), pgwarden.run_job(text, text),
  pgwarden.due_jobs() to authenticator;
grant execute on function pgwarden.job_leader(), pgwarden.cron_version(), pgwarden.job_mode(),
  pgwarden.job_effective_period(interval) to authenticator, pgw_administrator;
