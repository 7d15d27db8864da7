-- Revert pgwarden:audit_chain
BEGIN;
drop function if exists audit.verify();
drop function if exists audit.seal(integer);
drop function if exists audit.link_hash(bytea, audit.events);
drop function if exists audit.canonical(audit.events);
drop table if exists audit.seal_state;
drop table if exists audit.seals;
drop function if exists audit.genesis();
COMMIT;
