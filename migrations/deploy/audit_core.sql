-- Deploy pgwarden:audit_core to pg
-- requires: context
BEGIN;
\ir ../../sql/audit/01_schema.sql
\ir ../../sql/audit/10_event_types.sql
\ir ../../sql/audit/20_events.sql
\ir ../../sql/audit/30_guards.sql
\ir ../../sql/audit/40_record.sql
\ir ../../sql/audit/90_privileges_core.sql
COMMIT;
