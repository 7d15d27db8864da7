-- What a change of auth.users sets off, in SQL, so a DBA's `UPDATE auth.users SET role = …`
-- behaves exactly like the admin: typed audit events and automatic session revocation through
-- the single writer.
--   insert                         user_created
--   password set by the user       password_changed_self; revoke all but the current session
--   password set by anyone else    password_reset_by_other; revoke all (password_reset_by_other)
--   rehash on login                nothing (auth.login_finish() re-encodes the same password)
--   tier changed                   role_changed; revoke all (role_changed_by_other)
--   deactivated                    user_updated; revoke all (account_deactivated)
--   locked                         account_locked (via auto_throttle or manual); revoke all
--   unlocked                       account_unlocked
--   other profile columns          user_updated (metadata.changed lists the columns)
--   delete                         user_deleted; revoke all (user_deleted), then rows cascade

create or replace function auth.users_effects()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  at_ timestamptz := auth.now();
  stack text;
  changed text[];
begin
  if tg_op = 'INSERT' then
    perform audit.record('user_created', 'auth.users', new.id::text,
      pg_catalog.format('user %s created', new.email),
      pg_catalog.jsonb_build_object('email', new.email, 'role', new.role,
                                    'is_active', new.is_active));
    return null;
  elsif tg_op = 'DELETE' then
    perform audit.record('user_deleted', 'auth.users', old.id::text,
      pg_catalog.format('user %s deleted', old.email),
      pg_catalog.jsonb_build_object('email', old.email, 'role', old.role));
    perform auth.invalidate_sessions('user', 'user_deleted', old.id);
    return old;
  end if;

  if new.password_hash is distinct from old.password_hash then
    get diagnostics stack = pg_context;
    if stack like '%function auth.login_finish(%' and new.password_hash is not null then
      null;  -- a rehash of the same password on login
    elsif actor = new.id then
      perform audit.record('password_changed_self', 'auth.users', new.id::text,
                           'password changed by its owner', '{}'::jsonb);
      if auth.session_id() is null then
        perform auth.invalidate_sessions('user', 'user_requested', new.id);
      else
        perform auth.invalidate_sessions('user_except_current', 'user_requested', new.id,
                                         auth.session_id());
      end if;
    else
      perform audit.record('password_reset_by_other', 'auth.users', new.id::text,
        'password set by another', pg_catalog.jsonb_build_object(
          'actor_user_id', actor, 'must_change_password_set', new.must_change_password));
      perform auth.invalidate_sessions('user', 'password_reset_by_other', new.id);
    end if;
  end if;

  if new.role is distinct from old.role then
    perform audit.record('role_changed', 'auth.users', new.id::text,
      pg_catalog.format('tier %s -> %s', old.role, new.role),
      pg_catalog.jsonb_build_object('previous_role', old.role, 'new_role', new.role));
    perform auth.invalidate_sessions('user', 'role_changed_by_other', new.id);
  end if;

  if coalesce(new.locked_until > at_, false) and not coalesce(old.locked_until > at_, false) then
    perform audit.record('account_locked', 'auth.users', new.id::text,
      pg_catalog.format('account locked until %s', new.locked_until),
      pg_catalog.jsonb_build_object(
        'via', case when new.failed_login_count > old.failed_login_count
                    then 'auto_throttle' else 'manual' end,
        'until', new.locked_until, 'failed_count', new.failed_login_count),
      case when new.failed_login_count > old.failed_login_count then null else actor end);
    perform auth.invalidate_sessions('user', 'account_locked', new.id);
  elsif coalesce(old.locked_until > at_, false) and not coalesce(new.locked_until > at_, false) then
    perform audit.record('account_unlocked', 'auth.users', new.id::text, 'account unlocked',
      pg_catalog.jsonb_build_object('previous_until', old.locked_until));
  end if;

  changed := pg_catalog.array_remove(array[
    case when new.email is distinct from old.email then 'email' end,
    case when new.display_name is distinct from old.display_name then 'display_name' end,
    case when new.is_active is distinct from old.is_active then 'is_active' end,
    case when new.must_change_password is distinct from old.must_change_password
         then 'must_change_password' end], null);
  if pg_catalog.cardinality(changed) > 0 then
    perform audit.record('user_updated', 'auth.users', new.id::text,
      pg_catalog.format('user %s updated', new.email),
      pg_catalog.jsonb_build_object('changed', pg_catalog.to_jsonb(changed),
        'before', pg_catalog.jsonb_build_object('email', old.email, 'is_active', old.is_active),
        'after', pg_catalog.jsonb_build_object('email', new.email, 'is_active', new.is_active)));
  end if;
  if old.is_active and not new.is_active then
    perform auth.invalidate_sessions('user', 'account_deactivated', new.id);
  end if;
  return null;
end
$$;
comment on function auth.users_effects() is
  'Trigger: audits account changes and revokes sessions (through auth.invalidate_sessions) on '
  'password change, tier change, lock, deactivation and deletion.';

drop trigger if exists users_30_effects on auth.users;
create trigger users_30_effects
  after insert or update on auth.users
  for each row execute function auth.users_effects();
comment on trigger users_30_effects on auth.users is 'Audits account changes; revokes sessions on password, tier, lock, deactivation.';
-- Before the delete: revoke (and audit) first, so the cascade only removes revoked sessions.
drop trigger if exists users_30_effects_delete on auth.users;
create trigger users_30_effects_delete
  before delete on auth.users
  for each row execute function auth.users_effects();
comment on trigger users_30_effects_delete on auth.users is 'Audits user_deleted and revokes the sessions before the row goes.';

alter function auth.users_effects() owner to pgw_auth_service;
revoke execute on function auth.users_effects() from public;
