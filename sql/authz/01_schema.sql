-- The authz schema: helpers that compiled row policies and triggers call, and the runtime scoped
-- grants (20_scoped_grants.sql). Tiers may use the helpers; the tables stay private.
create schema if not exists authz;

comment on schema authz is
  'pgwarden authorization helpers for compiled row policies, and runtime scoped grants.';

grant usage on schema authz to pgw_anon, pgw_user, authenticator;
