-- Audit rows are append-only: UPDATE, DELETE and TRUNCATE on audit.events fail for the app role,
-- every tier, pgw_session_writer, the owner and a superuser (guard triggers, ENABLE ALWAYS, so
-- session_replication_role = replica does not bypass them), and no role may INSERT directly.
begin;
select plan(35);

select audit.record('login_succeeded', 'auth.users', '1', 'seed event');

-- The superuser (also the owner of the table in the embedded cluster).
select throws_ok($$ update audit.events set summary = 'x' $$, '42501', null,
                 'superuser/owner: UPDATE is refused');
select throws_ok($$ delete from audit.events $$, '42501', null,
                 'superuser/owner: DELETE is refused');
select throws_ok($$ truncate audit.events $$, '42501', null,
                 'superuser/owner: TRUNCATE is refused');
set local session_replication_role = replica;
select throws_ok($$ delete from audit.events $$, '42501', null,
                 'superuser in replica mode: DELETE is still refused');
select throws_ok($$ truncate audit.events $$, '42501', null,
                 'superuser in replica mode: TRUNCATE is still refused');
reset session_replication_role;

-- Privileges: nobody holds UPDATE, DELETE or TRUNCATE on audit.events, not even the owner.
select is((select count(*)::int
             from pg_class c, aclexplode(c.relacl) a
            where c.oid = 'audit.events'::regclass
              and a.privilege_type in ('UPDATE', 'DELETE', 'TRUNCATE')),
          0, 'the ACL of audit.events grants UPDATE/DELETE/TRUNCATE to nobody, the owner included');
select table_privs_are('audit', 'events', 'pgw_administrator', array['SELECT'],
                       'administrators may only read events');
select table_privs_are('audit', 'events', 'authenticator', array[]::text[],
                       'authenticator holds no privilege on events');
select table_privs_are('audit', 'events', 'pgw_session_writer', array[]::text[],
                       'pgw_session_writer holds no privilege on events');

-- Every non-superuser role that matters, switched to as the app would.
create temporary table roles_to_try (r text);
insert into roles_to_try values ('authenticator'), ('pgw_anon'), ('pgw_user'), ('pgw_staff'),
  ('pgw_supervisor'), ('pgw_administrator'), ('pgw_developer'), ('pgw_session_writer');
grant select on roles_to_try to public;

create function pg_temp.refused(r text, stmt text) returns text language plpgsql as $$
begin
  execute format('set local role %I', r);
  execute stmt;
  reset role;
  return 'allowed';
exception when insufficient_privilege then
  reset role;
  return 'refused';
end
$$;

select is(pg_temp.refused(r, 'update audit.events set summary = ''x'''), 'refused',
          r || ': UPDATE is refused') from roles_to_try order by r;
select is(pg_temp.refused(r, 'delete from audit.events'), 'refused',
          r || ': DELETE is refused') from roles_to_try order by r;
select is(pg_temp.refused(r, 'truncate audit.events'), 'refused',
          r || ': TRUNCATE is refused') from roles_to_try order by r;

select is((select count(*)::int from audit.events where summary = 'seed event'), 1,
          'the event is still there, unchanged');
select throws_ok($$ set local role pgw_developer;
                    insert into audit.events (event) values ('login_failed') $$, '42501', null,
                 'a tier cannot insert events directly');

select * from finish();
rollback;
