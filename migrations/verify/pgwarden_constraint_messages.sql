-- Verify pgwarden:pgwarden_constraint_messages on pg
BEGIN;
select 1 / count(*) from pgwarden.constraint_message('auth', 'users', 'users_email_shape');
ROLLBACK;
