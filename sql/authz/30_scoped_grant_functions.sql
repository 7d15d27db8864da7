-- The only writers of authz.scoped_grants and authz.scoped_grant_events, and the check that
-- compiled policies call. SECURITY DEFINER with an empty search_path; EXECUTE on the writers
-- only for administrators (and the owner, e.g. `pgwarden authz grant`).

create or replace function authz.has_scoped_grant(permission text, scope_name text,
                                                  scope_value text)
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select exists (
    select from authz.scoped_grants g
     where g.user_id = auth.uid()
       and g.scope_name = has_scoped_grant.scope_name
       and g.scope_value = has_scoped_grant.scope_value
       and (g.expires_at is null or g.expires_at > pg_catalog.now())
       and ((g.target_kind = 'permission' and g.target_name = has_scoped_grant.permission)
            or (g.target_kind = 'template' and exists (
                  select from authz.templates t
                   where t.name = g.target_name
                     and has_scoped_grant.permission = any (t.permissions)))))
$$;
comment on function authz.has_scoped_grant(text, text, text) is
  'For row policies: does the current user hold an unexpired grant of this permission (directly '
  'or through a template) on this scope value?';

create or replace function authz.log_grant(g authz.scoped_grants, event text, reason text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  insert into authz.scoped_grant_events (grant_id, event, user_id, actor_id, target_kind,
                                         target_name, scope_name, scope_value, expires_at, reason)
  values (g.id, event, g.user_id, auth.uid(), g.target_kind, g.target_name, g.scope_name,
          g.scope_value, g.expires_at, reason);
  perform audit.record(
    'scoped_grant_' || event, 'authz.scoped_grants', g.id::text,
    pg_catalog.format('%s %s on %s = %s for user %s', g.target_kind, g.target_name,
                      g.scope_name, g.scope_value, g.user_id),
    pg_catalog.jsonb_build_object('user_id', g.user_id, 'target_kind', g.target_kind,
      'target_name', g.target_name, 'scope_name', g.scope_name, 'scope_value', g.scope_value,
      'expires_at', g.expires_at, 'reason', reason));
end
$$;
comment on function authz.log_grant(authz.scoped_grants, text, text) is
  'Internal: appends a grant event and the matching audit event (scoped_grant_<event>).';

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
  declared boolean;
begin
  if not exists (select from auth.users u where u.id = grant_scoped.user_id) then
    raise exception 'unknown user %', grant_scoped.user_id
      using errcode = 'no_data_found', hint = 'pgwarden authz grant --user EMAIL';
  end if;
  if target_kind = 'template'
     and not exists (select from authz.templates t where t.name = grant_scoped.target_name) then
    raise exception 'unknown template %', target_name using errcode = 'invalid_parameter_value';
  end if;
  -- a permission is declared ([authorization.permissions], authz.permissions) or a resource
  -- codename (auth.permissions: loans.view); a grant of anything else would count for nothing
  -- (read dynamically: this file is also applied by authz_scopes, before that table exists)
  if target_kind = 'permission'
     and pg_catalog.to_regclass('authz.permissions') is not null
     and not exists (select from auth.permissions p where p.codename = grant_scoped.target_name)
  then
    execute 'select exists (select from authz.permissions p where p.name = $1)'
       into declared using target_name;
    if not declared then
      raise exception 'unknown permission %', target_name
        using errcode = 'invalid_parameter_value',
              hint = 'declare it under [authorization.permissions] or name a resource '
                     'codename (pgwarden perm list)';
    end if;
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

create or replace function authz.change_scoped(grant_id bigint, event text,
                                               new_expiry timestamptz, reason text)
returns authz.scoped_grants
language plpgsql
set search_path = ''
as $$
declare
  g authz.scoped_grants;
begin
  if event = 'deleted' then
    delete from authz.scoped_grants s where s.id = grant_id returning * into g;
  else
    update authz.scoped_grants s set expires_at = new_expiry where s.id = grant_id
    returning * into g;
  end if;
  if g.id is null then
    raise exception 'unknown scoped grant %', grant_id using errcode = 'no_data_found';
  end if;
  perform authz.log_grant(g, event, reason);
  return g;
end
$$;
comment on function authz.change_scoped(bigint, text, timestamptz, text) is
  'Internal to revoke/renew/delete: applies the change and logs it.';

create or replace function authz.revoke_scoped(grant_id bigint, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select from authz.scoped_grants s where s.id = grant_id
              and s.expires_at is not null and s.expires_at <= pg_catalog.now()) then
    raise exception 'scoped grant % has already expired', grant_id
      using errcode = 'invalid_parameter_value';
  end if;
  perform authz.change_scoped(grant_id, 'revoked', pg_catalog.now(), reason);
end
$$;
comment on function authz.revoke_scoped(bigint, text) is
  'Revoke a scoped grant now (expires_at := now(); the row and its history stay).';

create or replace function authz.renew_scoped(grant_id bigint, expires_at timestamptz,
                                              reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  if expires_at is null or expires_at <= pg_catalog.now() then
    raise exception 'a renewal needs a future expires_at' using errcode = 'invalid_parameter_value';
  end if;
  perform authz.change_scoped(grant_id, 'renewed', expires_at, reason);
end
$$;
comment on function authz.renew_scoped(bigint, timestamptz, text) is
  'Give a scoped grant a new, future expiry.';

create or replace function authz.delete_scoped(grant_id bigint, reason text default null)
returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform authz.change_scoped(grant_id, 'deleted', null, reason);
end
$$;
comment on function authz.delete_scoped(bigint, text) is
  'Delete a scoped grant (its history stays in authz.scoped_grant_events).';

revoke execute on function authz.has_scoped_grant(text, text, text),
  authz.log_grant(authz.scoped_grants, text, text),
  authz.grant_scoped(bigint, text, text, text, text, timestamptz, text),
  authz.change_scoped(bigint, text, timestamptz, text),
  authz.revoke_scoped(bigint, text), authz.renew_scoped(bigint, timestamptz, text),
  authz.delete_scoped(bigint, text), authz.refuse_event_change() from public;
grant execute on function authz.has_scoped_grant(text, text, text) to pgw_anon, pgw_user;
grant execute on function
  authz.grant_scoped(bigint, text, text, text, text, timestamptz, text),
  authz.revoke_scoped(bigint, text), authz.renew_scoped(bigint, timestamptz, text),
  authz.delete_scoped(bigint, text)
  to pgw_administrator;
