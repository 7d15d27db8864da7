-- Runtime scoped grants (sql/authz/20_scoped_grants.sql, 30_scoped_grant_functions.sql):
-- grants with expiry, the append-only event log, the SQL helper that policies call (here the
-- library's loans_read), privileges of the SECURITY DEFINER functions.
set client_min_messages = warning;
\ir ../examples/library/migrations/deploy/policies_library.sql

begin;
select plan(28);

-- definer hygiene
select is_definer('authz', f, f || ' is SECURITY DEFINER')
  from unnest(array['has_scoped_grant', 'grant_scoped', 'revoke_scoped', 'renew_scoped',
                    'delete_scoped']) f;
select is((select count(*)::int from pg_proc p join pg_namespace n on n.oid = p.pronamespace
            where n.nspname = 'authz' and p.prosecdef
              and not ('search_path=""' = any (coalesce(p.proconfig, '{}')))), 0,
          'every SECURITY DEFINER function of authz pins search_path to ''''');
select function_privs_are('authz', 'grant_scoped',
  array['bigint', 'text', 'text', 'text', 'text', 'timestamp with time zone', 'text'],
  'pgw_supervisor', array[]::text[], 'a supervisor may not grant');
select function_privs_are('authz', 'grant_scoped',
  array['bigint', 'text', 'text', 'text', 'text', 'timestamp with time zone', 'text'],
  'pgw_administrator', array['EXECUTE'], 'an administrator may grant');
select function_privs_are('authz', 'has_scoped_grant', array['text', 'text', 'text'],
  'pgw_user', array['EXECUTE'], 'policies of every tier may ask has_scoped_grant');
select function_privs_are('authz', 'has_scoped_grant', array['text', 'text', 'text'],
  'public', array[]::text[], 'PUBLIC may not call has_scoped_grant');
select table_privs_are('authz', 'scoped_grants', 'pgw_user', array[]::text[],
                       'a user cannot read or write grants directly');

-- fixtures: a patron account (tier user) without a patron card, two branches with loans
insert into auth.users (id, email, role) overriding system value values
  (9101, 'helper@t.example', 'user'), (9102, 'admin@t.example', 'administrator');
insert into library.branches (id, name) overriding system value values (1, 'Branch A'), (2, 'Branch B');
insert into library.patrons (id, card_number, full_name, email) overriding system value
  values (1, 'C000001', 'Some One', 's@t.example');
insert into library.items (id, branch_id, title, kind) overriding system value
  values (1, 1, 'One', 'book'), (2, 2, 'Two', 'book');
insert into library.loans (patron_id, item_id, branch_id, due_at)
  values (1, 1, 1, now() + interval '1 day'), (1, 2, 2, now() + interval '1 day');
insert into authz.templates (name, permissions) values ('branch_helper', array['loans.view', 'loans.change']);

set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9101", "role": "pgw_user"}', true);
select is((select count(*)::int from library.loans), 0, 'without a grant the helper sees no loan');
reset role;

-- an administrator grants loans.view on branch 1 for an hour
set local role pgw_administrator;
select set_config('request.jwt.claims', '{"sub": "9102", "role": "pgw_administrator"}', true);
select isnt(authz.grant_scoped(9101, 'permission', 'loans.view', 'branch', '1',
                               now() + interval '1 hour', 'covering a shift'), null,
            'an administrator grants loans.view on branch 1');
reset role;
select is((select created_by from authz.scoped_grants where user_id = 9101), 9102::bigint,
          'the grant records its creator');

set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9101", "role": "pgw_user"}', true);
select results_eq('select branch_id from library.loans', array[1::bigint],
                  'with the grant the helper sees branch 1''s loans only');
select throws_ok($$select authz.grant_scoped(9101, 'permission', 'loans.view', 'branch', '2')$$,
                 '42501', null, 'a user cannot grant themselves more');
select throws_ok('update authz.scoped_grants set expires_at = null', '42501', null,
                 'a user cannot extend a grant by writing the table');
reset role;

-- revoke: the grant stays, expired; it no longer counts
select authz.revoke_scoped((select id from authz.scoped_grants where user_id = 9101), 'shift over');
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9101", "role": "pgw_user"}', true);
select is((select count(*)::int from library.loans), 0, 'a revoked grant counts for nothing');
reset role;
select is((select count(*)::int from authz.scoped_grants where user_id = 9101), 1,
          'revoking keeps the row');

-- renew, template, expiry
select authz.renew_scoped((select id from authz.scoped_grants where user_id = 9101),
                          now() + interval '1 day', 'another shift');
select authz.grant_scoped(9101, 'template', 'branch_helper', 'branch', '2');
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9101", "role": "pgw_user"}', true);
select results_eq('select branch_id from library.loans order by 1', array[1::bigint, 2],
                  'renewed permission and template grants both count');
reset role;
update authz.scoped_grants set expires_at = now() - interval '1 second', created_at = now() - interval '1 day'
 where target_kind = 'template';
set local role pgw_user;
select set_config('request.jwt.claims', '{"sub": "9101", "role": "pgw_user"}', true);
select results_eq('select branch_id from library.loans', array[1::bigint],
                  'an expired grant is ignored');
reset role;

-- bad input: typed errors, nothing written
select throws_ok($$select authz.grant_scoped(424242, 'permission', 'loans.view', 'branch', '1')$$,
                 'P0002', 'unknown user 424242', 'an unknown user is refused');
select throws_ok($$select authz.grant_scoped(9101, 'template', 'nope', 'branch', '1')$$,
                 '22023', 'unknown template nope', 'an unknown template is refused');
select throws_ok($$select authz.renew_scoped(1, now() - interval '1 hour')$$, '22023', null,
                 'a renewal into the past is refused');
select throws_ok($$select authz.delete_scoped(-1)$$, 'P0002', null, 'deleting an unknown grant is refused');

-- delete; the history is complete and append-only
select authz.delete_scoped((select id from authz.scoped_grants where target_kind = 'template'), 'cleanup');
select results_eq($$select event from authz.scoped_grant_events where user_id = 9101 order by id$$,
                  array['created', 'revoked', 'renewed', 'created', 'deleted'],
                  'the event log holds every change in order');
select throws_ok('delete from authz.scoped_grant_events', '42501', null,
                 'grant history cannot be deleted, not even by the owner');
select is((select count(*)::int from audit.events where event like 'scoped_grant_%'
            and target_table = 'authz.scoped_grants'), 5,
          'each grant change is also an audit event');

select * from finish();
rollback;
