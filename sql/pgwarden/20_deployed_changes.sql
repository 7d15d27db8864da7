-- Which migration changes are deployed, in every sqitch project of this database. Stock sqitch
-- and `pgwarden migrate` both record deployments in sqitch's registry (schema `sqitch`), so one
-- table answers whichever tool deployed (tests_py/test_sqitch_registry.py). Code only: applied by
-- the change `ops_registry_report`, re-applied safely (drop and create, since the result
-- columns changed from the release).

drop function if exists pgwarden.deployed_changes();
create function pgwarden.deployed_changes()
returns table (
  project text, change text, change_id text, deployed_at timestamptz, deployed_by text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if pg_catalog.to_regclass('sqitch.changes') is null then
    return;
  end if;
  return query
    select c.project, c.change, c.change_id, c.committed_at, c.committer_name
      from sqitch.changes c
     order by c.project, c.committed_at;
end
$$;
comment on function pgwarden.deployed_changes() is
  'The deployed migration changes of every sqitch project (project, name, id, time, who), '
  'read from the sqitch registry that stock sqitch and pgwarden migrate share.';

revoke execute on function pgwarden.deployed_changes() from public;
grant execute on function pgwarden.deployed_changes() to authenticator;
