-- Revert pgwarden:ops_registry_report: back to the report as released in context (@v0.1.0)
BEGIN;
drop function if exists pgwarden.deployed_changes();
create or replace function pgwarden.deployed_changes()
returns table (change text, deployed_at timestamptz, tool text)
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if pg_catalog.to_regclass('sqitch.changes') is not null then
    return query execute
      'select c.change::text, c.committed_at::timestamptz, ''sqitch''::text
         from sqitch.changes c where c.project = ''pgwarden''';
  end if;
  if pg_catalog.to_regclass('public._yoyo_migration') is not null then
    return query execute
      'select y.migration_id::text, (y.applied_at_utc at time zone ''utc'')::timestamptz,
              ''yoyo''::text
         from public._yoyo_migration y';
  end if;
end
$$;
comment on function pgwarden.deployed_changes() is
  'The deployed migration changes (name, time, tool), read from the sqitch or yoyo registry.';

revoke execute on function pgwarden.deployed_changes() from public;
grant execute on function pgwarden.deployed_changes() to authenticator;
COMMIT;
