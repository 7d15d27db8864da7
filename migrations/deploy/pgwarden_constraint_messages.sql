-- Deploy pgwarden:pgwarden_constraint_messages to pg
-- requires: auth_users
BEGIN;
\ir ../../sql/pgwarden/30_constraint_messages.sql
\ir ../../sql/pgwarden/31_constraint_message_code.sql
COMMIT;
