-- The audit schema and the role that identity's definer functions are owned by.
--
--   audit               typed, append-only, tamper-evident events (see docs/audit.md).
--   pgw_session_writer  NOLOGIN: owns the single writer of sessions.revoked_at (identity) and may
--                       call audit.record(); nobody logs in as it and no tier is a member of it.

set local client_min_messages = warning;

create schema if not exists audit;
comment on schema audit is
  'pgwarden audit: typed, append-only, hash-chained events written by triggers and definer functions.';

do $role$
begin
  if not exists (select 1 from pg_catalog.pg_roles where rolname = 'pgw_session_writer') then
    create role pgw_session_writer nologin noinherit;
  end if;
  alter role pgw_session_writer nologin nosuperuser nocreatedb nocreaterole nobypassrls;
end
$role$;

comment on role pgw_session_writer is
  'pgwarden: NOLOGIN owner of the single session-revocation writer; may call audit.record().';

revoke all on schema audit from public;
