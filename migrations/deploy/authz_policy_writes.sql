-- Deploy pgwarden:authz_policy_writes to pg
-- requires: authz_helpers
-- authz.writing() and authz.check_references(): compiled resources let a caller update or
-- delete, by any filter, a row its update or delete policy allows but its read policy hides
-- (VSR's delegates), and an update re-checks only the references it changes
-- (docs/policies.md, doctrines 5 and 11). Test: tests_sql/test_policy_writes.sql.
BEGIN;
\ir ../../sql/authz/12_policy_writes.sql
COMMIT;
