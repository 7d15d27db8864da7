-- Revert pgwarden:pgwarden_constraint_messages from pg
BEGIN;
drop function if exists pgwarden.constraint_message(text, text, text);
drop table if exists pgwarden.constraint_messages;
COMMIT;
