-- Ownership by pgw_owner (50_owner_role.sql), kept as changes come: pgwarden.owner_adopt() hands
-- to pgw_owner every object of pgwarden's schemas that a superuser or a member of pgw_owner owns
-- (the deployer), and an event trigger calls it after each DDL command that touches those
-- schemas. A change appended later, run by stock sqitch or pgwarden migrate, creates its objects
-- as usual and they end up owned by pgw_owner; functions given to pgw_auth_service,
-- pgw_session_writer or pgw_policy_reader (`alter function … owner to …`) keep that owner.
-- Tests: tests_sql/test_roles_owner.sql.

create or replace function pgwarden.owner_adopt()
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  o record;
  adopted integer := 0;
begin
  -- each ALTER below fires the event trigger again: the nested call has nothing to do
  if pg_catalog.current_setting('pgwarden.owner_adopting', true) = 'on' then
    return 0;
  end if;
  perform pg_catalog.set_config('pgwarden.owner_adopting', 'on', true);
  for o in
    with ours as (
      select n.oid from pg_catalog.pg_namespace n
       where n.nspname in ('pgwarden', 'auth', 'audit', 'authz')
    ), deployer as (
      select r.oid from pg_catalog.pg_roles r
       where r.rolname <> 'pgw_owner'
         and (r.rolsuper or pg_catalog.pg_has_role(r.oid, 'pgw_owner', 'member'))
    )
    select 1 as pass, pg_catalog.format('alter schema %I owner to pgw_owner', n.nspname) as stmt
      from pg_catalog.pg_namespace n
     where n.nspname in ('pgwarden', 'auth', 'audit', 'authz', 'api')
       and n.nspowner in (select d.oid from deployer d)
    union all
    select 2, pg_catalog.format('alter %s %s owner to pgw_owner',
                case c.relkind when 'v' then 'view' when 'm' then 'materialized view'
                               when 'f' then 'foreign table' when 'S' then 'sequence'
                               when 'c' then 'type' else 'table' end, c.oid::regclass)
      from pg_catalog.pg_class c
     where c.relnamespace in (select s.oid from ours s)
       and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S', 'c')
       and c.relowner in (select d.oid from deployer d)
       -- identity and serial sequences follow their table (only sequences: a partitioned
       -- table depends on itself, a partition on its parent, and both are handed over)
       and (c.relkind <> 'S' or not exists (select 1 from pg_catalog.pg_depend x
                        where x.classid = 'pg_catalog.pg_class'::regclass and x.objid = c.oid
                          and x.refclassid = 'pg_catalog.pg_class'::regclass
                          and x.deptype in ('a', 'i')))
    union all
    select 3, pg_catalog.format('alter %s %s owner to pgw_owner',
                case p.prokind when 'a' then 'aggregate' else 'routine' end, p.oid::regprocedure)
      from pg_catalog.pg_proc p
     where p.pronamespace in (select s.oid from ours s)
       and p.proowner in (select d.oid from deployer d)
    union all
    select 4, pg_catalog.format('alter %s %s owner to pgw_owner',
                case t.typtype when 'd' then 'domain' else 'type' end, t.oid::regtype)
      from pg_catalog.pg_type t
     where t.typnamespace in (select s.oid from ours s)
       and t.typtype in ('d', 'e', 'r')
       and t.typowner in (select d.oid from deployer d)
     order by 1, 2
  loop
    execute o.stmt;
    adopted := adopted + 1;
  end loop;
  perform pg_catalog.set_config('pgwarden.owner_adopting', '', true);
  return adopted;
end
$$;
comment on function pgwarden.owner_adopt() is
  'Hands to pgw_owner every object of the pgwarden, auth, audit and authz schemas (and those '
  'schemas and api) owned by a superuser or a member of pgw_owner; returns how many.';

create or replace function pgwarden.owner_adopt_new()
returns event_trigger
language plpgsql
set search_path = ''
as $$
begin
  -- only the deployer's DDL (a superuser or a member of pgw_owner) is handed over
  if not pg_catalog.pg_has_role('pgw_owner', 'member') then
    return;
  end if;
  if exists (select 1 from pg_catalog.pg_event_trigger_ddl_commands() c
              where c.schema_name in ('pgwarden', 'auth', 'audit', 'authz')
                 or (c.object_type = 'schema'
                     and c.object_identity in ('pgwarden', 'auth', 'audit', 'authz', 'api'))) then
    perform pgwarden.owner_adopt();
  end if;
end
$$;
comment on function pgwarden.owner_adopt_new() is
  'Event trigger: after DDL in pgwarden''s schemas, pgwarden.owner_adopt() hands the new objects '
  'to pgw_owner.';

drop event trigger if exists pgwarden_owner_adopts;
create event trigger pgwarden_owner_adopts on ddl_command_end
  execute function pgwarden.owner_adopt_new();
comment on event trigger pgwarden_owner_adopts is
  'Objects created in pgwarden''s schemas by a superuser or a member of pgw_owner belong to pgw_owner.';

revoke execute on function pgwarden.owner_adopt() from public;
grant execute on function pgwarden.owner_adopt() to pgw_owner;
