-- The event catalog is API: this test locks the identifiers (RustIO's stable strings minus the
-- AI/memory ones, the generic row events, pgwarden's authority events and the audit's own), their
-- shape, and the guard that refuses to rename or remove one. Change this list only by adding.
begin;
select plan(12);

select set_eq(
  'select id from audit.event_types',
  array[
    -- RustIO AuditEvent (stable strings), without ai_* and memory_*
    'user_created', 'user_updated', 'user_deleted', 'group_created', 'group_updated',
    'group_deleted', 'password_changed_self', 'password_reset_self_request',
    'password_reset_self_consume', 'password_reset_by_other', 'forced_password_change_completed',
    'account_locked', 'account_unlocked', 'mfa_enabled', 'mfa_disabled', 'mfa_reset_by_other',
    'mfa_code_consumed', 'backup_codes_regenerated', 'sessions_revoked_self',
    'sessions_revoked_by_other', 'session_logout', 'login_succeeded', 'login_failed',
    'emergency_recovery',
    -- generic row events
    'create', 'update', 'delete', 'table_truncated',
    -- pgwarden authority events
    'role_changed', 'group_membership_changed', 'permission_granted', 'permission_revoked',
    'policy_changed', 'scoped_grant_created', 'scoped_grant_revoked', 'scoped_grant_renewed',
    'scoped_grant_deleted',
    -- the audit system itself
    'audit_enabled', 'audit_disabled', 'audit_archived'
  ],
  'the catalog holds exactly the locked identifiers'
);

select is((select count(*)::int from audit.event_types where id like 'ai\_%' or id like 'memory\_%'),
          0, 'no AI or memory identifiers');
select is((select count(*)::int from audit.event_types where id !~ '^[a-z][a-z0-9_]+$'), 0,
          'every identifier is snake_case');
select set_eq('select id from audit.event_types where category = ''row''',
              array['create', 'update', 'delete', 'table_truncated'],
              'exactly the generic row events are in category row');
select set_eq('select id from audit.event_types where detachable',
              array['login_failed', 'account_locked'],
              'only login_failed and account_locked may be recorded detached');
select is((select count(*)::int from audit.event_types where length(description) < 3), 0,
          'every identifier has a description');

select throws_ok($$ delete from audit.event_types where id = 'login_failed' $$, '42501', null,
                 'an identifier cannot be removed');
select throws_ok($$ update audit.event_types set id = 'login_fail' where id = 'login_failed' $$,
                 '42501', null, 'an identifier cannot be renamed');
select throws_ok($$ truncate audit.event_types cascade $$, '42501', null,
                 'the catalog cannot be truncated');
select lives_ok($$ update audit.event_types set description = 'A login attempt failed.'
                    where id = 'login_failed' $$, 'a description may be improved');
select throws_ok($$ insert into audit.event_types (id, category, description)
                    values ('Bad-Name', 'audit', 'shape check') $$, '23514', null,
                 'a new identifier must be snake_case');

set local role pgw_developer;
select throws_ok($$ insert into audit.event_types (id, category, description)
                    values ('forged_event', 'audit', 'not allowed') $$, '42501', null,
                 'no tier may add identifiers');
reset role;

select * from finish();
rollback;
