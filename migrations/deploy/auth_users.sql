-- Deploy pgwarden:auth_users to pg
-- requires: audit_core
BEGIN;
\ir ../../sql/auth/00_roles.sql
\ir ../../sql/auth/10_config.sql
\ir ../../sql/auth/20_users.sql
\ir ../../sql/auth/21_groups_permissions.sql
\ir ../../sql/auth/22_has_perm.sql
\ir ../../sql/auth/23_rank_guards.sql
\ir ../../sql/auth/25_authority_audit.sql
\ir ../../sql/auth/29_users_access.sql
COMMIT;
