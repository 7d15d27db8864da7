-- Deploy pgwarden:ops_read_replicas to pg
-- requires: auth_recovery
-- Reads on a hot standby (docs/operations.md#read-replicas): auth.resolve_session() no longer
-- writes the idle-expiry touch when it runs on a standby (it cannot write there); the app
-- touches those sessions on the primary in batches. Code only.
BEGIN;
\ir ../../sql/auth/33_resolve_session.sql
COMMIT;
