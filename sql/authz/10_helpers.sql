-- Helpers used by the SQL that `pgwarden policies compile` writes (policies/*.toml).

create or replace function authz.is_request_role()
returns boolean
language sql
stable
parallel safe
set search_path = ''
as $$
  select not coalesce((select r.rolsuper from pg_catalog.pg_roles r
                        where r.rolname = current_user), false)
     and (pg_catalog.pg_has_role('pgw_user', 'usage')
          or pg_catalog.pg_has_role('pgw_anon', 'usage'))
$$;
comment on function authz.is_request_role() is
  'True when the current role acts for a request (pgw_anon or a tier, not a superuser): compiled '
  '`assign` triggers then take columns from the request context, never from the payload.';

create or replace function authz.touch()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  column_name text;
begin
  foreach column_name in array tg_argv loop
    new := pg_catalog.jsonb_populate_record(
      new, pg_catalog.jsonb_build_object(column_name, pg_catalog.now()));
  end loop;
  return new;
end
$$;
comment on function authz.touch() is
  'BEFORE UPDATE trigger: sets each column named in the trigger arguments to now() (updated_at).';

revoke execute on function authz.is_request_role() from public;
grant execute on function authz.is_request_role() to pgw_anon, pgw_user, authenticator;
revoke execute on function authz.touch() from public;
