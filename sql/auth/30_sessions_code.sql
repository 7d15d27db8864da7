-- Code of auth.sessions (state: 30_sessions.sql): the single-writer guard of revoked_at and its
-- triggers (ENABLE ALWAYS). Tests: tests_sql/test_session_single_writer.sql.

create or replace function auth.sessions_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  writer boolean := current_user = 'pgw_session_writer';
begin
  if tg_op = 'TRUNCATE' then
    perform auth.refuse('sessions_truncate',
      'auth.sessions cannot be truncated: revoke with auth.invalidate_sessions(), then delete.');
  elsif tg_op = 'INSERT' then
    if new.revoked_at is not null or new.revoked_reason is not null then
      perform auth.refuse('single_writer',
        'revoked_at is written only by auth.invalidate_sessions().');
    end if;
    return new;
  elsif tg_op = 'DELETE' then
    if old.revoked_at is null and old.idle_expires_at > auth.now()
       and old.absolute_expires_at > auth.now() then
      perform auth.refuse('single_writer',
        'a live session cannot be deleted: revoke it with auth.invalidate_sessions() first.');
    end if;
    return old;
  end if;
  if (new.revoked_at, new.revoked_reason) is distinct from (old.revoked_at, old.revoked_reason)
     and (not writer or old.revoked_at is not null) then
    perform auth.refuse('single_writer',
      'revoked_at is written only by auth.invalidate_sessions(), and never un-revoked.');
  end if;
  -- (parent_session_id may only be cleared: the FK does so when a parent is purged)
  if (new.id, new.user_id, new.token_hash, new.created_at, new.absolute_expires_at, new.ip,
      new.user_agent)
     is distinct from (old.id, old.user_id, old.token_hash, old.created_at,
                       old.absolute_expires_at, old.ip, old.user_agent)
     or (new.parent_session_id is distinct from old.parent_session_id
         and new.parent_session_id is not null) then
    perform auth.refuse('session_immutable',
      'a session''s user, token hash, creation, absolute expiry and origin never change.');
  end if;
  return new;
end
$$;
comment on function auth.sessions_guard() is
  'Trigger: the single-writer guard of auth.sessions.revoked_at; identity columns are immutable.';

drop trigger if exists sessions_guard on auth.sessions;
create trigger sessions_guard
  before insert or update or delete on auth.sessions
  for each row execute function auth.sessions_guard();
comment on trigger sessions_guard on auth.sessions is 'The single-writer guard of revoked_at (see auth.sessions_guard()).';
drop trigger if exists sessions_no_truncate on auth.sessions;
create trigger sessions_no_truncate
  before truncate on auth.sessions
  for each statement execute function auth.sessions_guard();
comment on trigger sessions_no_truncate on auth.sessions is 'Refuses TRUNCATE of auth.sessions.';
-- ALWAYS: the guard fires even under session_replication_role = replica.
alter table auth.sessions enable always trigger sessions_guard;
alter table auth.sessions enable always trigger sessions_no_truncate;

revoke execute on function auth.sessions_guard() from public;
