-- Deploy pgwarden:audit_core to pg
-- requires: context
BEGIN;
-- pgwarden bundle: begin ../../sql/audit/01_schema.sql
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
-- pgwarden bundle: end ../../sql/audit/01_schema.sql
-- pgwarden bundle: begin ../../sql/audit/10_event_types.sql
-- The catalog of event identifiers. Identifiers are API: rows are added, never renamed or
-- removed (a guard refuses it, and tests_sql/test_audit_catalog.sql locks the list).

create table if not exists audit.event_types (
  id          text primary key,
  category    text not null,
  description text not null,
  detachable  boolean not null default false,
  -- identifiers are stable snake_case strings
  constraint event_types_id_shape check (id ~ '^[a-z][a-z0-9_]{1,62}$'),
  -- the families the DBA views and the admin filter on
  constraint event_types_category check (category in ('row', 'account', 'credential', 'session',
                                                      'access', 'audit')),
  -- a description says what happened, for the docs and the admin
  constraint event_types_description check (length(description) between 3 and 300)
);

comment on table audit.event_types is
  'The catalog of audit event identifiers (stable API strings). Add rows; never rename or remove.';
comment on column audit.event_types.id is 'The stable identifier, e.g. login_failed.';
comment on column audit.event_types.category is
  'row (generic row change), account, credential, session, access (authority) or audit.';
comment on column audit.event_types.description is 'What the event means.';
comment on column audit.event_types.detachable is
  'May be committed outside the request''s transaction by audit.record_security_event() '
  '(a security event of a request that fails).';

insert into audit.event_types (id, category, description, detachable) values
  -- generic row changes, written by the row trigger of audit.enable()
  ('create', 'row', 'A row was inserted into an audited table.', false),
  ('update', 'row', 'A row of an audited table was changed.', false),
  ('delete', 'row', 'A row was deleted from an audited table.', false),
  ('table_truncated', 'row', 'An audited table was truncated (its rows carry no delete event).', false),
  -- accounts and groups (RustIO AuditEvent)
  ('user_created', 'account', 'A user account was created.', false),
  ('user_updated', 'account', 'A user account was changed.', false),
  ('user_deleted', 'account', 'A user account was deleted.', false),
  ('group_created', 'account', 'A group was created.', false),
  ('group_updated', 'account', 'A group was changed.', false),
  ('group_deleted', 'account', 'A group was deleted.', false),
  ('account_locked', 'account', 'An account was locked (metadata.via: manual or auto_throttle).', true),
  ('account_unlocked', 'account', 'An account was unlocked.', false),
  ('emergency_recovery', 'account', 'An emergency recovery command ran from the CLI.', false),
  -- credentials (RustIO AuditEvent)
  ('password_changed_self', 'credential', 'A user changed their own password.', false),
  ('password_reset_self_request', 'credential', 'A user asked for a password reset link.', false),
  ('password_reset_self_consume', 'credential', 'A user reset their password with a link.', false),
  ('password_reset_by_other', 'credential', 'An administrator reset a user''s password.', false),
  ('forced_password_change_completed', 'credential', 'A user completed a forced password change.', false),
  ('mfa_enabled', 'credential', 'A user enabled multi-factor authentication.', false),
  ('mfa_disabled', 'credential', 'A user disabled multi-factor authentication.', false),
  ('mfa_reset_by_other', 'credential', 'An administrator reset a user''s MFA.', false),
  ('mfa_code_consumed', 'credential', 'A backup code was used.', false),
  ('backup_codes_regenerated', 'credential', 'A user regenerated their backup codes.', false),
  -- sessions (RustIO AuditEvent)
  ('sessions_revoked_self', 'session', 'A user revoked their own session(s).', false),
  ('sessions_revoked_by_other', 'session', 'An administrator or the system revoked a session.', false),
  ('session_logout', 'session', 'A user logged out.', false),
  ('login_succeeded', 'session', 'A login succeeded (metadata.mfa_pending when MFA follows).', false),
  ('login_failed', 'session', 'A login failed (metadata.reason: wrong_password, inactive or locked).', true),
  -- authority (pgwarden)
  ('role_changed', 'access', 'A user''s tier changed (metadata.previous_role, new_role).', false),
  ('group_membership_changed', 'access', 'A user joined or left a group.', false),
  ('permission_granted', 'access', 'A permission was granted to a user or group.', false),
  ('permission_revoked', 'access', 'A permission was revoked from a user or group.', false),
  ('policy_changed', 'access', 'A row policy or resource grant changed.', false),
  ('scoped_grant_created', 'access', 'A scoped, expiring grant was created.', false),
  ('scoped_grant_revoked', 'access', 'A scoped grant was revoked before expiry.', false),
  ('scoped_grant_renewed', 'access', 'A scoped grant''s expiry was extended.', false),
  ('scoped_grant_deleted', 'access', 'A scoped grant was deleted.', false),
  -- the audit system itself
  ('audit_enabled', 'audit', 'Row audit was enabled (or its redaction changed) on a table.', false),
  ('audit_disabled', 'audit', 'Row audit was disabled on a table.', false)
on conflict (id) do update
  set category = excluded.category,
      description = excluded.description,
      detachable = excluded.detachable;

-- Identifiers are API: refuse to delete or rename one (descriptions may be improved).
create or replace function audit.event_types_guard()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  if tg_op in ('DELETE', 'TRUNCATE') then
    raise exception 'audit event identifiers are API: % on audit.event_types refused', lower(tg_op)
      using errcode = 'insufficient_privilege',
            hint = 'add a new identifier instead; see docs/audit.md';
  end if;
  if new.id is distinct from old.id then
    raise exception 'audit event identifiers are API: renaming "%" refused', old.id
      using errcode = 'insufficient_privilege',
            hint = 'add a new identifier instead; see docs/audit.md';
  end if;
  return new;
end
$$;
comment on function audit.event_types_guard() is
  'Trigger: refuses DELETE of an event type and any change of its identifier.';

drop trigger if exists event_types_guard on audit.event_types;
create trigger event_types_guard
  before update or delete on audit.event_types
  for each row execute function audit.event_types_guard();
alter table audit.event_types enable always trigger event_types_guard;

drop trigger if exists event_types_no_truncate on audit.event_types;
create trigger event_types_no_truncate
  before truncate on audit.event_types
  for each statement execute function audit.event_types_guard();
alter table audit.event_types enable always trigger event_types_no_truncate;
-- pgwarden bundle: end ../../sql/audit/10_event_types.sql
-- pgwarden bundle: begin ../../sql/audit/20_events.sql
-- The events: one row per event, insert-only. Rows are written by audit.record(),
-- audit.record_security_event() and the row triggers of audit.enable(); nothing updates or
-- deletes them (30_guards.sql). The hash chain over them lives in audit.seals (60_chain.sql).

create table if not exists audit.events (
  id             bigint generated always as identity primary key,
  occurred_at    timestamptz not null default pg_catalog.clock_timestamp(),
  event          text not null references audit.event_types (id),
  actor_id       bigint,
  db_role        text not null default session_user,
  set_role       text,
  session_id     bigint,
  correlation_id text,
  client_ip      inet,
  target_table   text,
  target_id      text,
  summary        text not null default '',
  metadata       jsonb not null default '{}'::jsonb,
  before         jsonb,
  after          jsonb,
  txid           xid8 not null default pg_catalog.pg_current_xact_id(),
  -- metadata is always a JSON object (reserved keys: docs/audit.md)
  constraint events_metadata_object check (pg_catalog.jsonb_typeof(metadata) = 'object'),
  -- before/after, when present, are row images (JSON objects)
  constraint events_images_objects check (
    (before is null or pg_catalog.jsonb_typeof(before) = 'object')
    and (after is null or pg_catalog.jsonb_typeof(after) = 'object')),
  -- a named target is never the empty string
  constraint events_target_table_nonempty check (target_table is null or target_table <> ''),
  -- a summary is short; details go into metadata
  constraint events_summary_length check (pg_catalog.length(summary) <= 1000)
);

create index if not exists events_occurred_at on audit.events using brin (occurred_at);
create index if not exists events_target on audit.events (target_table, target_id);
create index if not exists events_actor on audit.events (actor_id, id) where actor_id is not null;
create index if not exists events_correlation on audit.events (correlation_id)
  where correlation_id is not null;
create index if not exists events_session on audit.events (session_id) where session_id is not null;
create index if not exists events_txid on audit.events (txid);

comment on table audit.events is
  'pgwarden audit events: one row per event, insert-only (guarded), hash-chained by audit.seal().';
comment on column audit.events.id is 'Event id, assigned at insert (ids of rolled-back work leave gaps).';
comment on column audit.events.occurred_at is 'Clock time of the insert (clock_timestamp()).';
comment on column audit.events.event is 'The event identifier, from audit.event_types.';
comment on column audit.events.actor_id is 'The application user (auth.uid()) who acted; NULL = system or a DBA.';
comment on column audit.events.db_role is 'The database login role (session_user): a DBA''s psql edit is attributed here.';
comment on column audit.events.set_role is 'The role the transaction had switched to (SET ROLE), e.g. pgw_staff; NULL if none.';
comment on column audit.events.session_id is 'The pgwarden session id of the request (auth.session_id()).';
comment on column audit.events.correlation_id is 'The request''s correlation id (X-Correlation-Id).';
comment on column audit.events.client_ip is 'The client address of the request.';
comment on column audit.events.target_table is 'The table or resource acted on, e.g. auth.users.';
comment on column audit.events.target_id is 'The id of the object acted on, as text (primary key; composite keys as a JSON array).';
comment on column audit.events.summary is 'A short human summary.';
comment on column audit.events.metadata is 'Event details (JSON object); row events carry metadata.changed.';
comment on column audit.events.before is 'Row events: the redacted row before the change.';
comment on column audit.events.after is 'Row events: the redacted row after the change.';
comment on column audit.events.txid is 'The writing transaction (64-bit xid): lets audit.seal() find late commits.';
-- pgwarden bundle: end ../../sql/audit/20_events.sql
-- pgwarden bundle: begin ../../sql/audit/30_guards.sql
-- Immutability: audit rows are never updated, deleted or truncated, by any role, the owner and
-- a superuser included, through ordinary statements. The triggers are ENABLE ALWAYS so that
-- session_replication_role = replica does not skip them. Privileges are revoked as well
-- (90_privileges_core.sql). Tests: tests_sql/test_audit_immutability.sql.

create or replace function audit.refuse_change()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception 'audit rows are append-only: % on %.% refused',
    lower(tg_op), tg_table_schema, tg_table_name
    using errcode = 'insufficient_privilege',
          hint = 'audit rows can be read, never changed; see docs/audit.md';
end
$$;
comment on function audit.refuse_change() is
  'Trigger: refuses UPDATE, DELETE and TRUNCATE on an append-only audit table.';

-- Make an audit table append-only: the guards <table>_append_only (BEFORE UPDATE OR DELETE; with
-- allow_update, <table>_no_delete, BEFORE DELETE) and <table>_no_truncate, both ENABLE ALWAYS,
-- and the same privileges revoked from the table's owner (a superuser ignores privileges: the
-- guards stop it).
create or replace function audit.guard_append_only(target regclass,
                                                   allow_update boolean default false)
returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = target);
  v_row text := v_name || case when allow_update then '_no_delete' else '_append_only' end;
  v_truncate text := v_name || '_no_truncate';
  v_owner text := (select pg_catalog.pg_get_userbyid(c.relowner)
                     from pg_catalog.pg_class c where c.oid = target);
begin
  execute pg_catalog.format('drop trigger if exists %I on %s', v_row, target);
  execute pg_catalog.format(
    'create trigger %I before %s on %s for each row execute function audit.refuse_change()',
    v_row, case when allow_update then 'delete' else 'update or delete' end, target);
  execute pg_catalog.format('alter table %s enable always trigger %I', target, v_row);
  execute pg_catalog.format('drop trigger if exists %I on %s', v_truncate, target);
  execute pg_catalog.format(
    'create trigger %I before truncate on %s for each statement '
    'execute function audit.refuse_change()', v_truncate, target);
  execute pg_catalog.format('alter table %s enable always trigger %I', target, v_truncate);
  execute pg_catalog.format('revoke %s truncate on %s from %I',
    case when allow_update then 'delete,' else 'update, delete,' end, target, v_owner);
end
$$;
comment on function audit.guard_append_only(regclass, boolean) is
  'Make an audit table append-only (or, with allow_update, undeletable): guard triggers refusing '
  'UPDATE/DELETE and TRUNCATE for every role, ENABLE ALWAYS, and those privileges revoked from '
  'its owner.';

select audit.guard_append_only('audit.events');
-- pgwarden bundle: end ../../sql/audit/30_guards.sql
-- pgwarden bundle: begin ../../sql/audit/40_record.sql
-- Writing events from code: audit.record() inside the caller's transaction, and
-- audit.record_security_event() for the security events of a request that fails (called by the
-- app on its own connection, so that it commits although the request's transaction rolls back).
-- Tests: tests_sql/test_audit_record.sql, tests_py/test_audit_detached.py.

create or replace function audit.record(
  event text,
  target_table text default null,
  target_id text default null,
  summary text default '',
  metadata jsonb default '{}'::jsonb,
  actor_id bigint default auth.uid()
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_category text;
  v_id bigint;
begin
  select t.category into v_category from audit.event_types t where t.id = event;
  if v_category is null then
    raise exception 'unknown audit event "%"', event
      using errcode = 'invalid_parameter_value',
            hint = 'the identifiers are listed in audit.event_types';
  end if;
  if v_category = 'row' then
    raise exception 'row event "%" is written by the row trigger, not by audit.record()', event
      using errcode = 'invalid_parameter_value', hint = 'use audit.enable(table)';
  end if;
  if metadata is not null and pg_catalog.jsonb_typeof(metadata) <> 'object' then
    raise exception 'audit metadata must be a JSON object, not %', pg_catalog.jsonb_typeof(metadata)
      using errcode = 'invalid_parameter_value';
  end if;
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, target_id, summary, metadata)
  values (event, actor_id,
          nullif(pg_catalog.current_setting('role'), 'none'),
          auth.session_id(), pgwarden.correlation_id(), pgwarden.client_ip(),
          nullif(target_table, ''), target_id, coalesce(summary, ''),
          coalesce(metadata, '{}'::jsonb))
  returning id into v_id;
  return v_id;
end
$$;
comment on function audit.record(text, text, text, text, jsonb, bigint) is
  'Record one typed (non-row) event in the caller''s transaction; the session id, correlation id '
  'and client ip come from the request context. Returns the event id. Callable by '
  'pgw_session_writer and the owner only.';

create or replace function audit.record_security_event(
  event text,
  actor_id bigint default null,
  target_table text default null,
  target_id text default null,
  summary text default '',
  metadata jsonb default '{}'::jsonb,
  correlation_id text default null,
  client_ip text default null
)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
#variable_conflict use_variable
declare
  v_detachable boolean;
  v_ip inet;
  v_id bigint;
begin
  select t.detachable into v_detachable from audit.event_types t where t.id = event;
  if v_detachable is distinct from true then
    raise exception 'event "%" may not be recorded outside its transaction', event
      using errcode = 'insufficient_privilege',
            hint = 'only events with audit.event_types.detachable (login_failed, account_locked)';
  end if;
  if nullif(correlation_id, '') !~ '^[A-Za-z0-9_-]{16,64}$' then
    raise exception 'malformed correlation id' using errcode = 'invalid_parameter_value';
  end if;
  if nullif(client_ip, '') is not null then
    begin
      v_ip := client_ip::inet;
    exception when invalid_text_representation then
      raise exception 'malformed client ip' using errcode = 'invalid_parameter_value';
    end;
  end if;
  if metadata is not null and (pg_catalog.jsonb_typeof(metadata) <> 'object'
                               or pg_catalog.octet_length(metadata::text) > 4096) then
    raise exception 'metadata must be a JSON object of at most 4096 bytes'
      using errcode = 'invalid_parameter_value';
  end if;
  insert into audit.events (event, actor_id, correlation_id, client_ip, target_table, target_id,
                            summary, metadata)
  values (event, actor_id, nullif(correlation_id, ''), v_ip,
          nullif(target_table, ''), target_id,
          pg_catalog.left(coalesce(summary, ''), 500), coalesce(metadata, '{}'::jsonb))
  returning id into v_id;
  return v_id;
end
$$;
comment on function audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) is
  'Record a security event of a failing request in its own transaction (the app calls it as '
  'authenticator outside the request''s transaction). Only catalog events marked detachable.';
-- pgwarden bundle: end ../../sql/audit/40_record.sql
-- pgwarden bundle: begin ../../sql/audit/90_privileges_core.sql
-- Privileges of the audit core. Audit rows are read by administrators and written only by the
-- definer functions and triggers. UPDATE, DELETE and TRUNCATE are revoked from everyone,
-- the owner included (a superuser ignores privileges: the guard triggers stop it).

revoke all on audit.event_types, audit.events from public;
do $owner$
declare
  v_owner text;
begin
  -- audit.events: audit.guard_append_only() (30_guards.sql) revoked them already
  select pg_catalog.pg_get_userbyid(c.relowner) into v_owner
    from pg_catalog.pg_class c where c.oid = 'audit.event_types'::regclass;
  execute pg_catalog.format('revoke delete, truncate on audit.event_types from %I', v_owner);
end
$owner$;

grant usage on schema audit to pgw_user, pgw_session_writer, authenticator;
grant select on audit.event_types to pgw_user;
grant select on audit.events to pgw_administrator;

revoke execute on function audit.record(text, text, text, text, jsonb, bigint) from public;
grant execute on function audit.record(text, text, text, text, jsonb, bigint) to pgw_session_writer;

revoke execute on function
  audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) from public;
grant execute on function
  audit.record_security_event(text, bigint, text, text, text, jsonb, text, text) to authenticator;

revoke execute on function audit.refuse_change(), audit.event_types_guard(),
  audit.guard_append_only(regclass, boolean) from public;

-- audit.record()'s actor defaults to auth.uid(), evaluated as the caller: the definer functions
-- owned by pgw_session_writer need the request-context helpers.
grant usage on schema auth, pgwarden to pgw_session_writer;
grant execute on function auth.jwt(), auth.claim(text), auth.uid(), auth.role(), auth.session_id(),
  pgwarden.correlation_id(), pgwarden.client_ip() to pgw_session_writer;
-- pgwarden bundle: end ../../sql/audit/90_privileges_core.sql
COMMIT;
