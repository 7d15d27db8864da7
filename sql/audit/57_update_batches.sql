-- Bulk UPDATEs (state, created once by the sqitch change audit_fast_path): a batch of an UPDATE
-- of more than audit.bulk_threshold() rows holds the statement's old rows beside its new ones,
-- and the columns it redacted, so that audit.seal() can pair them (audit.update_pairs()) and
-- write the update events later. The code: 56_row_batch_code.sql, 50_row_audit.sql.
-- Tests: tests_sql/test_audit_update_batches.sql.

alter table audit.row_batches add column if not exists before_images json;
alter table audit.row_batches add column if not exists redacted text[];

alter table audit.row_batches drop constraint if exists row_batches_event;
-- bulk capture covers inserts, updates and deletes
alter table audit.row_batches
  add constraint row_batches_event check (event in ('create', 'update', 'delete'));
alter table audit.row_batches drop constraint if exists row_batches_update_images;
-- an update batch holds its old rows (a JSON array) and its redacted columns; no other does
alter table audit.row_batches
  add constraint row_batches_update_images check (
    case when event = 'update'
         then before_images is not null and pg_catalog.json_typeof(before_images) = 'array'
              and redacted is not null
         else before_images is null and redacted is null end);

do $compression$
begin
  alter table audit.row_batches alter column before_images set compression lz4;
exception when feature_not_supported then
  null;
end
$compression$;

comment on column audit.row_batches.event is 'create (INSERT), update (UPDATE) or delete (DELETE).';
comment on column audit.row_batches.images is
  'The redacted rows, a JSON array in statement order (an UPDATE: the new rows).';
comment on column audit.row_batches.before_images is
  'An UPDATE batch: the old rows, a JSON array (redacted columns as per-statement digests).';
comment on column audit.row_batches.redacted is
  'An UPDATE batch: the columns whose values the images hold as digests ("<redacted>" in events).';
