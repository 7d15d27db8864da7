-- Deploy pgwarden:pgwarden_constraint_messages to pg
-- requires: auth_users
BEGIN;
\ir ../../sql/pgwarden/40_constraint_messages.sql
\ir ../../sql/pgwarden/41_constraint_message_code.sql
COMMIT;
