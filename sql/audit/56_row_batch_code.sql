-- Code of the bulk batches (55_row_batches.sql and 57_update_batches.sql hold their tables),
-- safe to re-apply: the threshold, the select list of an UPDATE batch, a batch's events and
-- their materialisation by audit.seal().
-- audit.bulk_threshold() is one expression without FROM, so that the planner inlines it into
-- the capture triggers: a SQL function it cannot inline is parsed and planned again in every
-- transaction that calls it (bench/results/audit_insert.md, "Where a single-row write's time
-- went"). Tests: tests_sql/test_audit_bulk.sql, tests_sql/test_audit_update_batches.sql.

create or replace function audit.bulk_threshold()
returns integer
language sql
stable
as $$
  select case when pg_catalog.current_setting('pgwarden.audit_bulk_rows', true) ~ '^[0-9]{1,9}$'
              then pg_catalog.current_setting('pgwarden.audit_bulk_rows', true)::integer
              else 100 end
$$;
comment on function audit.bulk_threshold() is
  'Statements changing more rows than this are captured as one batch (setting '
  'pgwarden.audit_bulk_rows, default 100; a malformed value means the default).';

-- The select list that turns a transition table row r of an UPDATE into its batch image: r.*
-- when nothing is redacted, else every column, a redacted one replaced by
-- md5($1 || its row's key || its value), where $1 is the statement's random secret (see
-- audit.capture_updates()). Names come from the catalog and are quoted.
create or replace function audit.batch_update_select_list(target regclass, redact text[],
                                                          key_columns text[])
returns text
language sql
stable
as $$
  select case when pg_catalog.cardinality(redact) = 0 then 'r.*'
              else (select pg_catalog.string_agg(
                             case when a.attname::text = any (redact)
                                  then pg_catalog.format(
                                         'pg_catalog.md5($1 || pg_catalog.quote_nullable(%s) '
                                         '|| pg_catalog.quote_nullable(r.%I::text)) as %I',
                                         k.expr, a.attname, a.attname)
                                  else pg_catalog.format('r.%I', a.attname) end,
                             ', ' order by a.attnum)
                      from pg_catalog.pg_attribute a,
                           (select pg_catalog.format('row(%s)::text',
                                     coalesce(pg_catalog.string_agg(
                                       pg_catalog.format('r.%I', c), ', ' order by o), 'null'))
                                     as expr
                              from pg_catalog.unnest(key_columns) with ordinality as u(c, o)) k
                     where a.attrelid = target and a.attnum > 0 and not a.attisdropped)
         end
$$;
comment on function audit.batch_update_select_list(regclass, text[], text[]) is
  'Internal to audit.capture_updates(): the select list of a row image in an UPDATE batch.';

-- The events a batch stands for: one per row of an INSERT or DELETE batch; for an UPDATE
-- batch, its old and new rows paired by audit.update_pairs() and the digests of redacted
-- columns replaced by the marker. Read by audit.expand_row_batches() and audit.row_history.
create or replace function audit.batch_events(b audit.row_batches)
returns table (ordinal bigint, target_id text, metadata jsonb, before jsonb, after jsonb)
language sql
stable
as $$
  select r.ordinal, r.target_id, '{}'::jsonb, r.before, r.after
    from audit.batch_rows(b) r
   where b.event <> 'update'
  union all
  select u.ordinal, u.target_id, u.metadata, u.before || m.mask, u.after || m.mask
    from audit.update_pairs(b.before_images::jsonb, b.images::jsonb, b.key_columns) u,
         (select coalesce(pg_catalog.jsonb_object_agg(c, '<redacted>'), '{}'::jsonb) as mask
            from pg_catalog.unnest(b.redacted) c) m
   where b.event = 'update'
$$;
comment on function audit.batch_events(audit.row_batches) is
  'The events of a batch as the per-event path writes them: position, target id, metadata '
  '(changed, previous_id, key_changed), redacted before and after.';

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
       ev as materialized (
         select b.id, b.occurred_at, b.event, b.actor_id, b.db_role, b.set_role, b.session_id,
                b.correlation_id, b.client_ip, b.target_table, b.txid,
                r.ordinal, r.target_id, r.metadata, r.before, r.after
           from pending b
          cross join lateral audit.batch_events(b::audit.row_batches) r),
       marked as (insert into audit.row_batch_expansions (batch_id, events)
                  select p.id, coalesce(c.n, 0)
                    from pending p
                    left join (select ev.id, count(*)::integer as n from ev group by ev.id) c
                           on c.id = p.id)
  insert into audit.events (occurred_at, event, actor_id, db_role, set_role, session_id,
                            correlation_id, client_ip, target_table, target_id, metadata,
                            before, after, txid)
  select ev.occurred_at, ev.event, ev.actor_id, ev.db_role, ev.set_role, ev.session_id,
         ev.correlation_id, ev.client_ip, ev.target_table, ev.target_id,
         pg_catalog.jsonb_build_object('batch_id', ev.id) || ev.metadata, ev.before, ev.after,
         ev.txid
    from ev
   order by ev.id, ev.ordinal;
  get diagnostics v_events = row_count;
  return v_events;
end
$$;
comment on function audit.expand_row_batches() is
  'Materialise every committed, pending batch into audit.events (one event per row, in batch and '
  'row order, with metadata.batch_id); returns the events written. Called by audit.seal().'
  ' Serialised with the sealer by its lock.';
