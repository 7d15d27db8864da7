-- Revert pgwarden:audit_views
BEGIN;
drop view if exists audit.audited_tables;
drop view if exists audit.chain_status;
drop view if exists audit.row_history;
drop view if exists audit.authority_events;
COMMIT;
