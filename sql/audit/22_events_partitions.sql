-- audit.events partitioned by month (state, created once by the sqitch change audit_partitions).
-- The table becomes a declarative RANGE partitioned table on occurred_at (UTC months). The rows
-- already written are not copied: the old table is attached as the partition audit.events_legacy,
-- covering everything before the first month with no row, after a matching CHECK constraint
-- has been added (so ATTACH skips its scan). The primary key becomes (id, occurred_at): a
-- partitioned table's unique keys include the partition key; ids still come from one identity,
-- which continues where the old one stopped. Monthly partitions audit.events_yYYYYmMM are created
-- ahead by audit.ensure_partitions() (the scheduled job audit_partitions, 62_retention_code.sql);
-- old ones leave through `pgwarden audit archive`, which records a row of audit.checkpoints.
-- What depended on the old table's row type (audit.canonical(), audit.link_hash(), the views)
-- is dropped by the deploy script before this file and created again after it. Doctrine:
-- docs/audit.md#retention. Tests: tests_sql/test_audit_partitions.sql.

alter table audit.events rename to events_legacy;
alter table audit.events_legacy rename constraint events_pkey to events_legacy_id_pkey;
alter index audit.events_occurred_at rename to events_legacy_occurred_at;
alter index audit.events_target rename to events_legacy_target;
alter index audit.events_actor rename to events_legacy_actor;
alter index audit.events_correlation rename to events_legacy_correlation;
alter index audit.events_session rename to events_legacy_session;
alter index audit.events_txid rename to events_legacy_txid;
drop trigger if exists events_cli_context on audit.events_legacy;
drop trigger if exists events_append_only on audit.events_legacy;
drop trigger if exists events_no_truncate on audit.events_legacy;

create table audit.events (
  id             bigint generated always as identity,
  occurred_at    timestamptz not null default pg_catalog.clock_timestamp(),
  event          text not null,
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
  -- the partition key is part of every unique key of a partitioned table
  constraint events_pkey primary key (id, occurred_at),
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
) partition by range (occurred_at);

create index events_occurred_at on audit.events using brin (occurred_at);
create index events_target on audit.events (target_table, target_id);
create index events_actor on audit.events (actor_id, id) where actor_id is not null;
create index events_correlation on audit.events (correlation_id) where correlation_id is not null;
create index events_session on audit.events (session_id) where session_id is not null;
create index events_txid on audit.events (txid);
-- seals and verify look events up by id alone
create index events_id on audit.events (id);

do $attach$
declare
  v_next bigint;
  v_upper timestamptz;
begin
  -- the identity goes on where the old one stopped (rolled-back ids stay unused)
  select case when s.is_called then s.last_value + 1 else s.last_value end
    into v_next from audit.events_id_seq s;
  v_next := greatest(v_next, (select coalesce(max(l.id), 0) + 1 from audit.events_legacy l));
  alter table audit.events_legacy alter column id drop identity;
  execute pg_catalog.format('alter table audit.events alter column id restart with %s', v_next);
  -- the identity sequence keeps its name (the old one's is free now)
  execute pg_catalog.format('alter sequence %s rename to events_id_seq',
                            pg_catalog.pg_get_serial_sequence('audit.events', 'id'));
  -- the legacy partition ends at the first UTC month after its newest row (this month's start
  -- when it is empty); the CHECK lets ATTACH skip its scan
  select coalesce(pg_catalog.date_trunc('month', max(l.occurred_at), 'UTC') + interval '1 month',
                  pg_catalog.date_trunc('month', pg_catalog.now(), 'UTC'))
    into v_upper from audit.events_legacy l;
  execute pg_catalog.format(
    'alter table audit.events_legacy add constraint events_legacy_range check (occurred_at < %L)',
    v_upper);
  alter table audit.events_legacy drop constraint events_legacy_id_pkey;
  alter table audit.events_legacy
    add constraint events_legacy_pkey primary key (id, occurred_at);
  create index events_legacy_id on audit.events_legacy (id);
  execute pg_catalog.format(
    'alter table audit.events attach partition audit.events_legacy '
    'for values from (minvalue) to (%L)', v_upper);
  alter table audit.events_legacy drop constraint events_legacy_range;
end
$attach$;

comment on table audit.events is
  'pgwarden audit events: one row per event, insert-only (guarded), hash-chained by audit.seal(); '
  'partitioned by UTC month of occurred_at, old months archived by pgwarden audit archive.';
comment on table audit.events_legacy is
  'The audit events written before audit.events was partitioned (one partition, up to its bound).';
comment on column audit.events.id is 'Event id, assigned at insert (ids of rolled-back work leave gaps).';
comment on column audit.events.occurred_at is
  'Clock time of the insert (clock_timestamp()); the partition key (one partition per UTC month).';
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

-- Where the verified chain starts: one row per archived partition. audit.verify() starts after
-- the newest (seq, hash); the archive file holds the links before it.
create table audit.checkpoints (
  id             bigint generated always as identity primary key,
  seq            bigint not null,
  hash           bytea not null,
  first_seq      bigint not null,
  partition_name text not null,
  lower_bound    timestamptz,
  upper_bound    timestamptz not null,
  first_event_id bigint,
  last_event_id  bigint,
  events         bigint not null,
  file_name      text not null,
  file_sha256    text not null,
  manifest       jsonb not null,
  created_at     timestamptz not null default pg_catalog.clock_timestamp(),
  created_by     text not null default session_user,
  -- the segment (first_seq - 1, seq] of the chain; empty when the partition held no event
  constraint checkpoints_segment check (first_seq >= 1 and seq >= first_seq - 1),
  -- a link is a sha256 digest
  constraint checkpoints_hash_sha256 check (pg_catalog.octet_length(hash) = 32),
  -- the archive file's digest, lowercase hex
  constraint checkpoints_file_sha256 check (file_sha256 ~ '^[0-9a-f]{64}$'),
  -- the manifest is a JSON object
  constraint checkpoints_manifest_object check (pg_catalog.jsonb_typeof(manifest) = 'object')
);
comment on table audit.checkpoints is
  'One row per archived partition: the last link (seq, hash) before the cut, from which '
  'audit.verify() starts, and the archive file''s name, SHA-256 and manifest.';
comment on column audit.checkpoints.id is 'Checkpoint id; the newest has the highest.';
comment on column audit.checkpoints.seq is 'The last chain position the archive covers.';
comment on column audit.checkpoints.hash is 'The link at seq (the genesis hash when nothing was ever sealed).';
comment on column audit.checkpoints.first_seq is 'The first chain position the archive covers.';
comment on column audit.checkpoints.partition_name is 'The partition archived, detached and dropped.';
comment on column audit.checkpoints.lower_bound is 'Its lower bound (NULL for MINVALUE).';
comment on column audit.checkpoints.upper_bound is 'Its upper bound (exclusive).';
comment on column audit.checkpoints.first_event_id is 'The lowest event id of the archive.';
comment on column audit.checkpoints.last_event_id is 'The highest event id of the archive.';
comment on column audit.checkpoints.events is 'Events (links) in the archive file.';
comment on column audit.checkpoints.file_name is 'The archive file''s name as written.';
comment on column audit.checkpoints.file_sha256 is 'SHA-256 of the archive file (hex).';
comment on column audit.checkpoints.manifest is 'The manifest written next to the file.';
comment on column audit.checkpoints.created_at is 'When the partition was archived.';
comment on column audit.checkpoints.created_by is 'The login role that archived it.';

select audit.guard_append_only('audit.checkpoints');
revoke all on audit.checkpoints from public;
grant select on audit.checkpoints to pgw_administrator;

insert into audit.event_types (id, category, description, detachable) values
  ('audit_archived', 'audit',
   'Old audit partitions were archived to files, checkpointed and dropped.', false)
on conflict (id) do nothing;
