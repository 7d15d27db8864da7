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
-- The trigger's arguments are the explicit redaction list and the primary-key columns, both
-- fixed by audit.enable(). Nothing here reads the catalog or calls a SQL function that the
-- planner cannot inline on the per-event path: such a call is parsed and planned again in every
-- transaction, and four of them were most of a single-row write's audit cost (breakdown:
-- bench/results/audit_insert.md). The redaction mask is built from each image's own keys, so a
-- column added after audit.enable() is redacted too. Images are whole-row references
-- (to_jsonb(nr.*)), so that a column named like the alias cannot stand in for the row.
-- plan_cache_mode = force_generic_plan: the statements' plans are built once per session; left
-- to choose, the planner re-planned the update capture's event INSERT in every transaction
-- (about 0.8 ms), its custom plans looking a little cheaper than the generic one.
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
  -- At most audit.bulk_threshold() rows: the events in one INSERT whose row count is a one-time
  -- filter, so that a single-row write runs this one statement and nothing else.
  if tg_op = 'INSERT' then
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, after)
    select 'create', v_actor, v_role, v_session, v_correlation, v_ip, v_table,
           case when v_pk1 is not null then r.image ->> v_pk1 else audit.row_id(r.image, v_pk) end,
           r.image || m.mask
      from (select pg_catalog.to_jsonb(nr.*) as image from new_rows nr) r
     cross join lateral (
       select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}'::jsonb) as mask
         from pg_catalog.jsonb_object_keys(r.image) k
        where k = any (v_extra) or k ~* audit.redaction_pattern()) m
     where (select count(*) from new_rows) <= audit.bulk_threshold();
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
        where k = any (v_extra) or k ~* audit.redaction_pattern()) m
     where (select count(*) from old_rows) <= audit.bulk_threshold();
  end if;
  if found then
    return null;
  end if;
  -- Nothing written: an empty statement, or a bulk one, stored as one batch.
  if tg_op = 'INSERT' then
    select count(*) into v_count from new_rows;
  else
    select count(*) into v_count from old_rows;
  end if;
  if v_count > audit.bulk_threshold() then
    v_redact := audit.redacted_columns(tg_relid, v_extra);
    execute pg_catalog.format('select pg_catalog.json_agg(i) from (select %s from %I r) i',
                              audit.batch_select_list(tg_relid, v_redact),
                              case tg_op when 'INSERT' then 'new_rows' else 'old_rows' end)
       into v_images;
    insert into audit.row_batches (event, actor_id, set_role, session_id, correlation_id,
                                   client_ip, target_table, key_columns, row_count, images)
    values (case tg_op when 'INSERT' then 'create' else 'delete' end, v_actor, v_role, v_session,
            v_correlation, v_ip, v_table, v_pk, v_count, v_images);
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

-- The pairing of an UPDATE's old and new rows, shared by the capture trigger (per event) and
-- the sealer (bulk batches, 56_row_batch_code.sql): old and new images are paired by their key;
-- a pair whose images are equal yields nothing. A statement that changes keys leaves rows that
-- do not pair: exactly one such old and one such new row are one update (with
-- metadata.previous_id); several are recorded per key, each with metadata.key_changed, because
-- nothing tells which old row became which new one. The images come unredacted (or with
-- redacted values replaced by per-statement digests) and go out as they came. One SELECT, so
-- that the planner inlines it into its caller's cached plan.
create or replace function audit.update_pairs(before_images jsonb, after_images jsonb,
                                              key_columns text[])
returns table (ordinal bigint, target_id text, metadata jsonb, before jsonb, after jsonb)
language sql
immutable
as $$
  with ok as (select o.image, o.n,
                     case when pg_catalog.cardinality(key_columns) = 1
                          then o.image ->> key_columns[1]
                          else audit.row_id(o.image, key_columns) end as key
                from pg_catalog.jsonb_array_elements(before_images) with ordinality as o(image, n)),
       nk as (select w.image, w.n,
                     case when pg_catalog.cardinality(key_columns) = 1
                          then w.image ->> key_columns[1]
                          else audit.row_id(w.image, key_columns) end as key
                from pg_catalog.jsonb_array_elements(after_images) with ordinality as w(image, n)),
       p as materialized (
         select ok.image as before, nk.image as after, ok.key as old_key, nk.key as new_key,
                coalesce(nk.n, ok.n) as n
           from ok full join nk on nk.key = ok.key),
       lone as (select count(*) filter (where p.new_key is null) as old_lone,
                       count(*) filter (where p.old_key is null) as new_lone from p),
       changes as (
         select p.n, p.before, p.after, p.new_key as key, null::text as previous_id,
                null::boolean as moved
           from p where p.old_key is not null and p.new_key is not null and p.before <> p.after
         union all
         select b.n, a.before, b.after, b.new_key, a.old_key, null
           from p a, p b, lone
          where a.new_key is null and b.old_key is null and lone.old_lone = 1 and lone.new_lone = 1
         union all
         select p.n, p.before, p.after, coalesce(p.new_key, p.old_key), null, true
           from p, lone
          where (p.new_key is null or p.old_key is null)
            and not (lone.old_lone = 1 and lone.new_lone = 1))
  select c.n, c.key,
         pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'changed', (select pg_catalog.jsonb_agg(e.key order by e.key)
                         from pg_catalog.jsonb_each(c.after) e
                        where c.before is not null and e.value is distinct from c.before -> e.key),
           'previous_id', c.previous_id, 'key_changed', c.moved)),
         c.before, c.after
    from changes c
$$;
comment on function audit.update_pairs(jsonb, jsonb, text[]) is
  'The update events of one UPDATE statement from its old and new row images (JSON arrays): '
  'paired by key, unchanged pairs left out; position, target id, metadata, before, after.';

-- The update event of a one-row UPDATE whose images differ: what audit.update_pairs() yields for
-- one old and one new image (target id the new key, metadata.changed, metadata.previous_id when
-- the key changed), without the joins a statement of many rows needs. A test holds the two to
-- the same result (tests_sql/test_audit_fast_path.sql).
create or replace function audit.update_pair(before jsonb, after jsonb, key_columns text[])
returns table (target_id text, metadata jsonb)
language sql
immutable
as $$
  select k.new_key,
         pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
           'changed', (select pg_catalog.jsonb_agg(e.key order by e.key)
                         from pg_catalog.jsonb_each(after) e
                        where e.value is distinct from before -> e.key),
           'previous_id', case when k.old_key is distinct from k.new_key then k.old_key end))
    from (select case when pg_catalog.cardinality(key_columns) = 1 then before ->> key_columns[1]
                      else audit.row_id(before, key_columns) end as old_key,
                 case when pg_catalog.cardinality(key_columns) = 1 then after ->> key_columns[1]
                      else audit.row_id(after, key_columns) end as new_key) k
$$;
comment on function audit.update_pair(jsonb, jsonb, text[]) is
  'The target id and metadata of the update event of a one-row UPDATE (images that differ).';

-- Statement-level capture of UPDATE (tables with a primary key), paired by audit.update_pairs().
-- A statement of more than audit.bulk_threshold() rows stores one batch with its old and new
-- rows instead (json_agg, redacted), which audit.seal() pairs and materialises later. In the
-- batch a redacted column holds md5(a random per-statement secret, the row's key, its value):
-- equal exactly when the value did not change, so the sealer still lists a change to a redacted
-- column by name, while the value (and whether two rows share one) cannot be recovered; the
-- secret is never stored. The events then carry "<redacted>" as the per-event path writes it.
create or replace function audit.capture_updates()
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
  v_role text := nullif(pg_catalog.current_setting('role'), 'none');
  v_actor bigint := auth.uid();
  v_session bigint := auth.session_id();
  v_correlation text := pgwarden.correlation_id();
  v_ip inet := pgwarden.client_ip();
  v_count bigint;
  v_redact text[];
  v_old jsonb;
  v_new jsonb;
  v_before json;
  v_after json;
begin
  select count(*) into v_count from old_rows;
  if v_count = 0 then
    return null;
  elsif v_count > audit.bulk_threshold() then
    v_redact := audit.redacted_columns(tg_relid, v_extra);
    execute pg_catalog.format(
      'select (select pg_catalog.json_agg(i) from (select %1$s from old_rows r) i), '
      '(select pg_catalog.json_agg(i) from (select %1$s from new_rows r) i)',
      audit.batch_update_select_list(tg_relid, v_redact, v_pk))
      using pg_catalog.gen_random_uuid()::text
      into v_before, v_after;
    insert into audit.row_batches (event, actor_id, set_role, session_id, correlation_id,
                                   client_ip, target_table, key_columns, row_count, images,
                                   before_images, redacted)
    values ('update', v_actor, v_role, v_session, v_correlation, v_ip, v_table, v_pk, v_count,
            v_after, v_before, v_redact);
    return null;
  end if;
  if v_count = 1 then
    select pg_catalog.to_jsonb(orow.*), pg_catalog.to_jsonb(nr.*) into v_old, v_new
      from old_rows orow, new_rows nr;
    if v_old = v_new then
      return null;
    end if;
    insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                              target_table, target_id, metadata, before, after)
    select 'update', v_actor, v_role, v_session, v_correlation, v_ip, v_table, c.target_id,
           c.metadata, v_old || m.mask, v_new || m.mask
      from audit.update_pair(v_old, v_new, v_pk) c
     cross join lateral (
       select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}'::jsonb) as mask
         from pg_catalog.jsonb_object_keys(v_new) k
        where k = any (v_extra) or k ~* audit.redaction_pattern()) m;
    return null;
  end if;
  select (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(orow.*)) from old_rows orow),
         (select pg_catalog.jsonb_agg(pg_catalog.to_jsonb(nr.*)) from new_rows nr)
    into v_old, v_new;
  insert into audit.events (event, actor_id, set_role, session_id, correlation_id, client_ip,
                            target_table, target_id, metadata, before, after)
  select 'update', v_actor, v_role, v_session, v_correlation, v_ip, v_table, c.target_id,
         c.metadata, c.before || m.mask, c.after || m.mask
    from audit.update_pairs(v_old, v_new, v_pk) c
   cross join lateral (
     select coalesce(pg_catalog.jsonb_object_agg(k, '<redacted>'), '{}'::jsonb) as mask
       from pg_catalog.jsonb_object_keys(coalesce(c.after, c.before)) k
      where k = any (v_extra) or k ~* audit.redaction_pattern()) m
   order by c.ordinal;
  return null;
end
$$;
comment on function audit.capture_updates() is
  'Trigger (statement level, transition tables, tables with a primary key): one update event per '
  'changed row, old and new paired by key; nothing for rows left unchanged; or one '
  'audit.row_batches row for a statement of more than audit.bulk_threshold() rows.';

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
  v_pk text[] := audit.primary_key_columns(target);
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
  -- the arguments: the explicit redaction list first (audit.enabled_redaction() reads it), then
  -- the primary-key columns, so that the capture triggers read no catalog per statement
  execute pg_catalog.format(
    'create trigger audit_row_insert after insert on %s referencing new table as new_rows '
    'for each statement execute function audit.capture_rows(%L, %L)',
    target, v_redact::text, v_pk::text);
  execute pg_catalog.format(
    'create trigger audit_row_delete after delete on %s referencing old table as old_rows '
    'for each statement execute function audit.capture_rows(%L, %L)',
    target, v_redact::text, v_pk::text);
  if pg_catalog.cardinality(v_pk) > 0 then
    execute pg_catalog.format(
      'create trigger audit_row_update after update on %s '
      'referencing old table as old_rows new table as new_rows '
      'for each statement execute function audit.capture_updates(%L, %L)',
      target, v_redact::text, v_pk::text);
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
