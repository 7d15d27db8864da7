-- Helpers of compiled policies (sql/authz/10_helpers.sql): authz.is_request_role() decides
-- whether `assign` triggers overwrite the payload; authz.touch() stamps updated_at.
begin;
select plan(11);

select ok(not authz.is_request_role(), 'a superuser (migrations, DBA) is not a request role');
set local role pgw_anon;
select ok(authz.is_request_role(), 'pgw_anon is a request role');
set local role pgw_user;
select ok(authz.is_request_role(), 'pgw_user is a request role');
set local role pgw_developer;
select ok(authz.is_request_role(), 'pgw_developer is a request role');
reset role;
set local role authenticator;
select ok(not authz.is_request_role(),
          'authenticator (NOINHERIT) is not a request role until it switches');
reset role;

select function_privs_are('authz', 'is_request_role', array[]::text[], 'public', array[]::text[],
                          'PUBLIC may not call is_request_role');
select function_privs_are('authz', 'touch', array[]::text[], 'pgw_user', array[]::text[],
                          'tiers may not call the touch trigger function directly');
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'authz' and p.proname in ('is_request_role', 'touch')
              and p.proconfig = array['search_path=""']), 2, 'both helpers pin search_path');

create temporary table stamped (id int, updated_at timestamptz default now() - interval '1 day');
create trigger stamped_touch before update on stamped
  for each row execute function authz.touch('updated_at');
insert into stamped (id) values (1);
update stamped set id = 2;
select ok((select updated_at > now() - interval '1 minute' from stamped), 'touch stamps updated_at');

select is((select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
            join pg_namespace n on n.oid = p.pronamespace
           where n.nspname = 'authz' and obj_description(p.oid, 'pg_proc') is null),
          null, 'every authz function has a comment');
select is((select array_agg(c.oid::regclass::text || coalesce('.' || a.attname, '') order by 1)
             from pg_class c join pg_namespace n on n.oid = c.relnamespace
             left join pg_attribute a on a.attrelid = c.oid and a.attnum > 0
                  and not a.attisdropped and a.attname <> 'id'
            where n.nspname = 'authz' and c.relkind = 'r'
              and (obj_description(c.oid, 'pg_class') is null
                   or (a.attname is not null and col_description(c.oid, a.attnum) is null))),
          null, 'every authz table and column (but id) has a comment');

select * from finish();
rollback;
