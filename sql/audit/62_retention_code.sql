-- Retention of audit.events (state: 22_events_partitions.sql): monthly partitions created ahead,
-- and the archive of old ones that keeps the chain verifiable. `pgwarden audit archive` runs, as
-- the owner and in one transaction: audit.archive_begin() for each partition to archive (checks,
-- locks it against writers, returns the chain segment), writes the segment's links to a file,
-- then audit.archive_commit() for each (records the checkpoint, detaches and drops the
-- partition) and audit.archive_recorded() once (the one audit event of the run). None of these
-- is SECURITY DEFINER: they run with the caller's rights, and refuse anyone but the owner of
-- audit.events. Doctrine: docs/audit.md#retention. Tests: tests_sql/test_audit_partitions.sql,
-- tests_py/test_audit_archive.py.

create or replace function audit.month_start(t timestamptz)
returns timestamptz
language sql
immutable
parallel safe
as $$
  select pg_catalog.date_trunc('month', t, 'UTC')
$$;
comment on function audit.month_start(timestamptz) is 'The start of t''s month in UTC.';

create or replace view audit.partitions with (security_invoker = true) as
select c.oid::regclass as partition, c.relname::text as name,
       b.lower_bound, b.upper_bound,
       c.reltuples::bigint as estimated_events
  from pg_catalog.pg_inherits i
  join pg_catalog.pg_class c on c.oid = i.inhrelid
 cross join lateral (
   select pg_catalog.regexp_match(pg_catalog.pg_get_expr(c.relpartbound, c.oid),
                                  'FROM \((.*)\) TO \((.*)\)') as m) r
 cross join lateral (
   select case when r.m[1] = 'MINVALUE' then null
               else pg_catalog.btrim(r.m[1], '''')::timestamptz end as lower_bound,
          case when r.m[2] = 'MAXVALUE' then 'infinity'::timestamptz
               else pg_catalog.btrim(r.m[2], '''')::timestamptz end as upper_bound) b
 where i.inhparent = 'audit.events'::regclass;
comment on view audit.partitions is
  'The partitions of audit.events with their bounds (lower NULL = MINVALUE), oldest first by '
  'upper bound, and the planner''s estimate of their rows.';

create or replace function audit.require_owner()
returns void
language plpgsql
stable
set search_path = ''
as $$
begin
  if not pg_catalog.pg_has_role(current_user,
                                (select c.relowner from pg_catalog.pg_class c
                                  where c.oid = 'audit.events'::regclass), 'usage') then
    raise exception 'only the owner of audit.events may archive or create its partitions'
      using errcode = 'insufficient_privilege',
            hint = 'run pgwarden audit archive, which connects as the owner';
  end if;
end
$$;
comment on function audit.require_owner() is
  'Raise 42501 unless the current role has the rights of the owner of audit.events.';

-- What every partition of audit.events carries besides what it inherits: the parent's row guard
-- (events_append_only) is cloned onto it, but a TRUNCATE of the partition itself does not fire
-- the parent's statement trigger, so each gets <name>_no_truncate (ENABLE ALWAYS); its owner
-- loses UPDATE, DELETE and TRUNCATE, PUBLIC everything; its columns get the parent's comments.
create or replace function audit.prepare_partition(part regclass)
returns void
language plpgsql
volatile
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_name text := (select c.relname from pg_catalog.pg_class c where c.oid = part);
  v_owner text := (select pg_catalog.pg_get_userbyid(c.relowner)
                     from pg_catalog.pg_class c where c.oid = part);
  a record;
begin
  execute pg_catalog.format('drop trigger if exists %I on %s', v_name || '_no_truncate', part);
  execute pg_catalog.format(
    'create trigger %I before truncate on %s for each statement '
    'execute function audit.refuse_change()', v_name || '_no_truncate', part);
  execute pg_catalog.format('alter table %s enable always trigger %I', part, v_name || '_no_truncate');
  execute pg_catalog.format('revoke all on %s from public', part);
  -- read and written through audit.events only: no grantee but the owner on the partition itself
  for a in
    select distinct pg_catalog.pg_get_userbyid(x.grantee) as grantee
      from pg_catalog.pg_class c, pg_catalog.aclexplode(c.relacl) x
     where c.oid = part and x.grantee <> c.relowner and x.grantee <> 0
  loop
    execute pg_catalog.format('revoke all on %s from %I', part, a.grantee);
  end loop;
  execute pg_catalog.format('revoke update, delete, truncate on %s from %I', part, v_owner);
  for a in
    select t.attname, pg_catalog.col_description('audit.events'::regclass, t.attnum) as note
      from pg_catalog.pg_attribute t
     where t.attrelid = 'audit.events'::regclass and t.attnum > 0 and not t.attisdropped
  loop
    execute pg_catalog.format('comment on column %s.%I is %L', part, a.attname, a.note);
  end loop;
end
$$;
comment on function audit.prepare_partition(regclass) is
  'Give a partition of audit.events its own TRUNCATE guard, its privileges and its parent''s '
  'column comments.';

-- One partition per UTC month, from the end of the newest existing partition through the month
-- `months_ahead` months after this one. Each gets the append-only guards of its own (TRUNCATE
-- of a partition does not fire the parent's statement trigger).
create or replace function audit.ensure_partitions(months_ahead integer default 3)
returns integer
language plpgsql
volatile
set search_path = ''
set client_min_messages = warning
as $$
declare
  v_from timestamptz;
  v_until timestamptz := audit.month_start(pg_catalog.now())
                         + pg_catalog.make_interval(months => months_ahead + 1);
  v_name text;
  v_count integer := 0;
begin
  perform audit.require_owner();
  if months_ahead is null or months_ahead not between 0 and 24 then
    raise exception 'months_ahead must be between 0 and 24' using errcode = 'invalid_parameter_value';
  end if;
  select greatest(max(p.upper_bound), audit.month_start(pg_catalog.now()))
    into v_from from audit.partitions p;
  v_from := coalesce(v_from, audit.month_start(pg_catalog.now()));
  while v_from < v_until loop
    v_name := 'events_' || pg_catalog.to_char(v_from at time zone 'UTC', '"y"YYYY"m"MM');
    execute pg_catalog.format(
      'create table audit.%I partition of audit.events for values from (%L) to (%L)',
      v_name, v_from, v_from + interval '1 month');
    perform audit.prepare_partition(pg_catalog.format('audit.%I', v_name)::regclass);
    execute pg_catalog.format('comment on table audit.%I is %L', v_name,
      'Audit events of ' || pg_catalog.to_char(v_from at time zone 'UTC', 'YYYY-MM') || ' (UTC).');
    v_from := v_from + interval '1 month';
    v_count := v_count + 1;
  end loop;
  return v_count;
end
$$;
comment on function audit.ensure_partitions(integer) is
  'Create the monthly partitions of audit.events up to months_ahead months after this one '
  '(the scheduled job audit_partitions); returns how many were created. Owner only.';

-- The segment of the chain an archive of `part` covers: the links after the newest checkpoint
-- up to the last link of an event of `part`. Every event of `part` must be sealed, the
-- partition must end before this month and be the oldest one left. Locks `part` against
-- writers until the end of the transaction.
create or replace function audit.archive_begin(part regclass)
returns table (partition_name text, lower_bound timestamptz, upper_bound timestamptz,
               first_seq bigint, last_seq bigint, anchor_before text, anchor_after text,
               first_event_id bigint, last_event_id bigint, events bigint)
language plpgsql
volatile
set search_path = ''
as $$
declare
  p audit.partitions;
  v_cp audit.checkpoints;
  v_unsealed bigint;
  v_links bigint;
begin
  perform audit.require_owner();
  select * into p from audit.partitions x where x.partition = part;
  if not found then
    raise exception '% is not a partition of audit.events', part
      using errcode = 'invalid_parameter_value';
  end if;
  if p.upper_bound > audit.month_start(pg_catalog.now()) then
    raise exception 'partition % reaches into this month: the current month is never archived', part
      using errcode = 'invalid_parameter_value';
  end if;
  if exists (select 1 from audit.partitions x where x.upper_bound < p.upper_bound) then
    raise exception 'partition % is not the oldest: archive the older ones first', part
      using errcode = 'invalid_parameter_value';
  end if;
  -- writers still inserting into the partition finish first; none may start
  execute pg_catalog.format('lock table %s in share mode', part);
  execute pg_catalog.format(
    'select count(*) from %s e where not exists (select 1 from audit.seals s where s.event_id = e.id)',
    part) into v_unsealed;
  if v_unsealed > 0 or exists (select 1 from audit.pending_batches() b
                                where b.occurred_at < p.upper_bound) then
    raise exception '% event(s) of % are not sealed yet', v_unsealed, part
      using errcode = 'object_not_in_prerequisite_state', hint = 'run pgwarden audit seal first';
  end if;
  select * into v_cp from audit.checkpoints c order by c.id desc limit 1;
  partition_name := p.name;
  lower_bound := p.lower_bound;
  upper_bound := p.upper_bound;
  first_seq := coalesce(v_cp.seq, 0) + 1;
  anchor_before := pg_catalog.encode(coalesce(v_cp.hash, audit.genesis()), 'hex');
  execute pg_catalog.format(
    'select max(s.seq) from %s e join audit.seals s on s.event_id = e.id', part) into last_seq;
  last_seq := greatest(coalesce(last_seq, 0), first_seq - 1);
  select count(*), min(s.event_id), max(s.event_id),
         pg_catalog.encode((pg_catalog.array_agg(s.hash order by s.seq desc))[1], 'hex')
    into v_links, first_event_id, last_event_id, anchor_after
    from audit.seals s where s.seq between first_seq and last_seq;
  if v_links <> last_seq - first_seq + 1
     or v_links <> (select count(*) from audit.seals s join audit.events e on e.id = s.event_id
                     where s.seq between first_seq and last_seq) then
    raise exception 'the chain between links % and % is broken', first_seq, last_seq
      using errcode = 'data_corrupted', hint = 'run pgwarden audit verify';
  end if;
  anchor_after := coalesce(anchor_after, anchor_before);
  events := v_links;
  return next;
end
$$;
comment on function audit.archive_begin(regclass) is
  'Start archiving a partition: check it (ended before this month, the oldest, every event '
  'sealed), lock it against writers, and return the chain segment its archive covers. Owner only.';

-- The links of a segment as the archive file holds them: position, link hash, and the canonical
-- text of the event the link covers (audit.canonical()).
create or replace function audit.archive_links(first_seq bigint, last_seq bigint)
returns table (seq bigint, hash text, canonical text)
language sql
stable
set search_path = ''
as $$
  select s.seq, pg_catalog.encode(s.hash, 'hex'), audit.canonical(e)
    from audit.seals s join audit.events e on e.id = s.event_id
   where s.seq between first_seq and last_seq
   order by s.seq
$$;
comment on function audit.archive_links(bigint, bigint) is
  'The links first_seq..last_seq with the canonical text of their events (the archive lines).';

-- Finish one partition: record its checkpoint, detach and drop it. The manifest must describe
-- the segment audit.archive_begin() returned.
create or replace function audit.archive_commit(part regclass, manifest jsonb)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  s record;
  v_id bigint;
begin
  perform audit.require_owner();
  select * into strict s from audit.archive_begin(part);
  if manifest ->> 'first_seq' is distinct from s.first_seq::text
     or manifest ->> 'last_seq' is distinct from s.last_seq::text
     or manifest ->> 'anchor_before' is distinct from s.anchor_before
     or manifest ->> 'anchor_after' is distinct from s.anchor_after
     or coalesce(manifest ->> 'sha256', '') !~ '^[0-9a-f]{64}$' then
    raise exception 'the manifest does not describe the segment of %', part
      using errcode = 'invalid_parameter_value';
  end if;
  insert into audit.checkpoints (seq, hash, first_seq, partition_name, lower_bound, upper_bound,
                                 first_event_id, last_event_id, events, file_name, file_sha256,
                                 manifest)
  values (s.last_seq, pg_catalog.decode(s.anchor_after, 'hex'), s.first_seq, s.partition_name,
          s.lower_bound, s.upper_bound, s.first_event_id, s.last_event_id, s.events,
          coalesce(manifest ->> 'file', ''), manifest ->> 'sha256', manifest)
  returning id into v_id;
  execute pg_catalog.format('alter table audit.events detach partition %s', part);
  execute pg_catalog.format('drop table %s', part);
  return v_id;
end
$$;
comment on function audit.archive_commit(regclass, jsonb) is
  'Finish archiving a partition: record its checkpoint (the manifest''s segment, checked '
  'again), then detach and drop it. Owner only.';

-- The one audit event of an archive run.
create or replace function audit.archive_recorded(checkpoint_ids bigint[], before_month text)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_meta jsonb;
begin
  perform audit.require_owner();
  select pg_catalog.jsonb_build_object(
           'before', before_month,
           'partitions', pg_catalog.jsonb_agg(c.partition_name order by c.id),
           'checkpoint_ids', pg_catalog.jsonb_agg(c.id order by c.id),
           'first_seq', min(c.first_seq), 'last_seq', max(c.seq),
           'events', sum(c.events),
           'files', pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
                      'file', c.file_name, 'sha256', c.file_sha256) order by c.id))
    into v_meta
    from audit.checkpoints c where c.id = any (checkpoint_ids);
  return audit.record('audit_archived', 'audit.events', null,
                      'archived ' || pg_catalog.cardinality(checkpoint_ids)
                      || ' partition(s) before ' || before_month, v_meta, null);
end
$$;
comment on function audit.archive_recorded(bigint[], text) is
  'Record the one audit_archived event of an archive run, listing its checkpoints. Owner only.';

revoke execute on function audit.require_owner(), audit.prepare_partition(regclass),
  audit.ensure_partitions(integer),
  audit.archive_begin(regclass), audit.archive_links(bigint, bigint),
  audit.archive_commit(regclass, jsonb), audit.archive_recorded(bigint[], text) from public;
revoke all on audit.partitions from public;
grant select on audit.partitions to pgw_administrator;
