-- Privileges of the chain. Only audit.seal() (definer) writes links; the app may run it
-- (authenticator, the background sealer) and administrators may seal and verify.

revoke all on audit.seals, audit.seal_state from public;
-- the owner's UPDATE/DELETE/TRUNCATE: audit.guard_append_only() (60_chain.sql)
grant select on audit.seals, audit.seal_state to pgw_administrator;

revoke execute on function audit.seal(integer), audit.verify() from public;
grant execute on function audit.seal(integer) to authenticator, pgw_administrator;
grant execute on function audit.verify() to pgw_administrator;
grant execute on function audit.genesis(), audit.canonical(audit.events),
  audit.link_hash(bytea, audit.events) to pgw_administrator;
