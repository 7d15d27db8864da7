-- Tamper evidence: a hash chain over the events, kept in its own insert-only table so that
-- audit.events stays truly insert-only. Writers never touch it: events get their ids at insert,
-- and audit.seal() (run after commit by `pgwarden audit seal`, the app's background sealer or
-- cron) appends one link per committed, not yet sealed event, in id order within each run:
--
--   link(n) = sha256(link(n-1) || canonical(event))      link(0) = audit.genesis()
--
-- The window: an event is tamper-evident once sealed; until then (between its commit and the
-- next seal) a superuser could remove it unnoticed. The same holds for the batches of bulk
-- statements, which audit.seal() materialises into events before it links them. Tests: tests_sql/test_audit_chain.sql.

create table if not exists audit.seals (
  seq       bigint primary key,
  event_id  bigint not null,
  hash      bytea not null,
  sealed_at timestamptz not null default pg_catalog.clock_timestamp(),
  -- chain positions start at 1 and have no holes (audit.verify() reports a hole as a missing link)
  constraint seals_seq_positive check (seq > 0),
  -- an event is sealed exactly once
  constraint seals_event_once unique (event_id),
  -- a link is a sha256 digest
  constraint seals_hash_sha256 check (pg_catalog.octet_length(hash) = 32)
);
comment on table audit.seals is
  'The hash chain over audit.events: link seq covers link seq-1 and the canonical content of event_id.';
comment on column audit.seals.seq is 'Position in the chain, 1, 2, 3, … without holes.';
comment on column audit.seals.event_id is 'The sealed event (no foreign key, so that a removed event shows as a missing link).';
comment on column audit.seals.hash is 'sha256(previous link || audit.canonical(event)).';
comment on column audit.seals.sealed_at is 'When the link was appended.';

create table if not exists audit.seal_state (
  singleton boolean primary key default true,
  last_seq  bigint not null default 0,
  head      bytea not null,
  horizon   xid8 not null default '0'::xid8,
  sealed_at timestamptz,
  -- exactly one row
  constraint seal_state_singleton check (singleton)
);
comment on table audit.seal_state is
  'The sealer''s position: last link, head hash, and the transaction horizon below which every event is sealed.';
comment on column audit.seal_state.singleton is 'Always true: the table holds one row.';
comment on column audit.seal_state.last_seq is 'The last link''s position (0 before the first seal).';
comment on column audit.seal_state.head is 'The last link''s hash (the genesis hash before the first seal).';
comment on column audit.seal_state.horizon is
  'Every event not yet sealed was written by a transaction with txid >= horizon.';
comment on column audit.seal_state.sealed_at is 'When audit.seal() last ran.';

-- head: audit.genesis() (60_chain_code.sql), the hash of 'pgwarden audit chain v1'
insert into audit.seal_state (singleton, head)
values (true, pg_catalog.sha256(pg_catalog.convert_to('pgwarden audit chain v1', 'UTF8')))
on conflict (singleton) do nothing;

-- The chain tables are insert-only for everyone but the sealer's own state row.
select audit.guard_append_only('audit.seals');
select audit.guard_append_only('audit.seal_state', allow_update => true);
