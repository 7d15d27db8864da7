-- Revert pgwarden:audit_write_path
-- Restores the code of audit_fast_path: the foreign key of audit.events to the catalog, the CLI
-- stamp trigger without its WHEN clause, the two-statement capture_rows() and audit.seal()
-- without its catalog check.
BEGIN;
alter table audit.events
  add constraint events_event_fkey foreign key (event) references audit.event_types (id);

drop trigger if exists events_cli_context on audit.events;
create trigger events_cli_context before insert on audit.events
  for each row execute function audit.stamp_cli_context();
comment on trigger events_cli_context on audit.events is
  'Stamps the OS user and CLI operation of a pgwarden command on the events it writes.';

create or replace function audit.capture_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
set plan_cache_mode = force_generic_plan
as $$
declare
  v_table text := tg_table_schema || '.' || tg_table_name;
  v_extra text[] := coalesce(tg_argv[0]::text[], '{}');
  v_pk text[] := coalesce(tg_argv[1]::text[], audit.primary_key_columns(tg_relid));
  v_pk1 text := case when pg_catalog.cardinality(v_pk) = 1 then v_pk[1] end;
  v_role text := nullif(pg_catalog.current_setting('role'), 'none');
  v_actor bigint := auth.uid();
  v_session bigint := auth.session_id();
  v_correlation text := pgwarden.correlation_id();
  v_ip inet := pgwarden.client_ip();
  v_count bigint;
  v_redact text[];
  v_images json;
begin
  if tg_op = 'INSERT' then
    select count(*) into v_count from new_rows;
  else
    select count(*) into v_count from old_rows;
  end if;
  if v_count = 0 then
    return null;
  elsif v_count > audit.bulk_threshold() then
    v_redact := audit.redacted_columns(tg_relid, v_extra);
    execute pg_catalog.format('select pg_catalog.json_agg(i) from (select %s from %I r) i',
                              audit.batch_select_list(tg_relid, v_redact),
                              case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
       into v_images;
    insert into audit.row_batches (event, actor_id, set_role, session_id, correlation_id,
                                   client_ip, target_table, key_columns, row_count, images)
    values (case tg_op when 'INSERT' then 'create' else 'delete' end, v_actor, v_role, v_session,
            v_correlation, v_ip, v_table, v_pk, v_count, v_images);
  elsif tg_op = 'INSERT' then
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, after)
    select 'create', v_actor, v_role, v_session, v_correlation, v_ip, v_table,
           case when v_pk1 is not null then r.image ->> v_pk1 else audit.row_id(r.image, v_pk) end,
           r.image || m.mask
      from (select pg_catalog.to_jsonb(nr.*) as image from new_rows nr) r
     cross join lateral (
       select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}'::jsonb) as mask
         from pg_catalog.jsonb_object_keys(r.image) k
        where k = any (v_extra) or k ~* audit.redaction_pattern()) m;
  else
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, before)
    select 'delete', v_actor, v_role, v_session, v_correlation, v_ip, v_table,
           case when v_pk1 is not null then r.image ->> v_pk1 else audit.row_id(r.image, v_pk) end,
           r.image || m.mask
      from (select pg_catalog.to_jsonb(orow.*) as image from old_rows orow) r
     cross join lateral (
       select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}'::jsonb) as mask
         from pg_catalog.jsonb_object_keys(r.image) k
        where k = any (v_extra) or k ~* audit.redaction_pattern()) m;
  end if;
  return null;
end
$$;
comment on function audit.capture_rows() is
  'Trigger (statement level, transition tables): one create or delete event per affected row, '
  'or one audit.row_batches row for a statement of more than audit.bulk_threshold() rows.';

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
  e audit.events;
begin
  if max_events is null or max_events < 1 then
    raise exception 'max_events must be a positive integer' using errcode = 'invalid_parameter_value';
  end if;
  -- one sealer at a time; writers never wait for it
  select * into strict v_state from audit.seal_state for update;
  -- bulk statements' batches become events first (55_row_batches.sql), so they are sealed now
  perform audit.expand_row_batches();
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

revoke execute on function audit.capture_rows(), audit.seal(integer) from public;
grant execute on function audit.seal(integer) to authenticator, pgw_administrator;
COMMIT;
