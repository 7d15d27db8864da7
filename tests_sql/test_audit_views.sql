-- The DBA views: authority_events holds the non-row events, row_history the row events with
-- the changed columns, chain_status the window, audited_tables the redaction; administrators
-- may read them, lower tiers may not.
begin;
select plan(12);

create table public.books (id int primary key, title text, api_key text);
select audit.enable('public.books', '{}');
insert into public.books values (1, 'Dune', 'k-1');
update public.books set title = 'Dune Messiah' where id = 1;
select audit.record('permission_granted', 'auth.users', '4', 'granted books.change',
                    '{"permission":"books.change"}', 1);

select is((select count(*)::int from audit.authority_events where event = 'permission_granted' and category = 'access'),
          1, 'authority_events holds the typed events with their category');
select is((select count(*)::int from audit.authority_events where event in ('create', 'update')), 0,
          'authority_events holds no row events');
select is((select count(*)::int from audit.authority_events where event = 'audit_enabled'), 1,
          'enabling audit is an authority event');
select is((select changed from audit.row_history where target_table = 'public.books' and event = 'update'),
          array['title'], 'row_history lists the changed columns');
select is((select after ->> 'title' from audit.row_history where target_id = '1' and event = 'update'),
          'Dune Messiah', 'row_history holds the after image');
select is((select unsealed from audit.chain_status), 4::bigint, 'chain_status counts unsealed events');
select audit.seal();
select is((select unsealed::text || ' ' || sealed_links from audit.chain_status), '0 4',
          'after a seal nothing is unsealed');
select is((select redacted_columns from audit.audited_tables where audited_table = 'public.books'::regclass),
          array['api_key'], 'audited_tables shows the redacted columns');

select table_privs_are('audit', v, 'pgw_administrator', array['SELECT'], 'administrators read audit.' || v)
  from unnest(array['authority_events', 'row_history']) v;
select table_privs_are('audit', 'authority_events', 'pgw_supervisor', array[]::text[],
                       'a supervisor cannot read the audit views');
select throws_ok($$ set local role pgw_staff; select * from audit.row_history $$, '42501', null,
                 'staff cannot read row history');

select * from finish();
rollback;
