-- Verify pgwarden:context_begin_request
BEGIN;
select 'pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean)'::regprocedure;
select 'pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean)'::regprocedure;
select 'auth.session_claims(text)'::regprocedure;
select 'auth.user_id_by_email(text)'::regprocedure;
ROLLBACK;
