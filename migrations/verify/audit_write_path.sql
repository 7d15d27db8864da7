-- Verify pgwarden:audit_write_path
BEGIN;
do $verify$
begin
  assert not exists (select 1 from pg_catalog.pg_constraint c
                      where c.conrelid = 'audit.events'::regclass and c.contype = 'f'),
    'audit.events must carry no foreign key (the catalog is checked by audit.seal())';
  assert pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.seal(integer)'::regprocedure),
                           'audit.event_types') > 0,
    'audit.seal() must check the catalog';
  assert exists (select 1 from pg_catalog.pg_trigger t
                  where t.tgrelid = 'audit.events'::regclass and t.tgname = 'events_cli_context'
                    and t.tgqual is not null),
    'the CLI stamp trigger must fire only in a command''s transaction';
  assert pg_catalog.strpos(pg_catalog.pg_get_functiondef('audit.capture_rows()'::regprocedure),
                           '<= audit.bulk_threshold()') > 0,
    'audit.capture_rows() must be the one-statement version';
end
$verify$;
ROLLBACK;
