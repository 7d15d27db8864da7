-- Deploy library:admin_library_actions to pg
-- requires: policies_library
-- The loans' bulk actions of the admin (policies/library.toml, [[resources.loans.admin.bulk_actions]]),
-- RustIO's mark_overdue and mark_returned. SECURITY INVOKER: they run as the calling user, through
-- the REST dialect's RPC, so row-level security, grants and the audit triggers decide and record
-- exactly as for a PATCH. Each takes the selected ids and returns
-- {succeeded, failed: [{id, reason}], message}. Proved by tests_sql/test_admin_library_actions.sql.
BEGIN;

create or replace function library.mark_overdue(ids bigint[])
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  wanted bigint[];
  done bigint[];
  failed jsonb;
begin
  if pg_catalog.cardinality(ids) > 10000 then
    raise exception using errcode = '22023', message = 'at most 10000 ids per call',
      hint = 'select fewer rows, or filter the list first';
  end if;
  select coalesce(pg_catalog.array_agg(distinct i order by i), '{}') into wanted
    from pg_catalog.unnest(ids) as i where i is not null;
  with updated as (
    update library.loans l set status = 'overdue'
     where l.id = any (wanted) and l.status = 'active'
    returning l.id)
  select coalesce(pg_catalog.array_agg(u.id), '{}') into done from updated u;
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', w.id, 'reason',
           case when l.id is null then 'loan no longer exists'
                when l.status = 'overdue' then 'already overdue'
                when l.status = 'returned' then 'already returned — cannot be marked overdue'
                else 'not permitted on this loan' end) order by w.id), '[]'::jsonb)
    into failed
    from pg_catalog.unnest(wanted) as w (id)
    left join library.loans l on l.id = w.id
   where not (w.id = any (done));
  return pg_catalog.jsonb_build_object(
    'succeeded', pg_catalog.cardinality(done),
    'failed', failed,
    'message', pg_catalog.format('Marked %s of %s loans overdue (%s skipped).',
                                 pg_catalog.cardinality(done), pg_catalog.cardinality(wanted),
                                 pg_catalog.jsonb_array_length(failed)));
end
$$;
comment on function library.mark_overdue(bigint[]) is
  'Admin bulk action: active loans among ids become overdue; returns {succeeded, failed: [{id, reason}], message}.';

create or replace function library.mark_returned(ids bigint[])
returns jsonb
language plpgsql
volatile
security invoker
set search_path = ''
as $$
declare
  wanted bigint[];
  done bigint[];
  failed jsonb;
begin
  if pg_catalog.cardinality(ids) > 10000 then
    raise exception using errcode = '22023', message = 'at most 10000 ids per call',
      hint = 'select fewer rows, or filter the list first';
  end if;
  select coalesce(pg_catalog.array_agg(distinct i order by i), '{}') into wanted
    from pg_catalog.unnest(ids) as i where i is not null;
  with updated as (
    update library.loans l set status = 'returned', returned_at = pg_catalog.now()
     where l.id = any (wanted) and l.status in ('active', 'overdue')
    returning l.id)
  select coalesce(pg_catalog.array_agg(u.id), '{}') into done from updated u;
  select coalesce(pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('id', w.id, 'reason',
           case when l.id is null then 'loan no longer exists'
                when l.status = 'returned' then 'already returned'
                else 'not permitted on this loan' end) order by w.id), '[]'::jsonb)
    into failed
    from pg_catalog.unnest(wanted) as w (id)
    left join library.loans l on l.id = w.id
   where not (w.id = any (done));
  return pg_catalog.jsonb_build_object(
    'succeeded', pg_catalog.cardinality(done),
    'failed', failed,
    'message', pg_catalog.format('Marked %s of %s loans returned (%s skipped).',
                                 pg_catalog.cardinality(done), pg_catalog.cardinality(wanted),
                                 pg_catalog.jsonb_array_length(failed)));
end
$$;
comment on function library.mark_returned(bigint[]) is
  'Admin bulk action: active or overdue loans among ids become returned (returned_at = now()); returns {succeeded, failed: [{id, reason}], message}.';

revoke execute on function library.mark_overdue(bigint[]), library.mark_returned(bigint[]) from public;
grant execute on function library.mark_overdue(bigint[]), library.mark_returned(bigint[]) to pgw_staff;

COMMIT;
