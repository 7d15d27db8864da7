-- Verify pgwarden:audit_views
BEGIN;
select id, occurred_at, event, category, actor_id, target_table, target_id, metadata
  from audit.authority_events where false;
select id, occurred_at, target_table, target_id, event, changed, before, after
  from audit.row_history where false;
select sealed_links, head, sealed_at, unsealed, oldest_unsealed_at from audit.chain_status;
select audited_table, redact, redacted_columns from audit.audited_tables where false;
ROLLBACK;
