-- Code of the bulk batches (state: 55_row_batches.sql): the batches audit.seal() has not
-- materialised yet, and a batch's rows as row events carry them. Tests: tests_sql/test_audit_bulk.sql.

-- The batches audit.seal() has not materialised yet. PL/pgSQL because audit.seal_state (whose
-- horizon bounds the scan) belongs to the chain, deployed after row audit.
create or replace function audit.pending_batches()
returns setof audit.row_batches
language plpgsql
stable
set search_path = ''
as $$
begin
  return query
    select b.*
      from audit.row_batches b
     where b.txid >= (select s.horizon from audit.seal_state s)
       and not exists (select 1 from audit.row_batch_expansions x where x.batch_id = b.id);
end
$$;
comment on function audit.pending_batches() is
  'Committed batches that audit.seal() has not materialised yet.';

create or replace function audit.batch_rows(b audit.row_batches)
returns table (ordinal bigint, target_id text, before jsonb, after jsonb)
language sql
immutable
as $$
  select r.n, audit.row_id(r.image, b.key_columns),
         case when b.event = 'delete' then r.image end,
         case when b.event = 'create' then r.image end
    from (select e.value::jsonb as image, e.n
            from pg_catalog.json_array_elements(b.images) with ordinality as e(value, n)) r
$$;
comment on function audit.batch_rows(audit.row_batches) is
  'The rows of a batch as row events would carry them: position, target id, before and after.';

-- audit.expand_row_batches(): 56_row_batch_code.sql.
