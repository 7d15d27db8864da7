-- Revert pgwarden:audit_fast_path
-- Materialises every pending batch first (so that no UPDATE batch's old rows are lost), then
-- restores the code of @v0.1.0 (sql/audit/50_row_audit.sql, 80_views.sql, audit.bulk_threshold()
-- and audit.expand_row_batches() as released), drops this change's functions, columns and
-- constraint, and attaches every audited table's triggers again with their one argument.
BEGIN;
select audit.expand_row_batches();

-- Views for DBAs and the admin: plain SQL over the events. security_invoker, so the reader's
-- own privileges apply (administrators and the owner). Ready-to-run queries: docs/audit-queries.md.

create or replace view audit.authority_events with (security_invoker = true) as
select e.id, e.occurred_at, e.event, t.category, e.actor_id, e.db_role, e.set_role, e.session_id,
       e.correlation_id, e.client_ip, e.target_table, e.target_id, e.summary, e.metadata
  from audit.events e
  join audit.event_types t on t.id = e.event
 where t.category <> 'row';
comment on view audit.authority_events is
  'Every non-row event (accounts, credentials, sessions, access, the audit itself), with its category.';

create or replace view audit.row_history with (security_invoker = true) as
select e.id, e.occurred_at, e.target_table, e.target_id, e.event, e.actor_id, e.db_role,
       e.set_role, e.correlation_id,
       coalesce(array(select pg_catalog.jsonb_array_elements_text(e.metadata -> 'changed')),
                '{}') as changed,
       e.before, e.after
  from audit.events e
 where e.event in ('create', 'update', 'delete', 'table_truncated')
union all
select null, b.occurred_at, b.target_table, r.target_id, b.event, b.actor_id, b.db_role,
       b.set_role, b.correlation_id, '{}', r.before, r.after
  from audit.pending_batches() b
 cross join lateral audit.batch_rows(b) r;
comment on view audit.row_history is
  'Row events of audited tables: who changed which row (target_table, target_id), when, and the '
  'redacted before/after. Rows of a bulk statement not yet materialised by audit.seal() show '
  'with a NULL id.';

create or replace view audit.chain_status with (security_invoker = true) as
select s.last_seq as sealed_links, pg_catalog.encode(s.head, 'hex') as head, s.sealed_at,
       u.unsealed, u.oldest_unsealed_at
  from audit.seal_state s
  cross join lateral (
    select coalesce(pg_catalog.sum(w.n), 0)::bigint as unsealed,
           pg_catalog.min(w.at) as oldest_unsealed_at
      from (select 1 as n, ev.occurred_at as at
              from audit.events ev
             where ev.txid >= s.horizon
               and not exists (select 1 from audit.seals l where l.event_id = ev.id)
            union all
            select b.row_count, b.occurred_at from audit.pending_batches() b) w) u;
comment on view audit.chain_status is
  'The hash chain: links sealed, head hash, last seal time, and the window (committed events '
  'not sealed yet, rows of pending bulk batches included).';

create or replace view audit.audited_tables with (security_invoker = true) as
select t.tgrelid::regclass as audited_table,
       audit.enabled_redaction(t.tgrelid) as redact,
       audit.redacted_columns(t.tgrelid, audit.enabled_redaction(t.tgrelid)) as redacted_columns
  from pg_catalog.pg_trigger t
 where t.tgname = 'audit_row_insert';
comment on view audit.audited_tables is
  'Tables with row audit enabled, the explicit redaction list, and every column redacted today.';

create or replace function audit.expand_row_batches()
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_events bigint;
begin
  -- the sealer's lock: one expansion at a time, so a batch is materialised exactly once
  perform 1 from audit.seal_state for update;
  with pending as materialized (select * from audit.pending_batches()),
       marked as (insert into audit.row_batch_expansions (batch_id, events)
                  select p.id, p.row_count from pending p)
  insert into audit.events (occurred_at, event, actor_id, db_role, set_role, session_id,
                            correlation_id, client_ip, target_table, target_id, metadata,
                            before, after, txid)
  select b.occurred_at, b.event, b.actor_id, b.db_role, b.set_role, b.session_id,
         b.correlation_id, b.client_ip, b.target_table, r.target_id,
         pg_catalog.jsonb_build_object('batch_id', b.id), r.before, r.after, b.txid
    from pending b
   cross join lateral audit.batch_rows(b::audit.row_batches) r
   order by b.id, r.ordinal;
  get diagnostics v_events = row_count;
  return v_events;
end
$$;
comment on function audit.expand_row_batches() is
  'Materialise every committed, pending batch into audit.events (one event per row, in batch and '
  'row order, with metadata.batch_id); returns the events written. Called by audit.seal().'
  ' Serialised with the sealer by its lock.';

-- Row audit for any table. audit.enable(table, redact) attaches the generic triggers:
--   audit_row_insert    AFTER INSERT    FOR EACH STATEMENT, transition table new_rows
--   audit_row_delete    AFTER DELETE    FOR EACH STATEMENT, transition table old_rows
--   audit_row_update    AFTER UPDATE    FOR EACH STATEMENT, transition tables old_rows/new_rows,
--                                       rows paired by primary key (FOR EACH ROW on a table
--                                       without one); unchanged rows write nothing
--   audit_row_truncate  AFTER TRUNCATE  FOR EACH STATEMENT
-- Statement-level capture writes all of a statement's events with one INSERT … SELECT, with no
-- PL/pgSQL per row (cost: bench/audit_insert.py, docs/audit.md).
-- Each event carries the redacted row images: the listed columns and every column whose name
-- looks like a password, secret, token, hash or key are replaced by "<redacted>".
-- The small SQL helpers below are not SECURITY DEFINER and qualify every name; they pin no
-- search_path so that the planner can inline them (a SET clause forbids inlining and cost
-- several µs per row). Inside the definer triggers they run with search_path = ''.
-- Tests: tests_sql/test_audit_rows.sql.

create or replace function audit.redaction_pattern()
returns text
language sql
immutable
parallel safe
as $$
  select '(passw|secret|token|hash|api_?key|private_?key|credential)'::text
$$;
comment on function audit.redaction_pattern() is
  'The case-insensitive pattern of column names whose values row events always redact.';

create or replace function audit.redacted_columns(target regclass, extra text[])
returns text[]
language sql
stable
as $$
  select coalesce(pg_catalog.array_agg(a.attname::text order by a.attnum), '{}')
    from pg_catalog.pg_attribute a
   where a.attrelid = target and a.attnum > 0 and not a.attisdropped
     and (a.attname::text = any (coalesce(extra, '{}'))
          or a.attname::text ~* audit.redaction_pattern())
$$;
comment on function audit.redacted_columns(regclass, text[]) is
  'The columns of a table whose values row events replace by "<redacted>": the listed ones and '
  'every column named like a password, secret, token, hash, API or private key, or credential.';

create or replace function audit.primary_key_columns(target regclass)
returns text[]
language sql
stable
as $$
  select coalesce(pg_catalog.array_agg(a.attname::text order by k.ord), '{}')
    from pg_catalog.pg_index i
    cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k(attnum, ord)
    join pg_catalog.pg_attribute a on a.attrelid = i.indrelid and a.attnum = k.attnum
   where i.indrelid = target and i.indisprimary
$$;
comment on function audit.primary_key_columns(regclass) is
  'The primary-key columns of a table, in key order (empty when it has none).';

create or replace function audit.row_id(image jsonb, pk text[])
returns text
language sql
immutable
parallel safe
as $$
  select case pg_catalog.cardinality(pk)
           when 0 then null
           when 1 then image ->> pk[1]
           else (select pg_catalog.jsonb_agg(image -> c order by o)
                   from pg_catalog.unnest(pk) with ordinality as u(c, o))::text
         end
$$;
comment on function audit.row_id(jsonb, text[]) is
  'The target id of a row image: its primary key as text (a JSON array for composite keys).';

create or replace function audit.redaction_mask(cols text[])
returns jsonb
language sql
immutable
parallel safe
as $$
  select coalesce(pg_catalog.jsonb_object_agg(c, '<redacted>'), '{}'::jsonb)
    from pg_catalog.unnest(cols) as c
$$;
comment on function audit.redaction_mask(text[]) is
  'A JSON object mapping each redacted column to the marker "<redacted>".';

-- Statement-level capture of INSERT and DELETE: one INSERT … SELECT over the transition table,
-- or, for a statement of more than audit.bulk_threshold() rows, one batch (55_row_batches.sql).
create or replace function audit.capture_rows()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_table text := tg_table_schema || '.' || tg_table_name;
  v_rows_name text := case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end;
  v_redact text[] := audit.redacted_columns(tg_relid, tg_argv[0]::text[]);
  v_mask jsonb := audit.redaction_mask(v_redact);
  v_pk text[] := audit.primary_key_columns(tg_relid);
  v_pk1 text := case when pg_catalog.cardinality(v_pk) = 1 then v_pk[1] end;
  v_role text := nullif(pg_catalog.current_setting('role'), 'none');
  v_actor bigint := auth.uid();
  v_session bigint := auth.session_id();
  v_correlation text := pgwarden.correlation_id();
  v_ip inet := pgwarden.client_ip();
  v_count bigint;
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
    execute pg_catalog.format('select pg_catalog.json_agg(i) from (select %s from %I r) i',
                              audit.batch_select_list(tg_relid, v_redact), v_rows_name)
       into v_images;
    insert into audit.row_batches (event, actor_id, set_role, session_id, correlation_id,
                                   client_ip, target_table, key_columns, row_count, images)
    values (case tg_op when 'INSERT' then 'create' else 'delete' end, v_actor, v_role, v_session,
            v_correlation, v_ip, v_table, v_pk, v_count,
            v_images);
  elsif tg_op = 'INSERT' then
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, after)
    select 'create', v_actor, v_role, v_session, v_correlation, v_ip, v_table,
           case when v_pk1 is not null then r.image ->> v_pk1 else audit.row_id(r.image, v_pk) end,
           case when v_mask = '{}' then r.image else r.image || v_mask end
      from (select pg_catalog.to_jsonb(n) as image from new_rows n) r;
  else
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, before)
    select 'delete', v_actor, v_role, v_session, v_correlation, v_ip, v_table,
           case when v_pk1 is not null then r.image ->> v_pk1 else audit.row_id(r.image, v_pk) end,
           case when v_mask = '{}' then r.image else r.image || v_mask end
      from (select pg_catalog.to_jsonb(o) as image from old_rows o) r;
  end if;
  return null;
end
$$;
comment on function audit.capture_rows() is
  'Trigger (statement level, transition tables): one create or delete event per affected row, '
  'or one audit.row_batches row for a statement of more than audit.bulk_threshold() rows.';

-- The select list that turns a transition table row r into its redacted image: r.* when nothing
-- is redacted, else every column with a redacted one replaced by the marker. The names come from
-- the catalog and are quoted. (The capture trigger runs the query itself: a transition table is
-- visible to the trigger function's own statements only.)
create or replace function audit.batch_select_list(target regclass, redact text[])
returns text
language sql
stable
as $$
  select case when pg_catalog.cardinality(redact) = 0 then 'r.*'
              else (select pg_catalog.string_agg(
                             case when a.attname::text = any (redact)
                                  then pg_catalog.format('%L::text as %I', '<redacted>', a.attname)
                                  else pg_catalog.format('r.%I', a.attname) end,
                             ', ' order by a.attnum)
                      from pg_catalog.pg_attribute a
                     where a.attrelid = target and a.attnum > 0 and not a.attisdropped)
         end
$$;
comment on function audit.batch_select_list(regclass, text[]) is
  'Internal to audit.capture_rows(): the select list of a table''s redacted row image.';

-- Statement-level capture of UPDATE (tables with a primary key): old and new rows are paired by
-- their key; a pair whose images are equal writes nothing. A statement that changes keys leaves
-- rows that do not pair: exactly one such old and one such new row are one update (with
-- metadata.previous_id); several are recorded per key, each with metadata.key_changed, because
-- nothing tells which old row became which new one.
create or replace function audit.capture_updates()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_table text := tg_table_schema || '.' || tg_table_name;
  v_redact text[] := audit.redacted_columns(tg_relid, tg_argv[0]::text[]);
  v_mask jsonb := audit.redaction_mask(v_redact);
  v_pk text[] := audit.primary_key_columns(tg_relid);
  v_pk1 text := case when pg_catalog.cardinality(v_pk) = 1 then v_pk[1] end;
  v_role text := nullif(pg_catalog.current_setting('role'), 'none');
  v_actor bigint := auth.uid();
  v_session bigint := auth.session_id();
  v_correlation text := pgwarden.correlation_id();
  v_ip inet := pgwarden.client_ip();
begin
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, target_id, metadata, before, after)
  with o as (select pg_catalog.to_jsonb(x) as image from old_rows x),
       n as (select pg_catalog.to_jsonb(y) as image from new_rows y),
       ok as (select o.image, case when v_pk1 is not null then o.image ->> v_pk1
                                   else audit.row_id(o.image, v_pk) end as key from o),
       nk as (select n.image, case when v_pk1 is not null then n.image ->> v_pk1
                                   else audit.row_id(n.image, v_pk) end as key from n),
       p as materialized (
         select ok.image as before, nk.image as after, ok.key as old_key, nk.key as new_key
           from ok full join nk on nk.key = ok.key),
       lone as (select count(*) filter (where p.new_key is null) as old_lone,
                       count(*) filter (where p.old_key is null) as new_lone from p),
       changes as (
         select p.before, p.after, p.new_key as key, null::text as previous_id, null::boolean as moved
           from p where p.old_key is not null and p.new_key is not null and p.before <> p.after
         union all
         select a.before, b.after, b.new_key, a.old_key, null
           from p a, p b, lone
          where a.new_key is null and b.old_key is null and lone.old_lone = 1 and lone.new_lone = 1
         union all
         select p.before, p.after, coalesce(p.new_key, p.old_key), null, true
           from p, lone
          where (p.new_key is null or p.old_key is null)
            and not (lone.old_lone = 1 and lone.new_lone = 1))
  select 'update', v_actor, v_role, v_session, v_correlation, v_ip, v_table, c.key,
         pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'changed', (select pg_catalog.jsonb_agg(e.key order by e.key)
                         from pg_catalog.jsonb_each(c.after) e
                        where c.before is not null and e.value is distinct from c.before -> e.key),
           'previous_id', c.previous_id, 'key_changed', c.moved)),
         c.before || v_mask, c.after || v_mask
    from changes c;
  return null;
end
$$;
comment on function audit.capture_updates() is
  'Trigger (statement level, transition tables, tables with a primary key): one update event per '
  'changed row, old and new paired by key; nothing for rows left unchanged.';

-- Row-level capture of UPDATE for tables without a primary key (nothing to pair rows by). It
-- redacts by the row's keys, so that no catalog query runs per row.
create or replace function audit.capture_update()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_old jsonb := pg_catalog.to_jsonb(old);
  v_new jsonb := pg_catalog.to_jsonb(new);
  v_mask jsonb;
begin
  if v_old = v_new then
    return null;
  end if;
  select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}') into v_mask
    from pg_catalog.jsonb_object_keys(v_new) k
   where k = any (tg_argv[0]::text[]) or k ~* audit.redaction_pattern();
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, metadata, before, after)
  values ('update', auth.uid(), nullif(pg_catalog.current_setting('role'), 'none'),
          auth.session_id(), pgwarden.correlation_id(), pgwarden.client_ip(),
          tg_table_schema || '.' || tg_table_name,
          pg_catalog.jsonb_build_object('changed',
            (select pg_catalog.jsonb_agg(e.key order by e.key) from pg_catalog.jsonb_each(v_new) e
              where e.value is distinct from v_old -> e.key)),
          v_old || v_mask, v_new || v_mask);
  return null;
end
$$;
comment on function audit.capture_update() is
  'Trigger (row level, tables without a primary key): one update event with the redacted '
  'before/after and metadata.changed; nothing when the row is unchanged.';

create or replace function audit.capture_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, summary)
  values ('table_truncated', auth.uid(), nullif(pg_catalog.current_setting('role'), 'none'),
          auth.session_id(), pgwarden.correlation_id(), pgwarden.client_ip(),
          tg_table_schema || '.' || tg_table_name, 'all rows removed by TRUNCATE');
  return null;
end
$$;
comment on function audit.capture_truncate() is
  'Trigger (statement level): one table_truncated event per TRUNCATE of an audited table.';

-- The redaction list an audited table was enabled with (NULL when not audited).
create or replace function audit.enabled_redaction(target regclass)
returns text[]
language sql
stable
as $$
  select pg_catalog.split_part(pg_catalog.encode(t.tgargs, 'escape'), '\000', 1)::text[]
    from pg_catalog.pg_trigger t
   where t.tgrelid = target and t.tgname = 'audit_row_insert'
$$;
comment on function audit.enabled_redaction(regclass) is
  'The explicit redaction list of an audited table, or NULL when row audit is not enabled on it.';

create or replace function audit.enable(target regclass, redact text[] default '{}')
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_kind "char";
  v_table text;
  v_redact text[];
  v_previous text[] := audit.enabled_redaction(target);
  v_missing text;
begin
  select c.relkind, n.nspname || '.' || c.relname into v_kind, v_table
    from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
   where c.oid = target;
  if v_kind not in ('r', 'p') or v_table like 'audit.%' then
    raise exception 'audit.enable() needs an ordinary table outside the audit schema, not %', target
      using errcode = 'wrong_object_type';
  end if;
  select pg_catalog.array_agg(distinct r order by r) into v_redact
    from pg_catalog.unnest(coalesce(redact, '{}')) r;
  v_redact := coalesce(v_redact, '{}');
  select r into v_missing from pg_catalog.unnest(v_redact) r
   where not exists (select 1 from pg_catalog.pg_attribute a
                      where a.attrelid = target and a.attname = r and a.attnum > 0
                        and not a.attisdropped)
   limit 1;
  if v_missing is not null then
    raise exception 'column "%" of % does not exist; it cannot be redacted', v_missing, target
      using errcode = 'undefined_column';
  end if;
  perform audit.drop_row_triggers(target);
  execute pg_catalog.format(
    'create trigger audit_row_insert after insert on %s referencing new table as new_rows '
    'for each statement execute function audit.capture_rows(%L)', target, v_redact::text);
  execute pg_catalog.format(
    'create trigger audit_row_delete after delete on %s referencing old table as old_rows '
    'for each statement execute function audit.capture_rows(%L)', target, v_redact::text);
  if pg_catalog.cardinality(audit.primary_key_columns(target)) > 0 then
    execute pg_catalog.format(
      'create trigger audit_row_update after update on %s '
      'referencing old table as old_rows new table as new_rows '
      'for each statement execute function audit.capture_updates(%L)', target, v_redact::text);
  else
    execute pg_catalog.format(
      'create trigger audit_row_update after update on %s '
      'for each row execute function audit.capture_update(%L)', target, v_redact::text);
  end if;
  execute pg_catalog.format(
    'create trigger audit_row_truncate after truncate on %s '
    'for each statement execute function audit.capture_truncate()', target);
  if v_previous is distinct from v_redact then
    perform audit.record('audit_enabled', v_table, null,
      case when v_previous is null then 'row audit enabled' else 'row audit redaction changed' end,
      pg_catalog.jsonb_build_object('redact', v_redact, 'previous_redact', v_previous,
                                    'redacted_now', audit.redacted_columns(target, v_redact)));
  end if;
end
$$;
comment on function audit.enable(regclass, text[]) is
  'Audit every row change of a table (idempotent): attaches the generic row triggers; the listed '
  'columns, and columns named like secrets, are redacted. Records audit_enabled when it changes.';

create or replace function audit.drop_row_triggers(target regclass)
returns void
language plpgsql
set search_path = ''
set client_min_messages = warning
as $$
begin
  execute pg_catalog.format('drop trigger if exists audit_row_insert on %s', target);
  execute pg_catalog.format('drop trigger if exists audit_row_delete on %s', target);
  execute pg_catalog.format('drop trigger if exists audit_row_update on %s', target);
  execute pg_catalog.format('drop trigger if exists audit_row_truncate on %s', target);
end
$$;
comment on function audit.drop_row_triggers(regclass) is
  'Internal to audit.enable()/audit.disable(): removes the row-audit triggers of a table.';

create or replace function audit.disable(target regclass)
returns void
language plpgsql
set search_path = ''
as $$
declare
  v_previous text[] := audit.enabled_redaction(target);
begin
  if v_previous is null then
    return;
  end if;
  perform audit.drop_row_triggers(target);
  perform audit.record('audit_disabled',
    (select n.nspname || '.' || c.relname from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace where c.oid = target),
    null, 'row audit disabled', pg_catalog.jsonb_build_object('previous_redact', v_previous));
end
$$;
comment on function audit.disable(regclass) is
  'Stop auditing a table''s rows (idempotent); records audit_disabled when it was enabled.';

create or replace function audit.bulk_threshold()
returns integer
language sql
stable
as $$
  select case when c.s ~ '^[0-9]{1,9}$' then c.s::integer else 100 end
    from (select pg_catalog.current_setting('pgwarden.audit_bulk_rows', true) as s) c
$$;
comment on function audit.bulk_threshold() is
  'Statements changing more rows than this are captured as one batch (setting '
  'pgwarden.audit_bulk_rows, default 100; a malformed value means the default).';

drop function if exists audit.batch_events(audit.row_batches);
drop function if exists audit.batch_update_select_list(regclass, text[], text[]);
drop function if exists audit.update_pairs(jsonb, jsonb, text[]);
drop function if exists audit.update_pair(jsonb, jsonb, text[]);
alter table audit.row_batches drop constraint if exists row_batches_update_images;
alter table audit.row_batches drop constraint if exists row_batches_event;
alter table audit.row_batches drop column if exists before_images, drop column if exists redacted;
do $revert$
begin
  -- update batches written meanwhile stay (materialised above); the old check then skips them
  if exists (select 1 from audit.row_batches b where b.event = 'update') then
    alter table audit.row_batches add constraint row_batches_event
      check (event in ('create', 'delete')) not valid;
  else
    alter table audit.row_batches add constraint row_batches_event
      check (event in ('create', 'delete'));
  end if;
end
$revert$;
comment on column audit.row_batches.event is 'create (INSERT) or delete (DELETE).';
comment on column audit.row_batches.images is 'The redacted rows, a JSON array in statement order.';

select audit.enable(t.tgrelid::regclass, audit.enabled_redaction(t.tgrelid))
  from pg_catalog.pg_trigger t
 where t.tgname = 'audit_row_insert';
COMMIT;
