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
