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

create or replace function audit.genesis()
returns bytea
language sql
immutable
parallel safe
as $$
  select pg_catalog.sha256(pg_catalog.convert_to('pgwarden audit chain v1', 'UTF8'))
$$;
comment on function audit.genesis() is 'The hash that the first link covers (link 0).';

insert into audit.seal_state (singleton, head) values (true, audit.genesis())
on conflict (singleton) do nothing;

create or replace function audit.canonical(e audit.events)
returns text
language sql
stable
parallel safe
as $$
  select pg_catalog.jsonb_build_array(
    e.id, extract(epoch from e.occurred_at), e.event, e.actor_id, e.db_role, e.set_role,
    e.session_id, e.correlation_id, e.client_ip::text, e.target_table, e.target_id, e.summary,
    e.metadata, e.before, e.after, e.txid::text)::text
$$;
comment on function audit.canonical(audit.events) is
  'The canonical text of an event that its link covers (every column, time zone independent).';

create or replace function audit.link_hash(previous bytea, e audit.events)
returns bytea
language sql
stable
parallel safe
as $$
  select pg_catalog.sha256(previous || pg_catalog.convert_to(audit.canonical(e), 'UTF8'))
$$;
comment on function audit.link_hash(bytea, audit.events) is
  'The link of an event: sha256(previous link || canonical event).';

create or replace function audit.seal(max_events integer default 100000)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_state audit.seal_state;
  v_horizon xid8 := pg_catalog.pg_snapshot_xmin(pg_catalog.pg_current_snapshot());
  v_seq bigint;
  v_head bytea;
  v_count bigint := 0;
  v_seqs bigint[] := '{}';
  v_ids bigint[] := '{}';
  v_hashes bytea[] := '{}';
  v_unknown audit.events;
  e audit.events;
begin
  if max_events is null or max_events < 1 then
    raise exception 'max_events must be a positive integer' using errcode = 'invalid_parameter_value';
  end if;
  -- one sealer at a time; writers never wait for it
  select * into strict v_state from audit.seal_state for update;
  -- bulk statements' batches become events first (55_row_batches.sql), so they are sealed now
  perform audit.expand_row_batches();
  -- the catalog is checked here rather than by a foreign key on every writer's insert
  -- (21_events_write_path.sql): an event naming no catalog identifier is never linked
  select * into v_unknown from audit.events ev
   where ev.txid >= v_state.horizon
     and not exists (select 1 from audit.seals s where s.event_id = ev.id)
     and not exists (select 1 from audit.event_types t where t.id = ev.event)
   order by ev.id
   limit 1;
  if v_unknown.id is not null then
    raise exception 'audit event % names "%", which is not in audit.event_types',
      v_unknown.id, v_unknown.event
      using errcode = 'foreign_key_violation',
            hint = 'events are written by audit.record() and the row triggers; see docs/audit.md';
  end if;
  v_seq := v_state.last_seq;
  v_head := v_state.head;
  -- the statement's snapshot is newer than v_horizon: whatever it cannot see yet was written by
  -- a transaction with txid >= v_horizon, so the next run finds it from there
  for e in
    select * from audit.events ev
     where ev.txid >= v_state.horizon
       and not exists (select 1 from audit.seals s where s.event_id = ev.id)
     order by ev.id
     limit max_events
  loop
    v_seq := v_seq + 1;
    v_head := audit.link_hash(v_head, e);
    v_seqs := v_seqs || v_seq;
    v_ids := v_ids || e.id;
    v_hashes := v_hashes || v_head;
    v_count := v_count + 1;
    if v_count % 5000 = 0 then
      -- multi-argument unnest is special syntax and cannot be schema-qualified
      insert into audit.seals (seq, event_id, hash)
      select * from unnest(v_seqs, v_ids, v_hashes);
      v_seqs := '{}';
      v_ids := '{}';
      v_hashes := '{}';
    end if;
  end loop;
  insert into audit.seals (seq, event_id, hash)
  select * from unnest(v_seqs, v_ids, v_hashes);
  update audit.seal_state
     set last_seq = v_seq, head = v_head, sealed_at = pg_catalog.clock_timestamp(),
         horizon = case when v_count < max_events then v_horizon else v_state.horizon end;
  return v_count;
end
$$;
comment on function audit.seal(integer) is
  'Append one link per committed, unsealed event (in id order, at most max_events per call); '
  'returns how many were sealed. Serialised among sealers, never blocks writers.';

create or replace function audit.verify()
returns table (ok boolean, checked bigint, first_bad_seq bigint, first_bad_event_id bigint,
               problem text, head text, unsealed bigint)
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_state audit.seal_state;
  v_last audit.seals;
begin
  select * into strict v_state from audit.seal_state;
  select count(*) into checked from audit.seals;
  select l.seq, l.event_id, l.problem into first_bad_seq, first_bad_event_id, problem
    from (select s.seq, s.event_id,
                 case
                   when s.seq <> coalesce(pg_catalog.lag(s.seq) over w, 0) + 1 then
                     'link ' || (coalesce(pg_catalog.lag(s.seq) over w, 0) + 1) || ' is missing'
                   when e.id is null then 'event ' || s.event_id || ' is missing'
                   when s.hash <> audit.link_hash(coalesce(pg_catalog.lag(s.hash) over w,
                                                           audit.genesis()), e) then
                     'event ' || s.event_id || ' or its link was altered'
                 end as problem
            from audit.seals s left join audit.events e on e.id = s.event_id
          window w as (order by s.seq)) l
   where l.problem is not null
   order by l.seq
   limit 1;
  if problem is null then
    select * into v_last from audit.seals order by seq desc limit 1;
    if coalesce(v_last.seq, 0) <> v_state.last_seq
       or coalesce(v_last.hash, audit.genesis()) <> v_state.head then
      first_bad_seq := coalesce(v_last.seq, 0) + 1;
      problem := 'the chain ends at link ' || coalesce(v_last.seq, 0) || ' but the sealer wrote '
                 || v_state.last_seq || ' links (truncated)';
    end if;
  end if;
  ok := problem is null;
  head := pg_catalog.encode(v_state.head, 'hex');
  select count(*) into unsealed from audit.events ev
   where ev.txid >= v_state.horizon
     and not exists (select 1 from audit.seals s where s.event_id = ev.id);
  unsealed := unsealed + (select coalesce(sum(b.row_count), 0) from audit.pending_batches() b);
  return next;
end
$$;
comment on function audit.verify() is
  'Check the whole chain: ok, links checked, the first broken or missing link (seq, event id, '
  'problem), the head hash, and how many committed events are not sealed yet (the window; rows '
  'of bulk batches not materialised yet included).';

-- The chain tables are insert-only for everyone but the sealer's own state row.
select audit.guard_append_only('audit.seals');
select audit.guard_append_only('audit.seal_state', allow_update => true);
