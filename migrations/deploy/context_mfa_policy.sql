-- Deploy pgwarden:context_mfa_policy to pg
-- requires: context_begin_request auth_mfa_policy
-- pgwarden.begin_session_request() takes the tiers PGWARDEN_MFA requires to enrol: a session of
-- such a tier without a second factor gets no data access (the REST dialect runs it as anon);
-- auth.claims_of() is the one shape of a session's claims, for SQL and the app.
BEGIN;
\ir ../../sql/pgwarden/30_begin_request.sql
COMMIT;
