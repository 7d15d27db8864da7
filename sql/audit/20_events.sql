-- The events: one row per event, insert-only. Rows are written by audit.record(),
-- audit.record_security_event() and the row triggers of audit.enable(); nothing updates or
-- deletes them (30_guards.sql). The hash chain over them lives in audit.seals (60_chain.sql).

create table if not exists audit.events (
  id             bigint generated always as identity primary key,
  occurred_at    timestamptz not null default pg_catalog.clock_timestamp(),
  event          text not null references audit.event_types (id),
  actor_id       bigint,
  db_role        text not null default session_user,
  set_role       text,
  session_id     bigint,
  correlation_id text,
  client_ip      inet,
  target_table   text,
  target_id      text,
  summary        text not null default '',
  metadata       jsonb not null default '{}'::jsonb,
  before         jsonb,
  after          jsonb,
  txid           xid8 not null default pg_catalog.pg_current_xact_id(),
  -- metadata is always a JSON object (reserved keys: docs/audit.md)
  constraint events_metadata_object check (pg_catalog.jsonb_typeof(metadata) = 'object'),
  -- before/after, when present, are row images (JSON objects)
  constraint events_images_objects check (
    (before is null or pg_catalog.jsonb_typeof(before) = 'object')
    and (after is null or pg_catalog.jsonb_typeof(after) = 'object')),
  -- a named target is never the empty string
  constraint events_target_table_nonempty check (target_table is null or target_table <> ''),
  -- a summary is short; details go into metadata
  constraint events_summary_length check (pg_catalog.length(summary) <= 1000)
);

create index if not exists events_occurred_at on audit.events using brin (occurred_at);
create index if not exists events_target on audit.events (target_table, target_id);
create index if not exists events_actor on audit.events (actor_id, id) where actor_id is not null;
create index if not exists events_correlation on audit.events (correlation_id)
  where correlation_id is not null;
create index if not exists events_session on audit.events (session_id) where session_id is not null;
create index if not exists events_txid on audit.events (txid);

comment on table audit.events is
  'pgwarden audit events: one row per event, insert-only (guarded), hash-chained by audit.seal().';
comment on column audit.events.id is 'Event id, assigned at insert (ids of rolled-back work leave gaps).';
comment on column audit.events.occurred_at is 'Clock time of the insert (clock_timestamp()).';
comment on column audit.events.event is 'The event identifier, from audit.event_types.';
comment on column audit.events.actor_id is 'The application user (auth.uid()) who acted; NULL = system or a DBA.';
comment on column audit.events.db_role is 'The database login role (session_user): a DBA''s psql edit is attributed here.';
comment on column audit.events.set_role is 'The role the transaction had switched to (SET ROLE), e.g. pgw_staff; NULL if none.';
comment on column audit.events.session_id is 'The pgwarden session id of the request (auth.session_id()).';
comment on column audit.events.correlation_id is 'The request''s correlation id (X-Correlation-Id).';
comment on column audit.events.client_ip is 'The client address of the request.';
comment on column audit.events.target_table is 'The table or resource acted on, e.g. auth.users.';
comment on column audit.events.target_id is 'The id of the object acted on, as text (primary key; composite keys as a JSON array).';
comment on column audit.events.summary is 'A short human summary.';
comment on column audit.events.metadata is 'Event details (JSON object); row events carry metadata.changed.';
comment on column audit.events.before is 'Row events: the redacted row before the change.';
comment on column audit.events.after is 'Row events: the redacted row after the change.';
comment on column audit.events.txid is 'The writing transaction (64-bit xid): lets audit.seal() find late commits.';
