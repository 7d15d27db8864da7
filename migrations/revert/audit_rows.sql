-- Revert pgwarden:audit_rows
-- Audited tables lose their row triggers first (without an audit_disabled event: the events
-- table itself stays until audit_core is reverted).
BEGIN;
do $revert$
declare
  t regclass;
begin
  for t in select distinct tgrelid::regclass from pg_catalog.pg_trigger
            where tgname in ('audit_row_insert', 'audit_row_delete', 'audit_row_update',
                             'audit_row_truncate') loop
    perform audit.drop_row_triggers(t);
  end loop;
end
$revert$;
drop function if exists audit.expand_row_batches();
drop function if exists audit.batch_rows(audit.row_batches);
drop function if exists audit.pending_batches();
drop function if exists audit.bulk_threshold();
drop table if exists audit.row_batch_expansions;
drop table if exists audit.row_batches;
drop function if exists audit.batch_select_list(regclass, text[]);
drop function if exists audit.disable(regclass);
drop function if exists audit.enable(regclass, text[]);
drop function if exists audit.drop_row_triggers(regclass);
drop function if exists audit.enabled_redaction(regclass);
drop function if exists audit.capture_truncate();
drop function if exists audit.capture_update();
drop function if exists audit.capture_updates();
drop function if exists audit.capture_rows();
drop function if exists audit.redaction_mask(text[]);
drop function if exists audit.row_id(jsonb, text[]);
drop function if exists audit.primary_key_columns(regclass);
drop function if exists audit.redacted_columns(regclass, text[]);
drop function if exists audit.redaction_pattern();
COMMIT;
