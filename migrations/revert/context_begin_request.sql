-- Revert pgwarden:context_begin_request
BEGIN;
drop function if exists auth.user_id_by_email(text);
drop function if exists pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean);
drop function if exists pgwarden.begin_session_request(text, text, text, text, jsonb, jsonb, text, text, boolean, text[]);
drop function if exists auth.session_claims(text);
drop function if exists auth.claims_of(bigint, text, bigint);
drop function if exists pgwarden.begin_request(text, jsonb, text, text, jsonb, jsonb, text, text, boolean);
COMMIT;
