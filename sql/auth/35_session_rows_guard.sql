-- Who may add or remove a session row (docs/sessions.md, rule 1; docs/threat-model.md). A row is
-- inserted only by the login functions (auth.login_finish(), the MFA step and rotation; all
-- SECURITY DEFINER, owned by pgw_auth_service) and deleted only by auth.purge_expired() (also
-- pgw_auth_service's), or by the cascade of its user's deletion. Everyone else is refused,
-- pgw_owner (the table's owner) included: deleting a revoked row and inserting it again live
-- would revive a logged-out token. A superuser is let through: nothing stops one (it may
-- disable any trigger), and the test fixtures mint sessions that way.
-- Tests: tests_sql/test_roles_owner.sql.

create or replace function auth.sessions_rows_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if current_user = 'pgw_auth_service'
     or coalesce((select r.rolsuper from pg_catalog.pg_roles r where r.rolname = current_user),
                 false) then
    return coalesce(new, old);
  end if;
  if tg_op = 'INSERT' then
    perform auth.refuse('session_rows',
      'a session is created only by the login functions, never by a direct INSERT.');
  end if;
  -- a user's deletion cascades to their (revoked) sessions as the table owner
  if exists (select 1 from auth.users u where u.id = old.user_id) then
    perform auth.refuse('session_rows',
      'a session row is removed only by auth.purge_expired() or with its user, never by a direct DELETE.');
  end if;
  return old;
end
$$;
comment on function auth.sessions_rows_guard() is
  'Trigger: only the login functions insert sessions and only auth.purge_expired() (or a user''s '
  'deletion) deletes them; the table owner pgw_owner is refused too.';

drop trigger if exists sessions_rows_guard on auth.sessions;
create trigger sessions_rows_guard
  before insert or delete on auth.sessions
  for each row execute function auth.sessions_rows_guard();
comment on trigger sessions_rows_guard on auth.sessions is
  'Direct INSERT and DELETE of sessions are refused outside the session functions (see auth.sessions_rows_guard()).';
-- ALWAYS: the guard fires even under session_replication_role = replica.
alter table auth.sessions enable always trigger sessions_rows_guard;

revoke execute on function auth.sessions_rows_guard() from public;
