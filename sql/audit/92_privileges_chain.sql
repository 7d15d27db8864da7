-- Privileges of the chain. Only audit.seal() (definer) writes links; the app may run it
-- (authenticator, the background sealer) and administrators may seal and verify.

revoke all on audit.seals, audit.seal_state from public;
do $owner$
declare
  v_owner text;
begin
  select pg_catalog.pg_get_userbyid(c.relowner) into v_owner
    from pg_catalog.pg_class c where c.oid = 'audit.seals'::regclass;
  execute pg_catalog.format('revoke update, delete, truncate on audit.seals from %I', v_owner);
  execute pg_catalog.format('revoke delete, truncate on audit.seal_state from %I', v_owner);
end
$owner$;
grant select on audit.seals, audit.seal_state to pgw_administrator;

revoke execute on function audit.seal(integer), audit.verify() from public;
grant execute on function audit.seal(integer) to authenticator, pgw_administrator;
grant execute on function audit.verify() to pgw_administrator;
grant execute on function audit.genesis(), audit.canonical(audit.events),
  audit.link_hash(bytea, audit.events) to pgw_administrator;
