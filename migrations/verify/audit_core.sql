-- Verify pgwarden:audit_core
BEGIN;
select id, occurred_at, event, actor_id, db_role, set_role, session_id, correlation_id, client_ip,
       target_table, target_id, summary, metadata, before, after, txid
  from audit.events where false;
select pg_catalog.has_function_privilege(
  'audit.record(text, text, text, text, jsonb, bigint)', 'execute');
do $verify$
begin
  assert (select count(*) from audit.event_types) >= 39, 'audit.event_types must be seeded';
  assert not pg_catalog.has_function_privilege(
    'pgw_developer', 'audit.record(text, text, text, text, jsonb, bigint)', 'execute'),
    'tiers must not call audit.record()';
  assert exists (select 1 from pg_catalog.pg_trigger
                  where tgrelid = 'audit.events'::regclass and tgname = 'events_append_only'
                    and tgenabled = 'A'),
    'the append-only guard must be ENABLE ALWAYS';
end
$verify$;
ROLLBACK;
