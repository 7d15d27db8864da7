-- What a change of auth.users sets off, in SQL, so a DBA's `UPDATE auth.users SET role = …`
-- behaves exactly like the admin: typed audit events and automatic session revocation through
-- the single writer.
--   insert                         user_created
--   password set by the user       password_changed_self; revoke all but the current session
--                                  (and forced_password_change_completed if it had to)
--   password set by anyone else    password_reset_by_other; revoke all (password_reset_by_other)
--   rehash on login                nothing (auth.login_finish() re-encodes the same password)
--   set by a recovery function     nothing here: auth.consume_password_reset() and
--                                  auth.admin_reset_password() audit and revoke themselves
--   tier changed                   role_changed; revoke all (role_changed_by_other)
--   deactivated                    user_updated; revoke all (account_deactivated)
--   locked by the login throttle   account_locked (via auto_throttle, no actor); a soft lock:
--                                  sessions stay (it only refuses new logins)
--   locked otherwise (a DBA)       account_locked (via manual); revoke all (account_locked)
--   unlocked                       account_unlocked
--   (auth.lock_user() and auth.unlock_user() audit and revoke themselves, with the reason)
-- A BEFORE trigger records what set a lock in locked_via: the login throttle or the second-factor
-- throttle (auth.mfa_fail) are auto_throttle, anything else manual.
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
  revoked bigint[];
  new_locked boolean := coalesce(new.locked_until > at_, false);
  old_locked boolean := coalesce(old.locked_until > at_, false);
  new_via text := coalesce(new.locked_via, 'manual');
  old_via text := coalesce(old.locked_via, 'manual');
begin
  get diagnostics stack = pg_context;
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
    if stack like '%function auth.login_finish(%' and new.password_hash is not null then
      null;  -- a rehash of the same password on login
    elsif stack like '%function auth.consume_password_reset(%'
          or stack like '%function auth.admin_reset_password(%' then
      null;  -- the recovery function audits and revokes itself
    elsif actor = new.id then
      perform audit.record('password_changed_self', 'auth.users', new.id::text,
                           'password changed by its owner', '{}'::jsonb);
      if auth.session_id() is null then
        revoked := auth.invalidate_sessions('user', 'user_requested', new.id);
      else
        revoked := auth.invalidate_sessions('user_except_current', 'user_requested', new.id,
                                            auth.session_id());
      end if;
      if old.must_change_password and not new.must_change_password then
        perform audit.record('forced_password_change_completed', 'auth.users', new.id::text,
          'forced password change completed', pg_catalog.jsonb_build_object(
            'invalidated_session_count', pg_catalog.cardinality(revoked)));
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

  if stack like '%function auth.lock_user(%' or stack like '%function auth.unlock_user(%' then
    null;  -- the R2 function audits (with the reason) and revokes itself
  elsif new_locked and (not old_locked or (new_via = 'manual' and old_via = 'auto_throttle')) then
    perform audit.record('account_locked', 'auth.users', new.id::text,
      pg_catalog.format('account locked until %s', new.locked_until),
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'via', new_via, 'until', new.locked_until, 'failed_count', new.failed_login_count,
        'reason', case when new_via = 'auto_throttle'
                       then 'auto-throttle: too many failed logins' end,
        'actor_user_id', case when new_via = 'manual' then actor end)),
      case when new_via = 'auto_throttle' then null else actor end);
    if new_via = 'manual' then
      perform auth.invalidate_sessions('user', 'account_locked', new.id);
    end if;
  elsif old_locked and not new_locked then
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

create or replace function auth.users_lock_kind()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  stack text;
begin
  if new.locked_until is null then
    new.locked_via := null;
  elsif tg_op = 'INSERT' or new.locked_until is distinct from old.locked_until then
    get diagnostics stack = pg_context;
    new.locked_via := case when stack like '%function auth.login_fail(%'
                             or stack like '%function auth.mfa_fail(%' then 'auto_throttle'
                           else 'manual' end;
  end if;
  return new;
end
$$;
comment on function auth.users_lock_kind() is
  'Trigger: records what set a lock (locked_via): the login throttle (auto_throttle) or manual.';

drop trigger if exists users_15_lock_kind on auth.users;
create trigger users_15_lock_kind
  before insert or update on auth.users
  for each row execute function auth.users_lock_kind();
comment on trigger users_15_lock_kind on auth.users is 'Sets locked_via: auto_throttle or manual.';

alter function auth.users_effects() owner to pgw_auth_service;
revoke execute on function auth.users_effects(), auth.users_lock_kind() from public;
