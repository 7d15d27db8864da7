-- Code of the hash chain (state: 60_chain.sql): genesis, the canonical form of an event, the link
-- hash, audit.seal() and audit.verify(). Tests: tests_sql/test_audit_chain.sql.

create or replace function audit.genesis()
returns bytea
language sql
immutable
parallel safe
as $$
  select pg_catalog.sha256(pg_catalog.convert_to('pgwarden audit chain v1', 'UTF8'))
$$;
comment on function audit.genesis() is 'The hash that the first link covers (link 0).';

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
  -- where the chain starts: after the newest checkpoint (an archived partition), else genesis
  v_from bigint := 0;
  v_anchor bytea := audit.genesis();
  v_cp_hash bytea;
begin
  select * into strict v_state from audit.seal_state;
  -- audit.checkpoints exists from the change audit_partitions on (62_retention_code.sql)
  if pg_catalog.to_regclass('audit.checkpoints') is not null then
    execute 'select c.seq, c.hash from audit.checkpoints c order by c.id desc limit 1'
      into v_from, v_anchor;
    v_from := coalesce(v_from, 0);
    v_anchor := coalesce(v_anchor, audit.genesis());
    -- the links are kept when their events are archived: the checkpoint must be one of them
    select s.hash into v_cp_hash from audit.seals s where s.seq = v_from;
    if v_from > 0 and v_cp_hash is distinct from v_anchor then
      ok := false;
      checked := 0;
      first_bad_seq := v_from;
      problem := 'the newest checkpoint (link ' || v_from || ') does not match its link';
      head := pg_catalog.encode(v_state.head, 'hex');
      unsealed := null;
      return next;
      return;
    end if;
  end if;
  select count(*) into checked from audit.seals s where s.seq > v_from;
  select l.seq, l.event_id, l.problem into first_bad_seq, first_bad_event_id, problem
    from (select s.seq, s.event_id,
                 case
                   when s.seq <> coalesce(pg_catalog.lag(s.seq) over w, v_from) + 1 then
                     'link ' || (coalesce(pg_catalog.lag(s.seq) over w, v_from) + 1) || ' is missing'
                   when e.id is null then 'event ' || s.event_id || ' is missing'
                   when s.hash <> audit.link_hash(coalesce(pg_catalog.lag(s.hash) over w,
                                                           v_anchor), e) then
                     'event ' || s.event_id || ' or its link was altered'
                 end as problem
            from audit.seals s left join audit.events e on e.id = s.event_id
           where s.seq > v_from
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
  'Check the chain from the newest checkpoint (genesis before any archive): ok, links checked, '
  'the first broken or missing link (seq, event id, problem), the head hash, and how many '
  'committed events are not sealed yet (the window; rows of bulk batches not materialised yet '
  'included).';
