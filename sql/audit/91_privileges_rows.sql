-- Privileges of row audit. The capture triggers are SECURITY DEFINER (they insert into
-- audit.events for any writer); nobody calls them directly. enable/disable run with the caller's
-- rights (creating triggers needs the table's owner) and only the owner of the audit schema
-- (the migration owner) may call them: a tier can never switch auditing off.

revoke execute on function audit.capture_rows(), audit.capture_updates(), audit.capture_update(),
  audit.capture_truncate(),
  audit.enable(regclass, text[]), audit.disable(regclass), audit.drop_row_triggers(regclass)
  from public;
grant execute on function audit.redaction_pattern(), audit.redacted_columns(regclass, text[]),
  audit.primary_key_columns(regclass), audit.row_id(jsonb, text[]), audit.redaction_mask(text[]),
  audit.enabled_redaction(regclass)
  to pgw_administrator;

-- Bulk batches: insert-only like audit.events, read by administrators; only the capture trigger
-- writes them and only audit.seal() (through audit.expand_row_batches()) materialises them.
revoke all on audit.row_batches, audit.row_batch_expansions from public;
-- the owner's UPDATE/DELETE/TRUNCATE: audit.guard_append_only() (55_row_batches.sql)
grant select on audit.row_batches, audit.row_batch_expansions to pgw_administrator;
revoke execute on function audit.expand_row_batches(), audit.pending_batches(),
  audit.batch_rows(audit.row_batches), audit.batch_select_list(regclass, text[]),
  audit.bulk_threshold()
  from public;
grant execute on function audit.pending_batches(), audit.batch_rows(audit.row_batches),
  audit.batch_select_list(regclass, text[]), audit.bulk_threshold()
  to pgw_administrator;

-- Bulk UPDATEs (audit_fast_path): the pairing and a batch's events are read through
-- audit.row_history by administrators; the select list is the trigger's own.
revoke execute on function audit.update_pairs(jsonb, jsonb, text[]),
  audit.update_pair(jsonb, jsonb, text[]), audit.batch_events(audit.row_batches),
  audit.batch_update_select_list(regclass, text[], text[])
  from public;
grant execute on function audit.update_pairs(jsonb, jsonb, text[]),
  audit.batch_events(audit.row_batches)
  to pgw_administrator;
