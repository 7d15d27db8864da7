-- Verify pgwarden:audit_chain
BEGIN;
select seq, event_id, hash, sealed_at from audit.seals where false;
do $verify$
begin
  assert (select count(*) from audit.seal_state) = 1, 'audit.seal_state must hold one row';
  assert (select ok from audit.verify()), 'the chain must verify';
  assert exists (select 1 from pg_catalog.pg_trigger
                  where tgrelid = 'audit.seals'::regclass and tgname = 'seals_append_only'
                    and tgenabled = 'A'),
    'the seals guard must be ENABLE ALWAYS';
end
$verify$;
ROLLBACK;
