-- Verify pgwarden:context_mfa_policy on pg
BEGIN;
select 'pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[])'::regprocedure;
ROLLBACK;
