-- Every object of the audit schema that a DBA or the API sees carries a COMMENT: the schema,
-- tables, views, their columns, and functions.
begin;
select plan(4);

select is(obj_description('audit'::regnamespace, 'pg_namespace') is not null, true,
          'the audit schema has a comment');
select is((select array_agg(c.relname::text order by c.relname) from pg_class c
            where c.relnamespace = 'audit'::regnamespace and c.relkind in ('r', 'v')
              and obj_description(c.oid, 'pg_class') is null),
          null, 'every table and view has a comment');
select is((select array_agg(c.relname || '.' || a.attname order by 1) from pg_class c
             join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
            where c.relnamespace = 'audit'::regnamespace and c.relkind = 'r'
              and col_description(c.oid, a.attnum) is null),
          null, 'every column of the audit tables has a comment');
select is((select array_agg(p.oid::regprocedure::text order by 1) from pg_proc p
            where p.pronamespace = 'audit'::regnamespace
              and obj_description(p.oid, 'pg_proc') is null),
          null, 'every audit function has a comment');

select * from finish();
rollback;
