-- Revert pgwarden:authz_permissions from pg
BEGIN;
-- authz.grant_scoped() as authz_scopes left it (no check of permission names)
create or replace function authz.grant_scoped(
  user_id bigint, target_kind text, target_name text, scope_name text, scope_value text,
  expires_at timestamptz default null, reason text default null)
returns bigint
language plpgsql
security definer
set search_path = ''
as $$
declare
  g authz.scoped_grants;
begin
  if not exists (select from auth.users u where u.id = grant_scoped.user_id) then
    raise exception 'unknown user %', grant_scoped.user_id
      using errcode = 'no_data_found', hint = 'pgwarden authz grant --user EMAIL';
  end if;
  if target_kind = 'template'
     and not exists (select from authz.templates t where t.name = grant_scoped.target_name) then
    raise exception 'unknown template %', target_name using errcode = 'invalid_parameter_value';
  end if;
  -- a template declares the one scope it is granted at (policies/*.toml [authorization])
  if target_kind = 'template' and exists (
       select from authz.templates t
        where t.name = grant_scoped.target_name and t.scope is not null
          and t.scope <> grant_scoped.scope_name) then
    raise exception 'template % is granted at scope %, not %', target_name,
        (select t.scope from authz.templates t where t.name = grant_scoped.target_name), scope_name
      using errcode = 'invalid_parameter_value',
            hint = 'give --scope the scope the template declares';
  end if;
  if expires_at is not null and expires_at <= pg_catalog.now() then
    raise exception 'expires_at % is not in the future', expires_at
      using errcode = 'invalid_parameter_value';
  end if;
  insert into authz.scoped_grants (user_id, target_kind, target_name, scope_name, scope_value,
                                   created_by, expires_at)
  values (grant_scoped.user_id, grant_scoped.target_kind, grant_scoped.target_name,
          grant_scoped.scope_name, grant_scoped.scope_value, auth.uid(), grant_scoped.expires_at)
  returning * into g;
  perform authz.log_grant(g, 'created', reason);
  return g.id;
end
$$;
comment on function authz.grant_scoped(bigint, text, text, text, text, timestamptz, text) is
  'Grant a permission or template to a user on one scope value, optionally until expires_at.';
drop table if exists authz.permissions;
COMMIT;
