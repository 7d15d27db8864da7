-- The library's admin bulk actions (examples/library change admin_library_actions):
-- mark_overdue and mark_returned run as the caller (SECURITY INVOKER, so RLS and grants decide),
-- report every skipped id with RustIO's reasons, and are executable by staff only.
set client_min_messages = warning;
\ir ../examples/library/migrations/deploy/policies_library.sql
\ir ../examples/library/migrations/deploy/admin_library_actions.sql

begin;
select plan(14);

insert into auth.users (id, email, role) overriding system value values
  (9101, 'staff.a@t.example', 'staff'), (9102, 'patron@t.example', 'user');
insert into library.branches (id, name) overriding system value values (1, 'Branch A'), (2, 'Branch B');
insert into library.staff_branches (user_id, branch_id) values (9101, 1);
insert into library.patrons (id, card_number, full_name, email) overriding system value
  values (1, 'C000001', 'Ada Lovelace', 'ada@t.example');
insert into library.items (id, branch_id, title, kind) overriding system value
  values (1, 1, 'One', 'book'), (2, 1, 'Two', 'book'), (3, 1, 'Three', 'book'), (4, 2, 'Four', 'book');
insert into library.loans (id, patron_id, item_id, branch_id, status, due_at, returned_at) overriding system value
  values (1, 1, 1, 1, 'active', now(), null), (2, 1, 2, 1, 'overdue', now(), null),
         (3, 1, 3, 1, 'returned', now(), now()), (4, 1, 4, 2, 'active', now(), null);

select is(p.prosecdef, false, 'library.mark_overdue is SECURITY INVOKER')
  from pg_catalog.pg_proc p where p.oid = 'library.mark_overdue(bigint[])'::regprocedure;
select is(p.prosecdef, false, 'library.mark_returned is SECURITY INVOKER')
  from pg_catalog.pg_proc p where p.oid = 'library.mark_returned(bigint[])'::regprocedure;
select function_privs_are('library', 'mark_overdue', array['bigint[]'], 'pgw_staff', array['EXECUTE'],
  'staff may call mark_overdue');
select function_privs_are('library', 'mark_overdue', array['bigint[]'], 'public', array[]::text[],
  'public may not call mark_overdue');
select function_privs_are('library', 'mark_returned', array['bigint[]'], 'public', array[]::text[],
  'public may not call mark_returned');

-- as staff of branch A: loan 4 is another branch's (invisible under RLS), 99 does not exist
set local role pgw_staff;
select set_config('request.jwt.claims', '{"sub":"9101","role":"pgw_staff","tier":"staff"}', true);
create temp table outcome on commit drop as select library.mark_overdue(array[1, 2, 3, 4, 99]) as r;
select is((select (r ->> 'succeeded')::int from outcome), 1, 'one active loan of my branch marked overdue');
select is((select r -> 'failed' from outcome),
  '[{"id": 2, "reason": "already overdue"},
    {"id": 3, "reason": "already returned — cannot be marked overdue"},
    {"id": 4, "reason": "loan no longer exists"},
    {"id": 99, "reason": "loan no longer exists"}]'::jsonb,
  'each skipped loan has its reason; another branch''s loan is not revealed');
select is((select r ->> 'message' from outcome), 'Marked 1 of 5 loans overdue (4 skipped).', 'the message counts them');
select is((select status from library.loans where id = 1), 'overdue', 'loan 1 is overdue now');
select is((select library.mark_returned(array[1, 3]) -> 'failed'),
  '[{"id": 3, "reason": "already returned"}]'::jsonb, 'mark_returned skips a returned loan');
select isnt((select returned_at from library.loans where id = 1), null, 'mark_returned sets returned_at');
select throws_ok($$select library.mark_overdue(array(select pg_catalog.generate_series(1, 10001)::bigint))$$,
  '22023', 'at most 10000 ids per call', 'more than 10,000 ids are refused');
reset role;

-- a patron (tier user) may not run the action at all
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub":"9102","role":"pgw_user","tier":"user"}', true);
select throws_ok($$select library.mark_overdue(array[4])$$, '42501', null, 'a patron may not call it');
reset role;
select is((select status from library.loans where id = 4), 'active', 'loan 4 untouched');

select * from finish();
rollback;
