-- Deploy pgwarden:audit_chain to pg
-- requires: audit_core
BEGIN;
\ir ../../sql/audit/60_chain.sql
\ir ../../sql/audit/92_privileges_chain.sql
COMMIT;
