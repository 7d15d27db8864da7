-- Verify pgwarden:audit_fast_path
BEGIN;
do $verify$
begin
  assert not exists (select 1 from pg_catalog.pg_trigger t
                      where t.tgname in ('audit_row_insert', 'audit_row_delete')
                        and t.tgnargs <> 2),
    'every audited table''s insert and delete triggers must carry the key columns';
  assert pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.capture_rows()'::regprocedure),
                           'audit.redacted_columns(tg_relid, v_extra)') > 0,
    'audit.capture_rows() must be the fast-path version';
  assert pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.bulk_threshold()'::regprocedure),
                           ' from ') = 0,
    'audit.bulk_threshold() must be inlinable (no FROM)';
  assert exists (select 1 from pg_catalog.pg_attribute a
                  where a.attrelid = 'audit.row_batches'::regclass
                    and a.attname = 'before_images' and not a.attisdropped),
    'audit.row_batches must hold the old rows of update batches';
  assert pg_catalog.to_regprocedure('audit.update_pairs(jsonb, jsonb, text[])') is not null
     and pg_catalog.to_regprocedure('audit.batch_events(audit.row_batches)') is not null,
    'the update pairing and the batch events must exist';
end
$verify$;
ROLLBACK;
