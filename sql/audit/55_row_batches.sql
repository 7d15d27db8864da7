-- Bulk statements. A statement that inserts or deletes more rows of an audited table than
-- audit.bulk_threshold() does not write its events one by one: the row trigger stores the
-- statement's redacted rows as one JSON array in audit.row_batches, in the writer's transaction,
-- and audit.seal() (after commit) materialises them into audit.events, one event per row, before
-- it links them into the chain. Nothing is lost or late for a reader: audit.row_history shows
-- the rows of a batch as soon as it commits, and audit.verify() counts them in the window. Only
-- the events' ids come later (from the sealer). Cost and reasons: docs/audit.md, "Bulk statements".
-- Tests: tests_sql/test_audit_bulk.sql.

create table if not exists audit.row_batches (
  id             bigint generated always as identity primary key,
  occurred_at    timestamptz not null default pg_catalog.clock_timestamp(),
  event          text not null references audit.event_types (id),
  actor_id       bigint,
  db_role        text not null default session_user,
  set_role       text,
  session_id     bigint,
  correlation_id text,
  client_ip      inet,
  target_table   text not null,
  key_columns    text[] not null,
  row_count      integer not null,
  images         json not null,
  txid           xid8 not null default pg_catalog.pg_current_xact_id(),
  -- bulk capture covers inserts and deletes (updates pair old and new rows, and stay per event)
  constraint row_batches_event check (event in ('create', 'delete')),
  -- a batch holds at least one row
  constraint row_batches_row_count check (row_count > 0),
  -- the rows are a JSON array of row images
  constraint row_batches_images_array check (pg_catalog.json_typeof(images) = 'array')
);
create index if not exists row_batches_txid on audit.row_batches (txid);

-- lz4 compresses the arrays faster than the default pglz (when the server is built with it)
do $compression$
begin
  alter table audit.row_batches alter column images set compression lz4;
exception when feature_not_supported then
  null;
end
$compression$;

comment on table audit.row_batches is
  'The redacted rows of bulk statements on audited tables, one row per statement, insert-only; '
  'audit.seal() turns each into one audit.events row per changed row.';
comment on column audit.row_batches.id is 'Batch id (the events it becomes carry metadata.batch_id).';
comment on column audit.row_batches.occurred_at is 'Clock time of the statement; the events keep it.';
comment on column audit.row_batches.event is 'create (INSERT) or delete (DELETE).';
comment on column audit.row_batches.actor_id is 'The application user (auth.uid()); NULL = system or a DBA.';
comment on column audit.row_batches.db_role is 'The database login role (session_user).';
comment on column audit.row_batches.set_role is 'The role the transaction had switched to, NULL if none.';
comment on column audit.row_batches.session_id is 'The pgwarden session id of the request.';
comment on column audit.row_batches.correlation_id is 'The request''s correlation id.';
comment on column audit.row_batches.client_ip is 'The client address of the request.';
comment on column audit.row_batches.target_table is 'The audited table, schema-qualified.';
comment on column audit.row_batches.key_columns is 'The table''s primary-key columns when captured (the events'' target_id).';
comment on column audit.row_batches.row_count is 'How many rows the statement changed (the length of images).';
comment on column audit.row_batches.images is 'The redacted rows, a JSON array in statement order.';
comment on column audit.row_batches.txid is 'The writing transaction; its events keep it (audit.seal()''s horizon).';

create table if not exists audit.row_batch_expansions (
  batch_id    bigint primary key,
  events      integer not null,
  expanded_at timestamptz not null default pg_catalog.clock_timestamp()
);
comment on table audit.row_batch_expansions is
  'Which batches audit.seal() has materialised into audit.events (insert-only, one row per batch).';
comment on column audit.row_batch_expansions.batch_id is 'The materialised batch.';
comment on column audit.row_batch_expansions.events is 'How many events it became.';
comment on column audit.row_batch_expansions.expanded_at is 'When.';

select audit.guard_append_only('audit.row_batches');
select audit.guard_append_only('audit.row_batch_expansions');

-- audit.bulk_threshold(): 56_row_batch_code.sql.
