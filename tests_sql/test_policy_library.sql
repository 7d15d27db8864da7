-- The library example (policies/library.toml, change policies_library): staff see and change
-- the loans of their own branches, supervisors all loans, patrons only their own, only
-- administrators delete loans; items open to editors through group permissions (auth.has_perm);
-- every resource is audited.
set client_min_messages = warning;
\ir ../examples/library/migrations/deploy/policies_library.sql

begin;
select plan(24);

-- accounts: 1 patron (user), 2 staff at branch A, 3 staff at B, 4 supervisor, 5 administrator,
-- 6 an editor (tier user in group editor), 7 another patron
insert into auth.users (id, email, role) overriding system value values
  (9001, 'patron@t.example', 'user'), (9002, 'staff.a@t.example', 'staff'),
  (9003, 'staff.b@t.example', 'staff'), (9004, 'super@t.example', 'supervisor'),
  (9005, 'admin@t.example', 'administrator'), (9006, 'editor@t.example', 'user'),
  (9007, 'other@t.example', 'user');
insert into auth.user_groups (user_id, group_id) select 9006, id from auth.groups where name = 'editor';

insert into library.branches (id, name) overriding system value values (1, 'Branch A'), (2, 'Branch B');
insert into library.patrons (id, user_id, card_number, full_name, email) overriding system value values
  (1, 9001, 'C000001', 'Pat Ron', 'pat@t.example'), (2, 9007, 'C000002', 'Other One', 'o@t.example');
insert into library.items (id, branch_id, title, kind) overriding system value values
  (1, 1, 'Book at A', 'book'), (2, 2, 'Dvd at B', 'dvd'), (3, 1, 'Second at A', 'book');
insert into library.staff_branches (user_id, branch_id) values (9002, 1), (9003, 2);
insert into library.loans (id, patron_id, item_id, branch_id, due_at) overriding system value values
  (1, 1, 1, 1, now() + interval '14 days'), (2, 2, 2, 2, now() + interval '14 days'),
  (3, 2, 3, 1, now() + interval '7 days');
select setval(pg_get_serial_sequence('library.' || t, 'id'), 100)
  from unnest(array['branches', 'patrons', 'items', 'loans']) t \g /dev/null

-- patron: only their own loans and their own patron card
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9001", "role": "pgw_user"}', true);
select results_eq('select id from library.loans order by id', array[1::bigint],
                  'a patron sees only their own loans');
select results_eq('select id from library.patrons', array[1::bigint],
                  'a patron sees only their own patron card');
select is((select count(*)::int from library.items), 3, 'a patron reads the whole catalogue');
select throws_ok($$update library.loans set status = 'returned'$$, '42501', null,
                 'a patron may not update loans (no grant)');
select throws_ok($$insert into library.items (branch_id, title, kind) values (1, 'x', 'book')$$,
                 '42501', null, 'a patron without items.add may not add items');

-- staff of branch A: the loans of branch A
set local role pgw_staff;
select set_config('request.jwt.claims', '{"sub": "9002", "role": "pgw_staff"}', true);
select results_eq('select id from library.loans order by id', array[1::bigint, 3],
                  'staff see the loans of their branch only');
with u as (update library.loans set status = 'overdue' where id in (1, 2, 3) returning id)
select is(array_agg(id order by id), array[1::bigint, 3],
          'staff change the loans of their branch; the other branch''s loan: 0 rows') from u;
select lives_ok($$insert into library.loans (patron_id, item_id, branch_id, due_at)
                  values (1, 3, 1, now() + interval '1 day')$$,
                'staff lend from their own branch');
select throws_ok($$insert into library.loans (patron_id, item_id, branch_id, due_at)
                   values (1, 2, 2, now() + interval '1 day')$$, '42501', null,
                 'require: staff may not lend for another branch');
select throws_ok($$update library.loans set branch_id = 2 where id = 1$$, '42501', null,
                 'staff may not move a loan to a branch they do not work at');
select throws_ok('delete from library.loans', '42501', null, 'staff may not delete loans');
select is((select count(*)::int from library.patrons), 2, 'staff see every patron');
select results_eq('select branch_id from library.staff_branches', array[1::bigint],
                  'staff see only their own branch assignments');

-- staff of branch B
select set_config('request.jwt.claims', '{"sub": "9003", "role": "pgw_staff"}', true);
select results_eq('select id from library.loans order by id', array[2::bigint],
                  'staff of another branch see only that branch''s loans');

-- supervisor: all loans, still no delete
set local role pgw_supervisor;
select set_config('request.jwt.claims', '{"sub": "9004", "role": "pgw_supervisor"}', true);
select is((select count(*)::int from library.loans), 4, 'a supervisor sees every loan');
select throws_ok('delete from library.loans', '42501', null, 'a supervisor may not delete loans');
select lives_ok($$insert into library.loans (patron_id, item_id, branch_id, due_at)
                  values (2, 2, 2, now() + interval '1 day')$$, 'a supervisor lends anywhere');

-- administrator: the only tier that deletes loans
set local role pgw_administrator;
select set_config('request.jwt.claims', '{"sub": "9005", "role": "pgw_administrator"}', true);
with d as (delete from library.loans where id = 3 returning 1)
select is(count(*)::int, 1, 'an administrator deletes a loan') from d;

-- group permission: an editor (tier user) adds and changes items, cannot delete them
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9006", "role": "pgw_user"}', true);
select lives_ok($$insert into library.items (branch_id, title, kind) values (2, 'Edited in', 'book')$$,
                'has_perm: an editor (items.add through the editor group) adds an item');
with u as (update library.items set title = 'Retitled' where id = 1 returning 1)
select is(count(*)::int, 1, 'has_perm: an editor changes an item') from u;
with d as (delete from library.items where id = 1 returning 1)
select is(count(*)::int, 0, 'has_perm: an editor (no items.delete) deletes nothing') from d;
reset role;

-- the other patron's staff_branches etc. are hidden; unique checks on patrons need staff
select is((select count(*)::int from audit.events
            where target_table = 'library.loans' and actor_id = 9002), 3,
          'audit: the staff member''s 2 updated loans and 1 new loan are recorded with the actor');
select ok((select count(*) = 5 from pg_trigger where tgname = 'audit_row_insert'
           and tgrelid::regclass::text like 'library.%'), 'every library table has the audit trigger');
select ok((select bool_and(relrowsecurity and relforcerowsecurity) from pg_class c
           join pg_namespace n on n.oid = c.relnamespace where n.nspname = 'library' and relkind = 'r'),
          'every library table has row-level security enabled and forced');

select * from finish();
rollback;
