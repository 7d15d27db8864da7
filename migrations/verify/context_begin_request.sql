-- Verify pgwarden:context_begin_request
BEGIN;
select 'pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean)'::regprocedure;
-- either signature: context_mfa_policy adds mfa_required_tiers
select 1 / count(*) from pg_catalog.pg_proc
 where proname = 'begin_session_request' and pronamespace = 'pgwarden'::regnamespace;
select 'auth.session_claims(text)'::regprocedure;
select 'auth.user_id_by_email(text)'::regprocedure;
ROLLBACK;
