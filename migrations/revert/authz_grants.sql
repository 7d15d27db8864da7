-- Revert pgwarden:authz_grants from pg
BEGIN;
drop function if exists authz.delete_scoped(bigint, text);
drop function if exists authz.renew_scoped(bigint, timestamptz, text);
drop function if exists authz.revoke_scoped(bigint, text);
drop function if exists authz.change_scoped(bigint, text, timestamptz, text);
drop function if exists authz.grant_scoped(bigint, text, text, text, text, timestamptz, text);
drop function if exists authz.log_grant(authz.scoped_grants, text, text);
drop function if exists authz.has_scoped_grant(text, text, text);
drop table if exists authz.scoped_grant_events;
drop function if exists authz.refuse_event_change();
drop table if exists authz.scoped_grants;
drop table if exists authz.templates;
COMMIT;
