-- Revert bridgeboard:policies_bridgeboard from pg
-- Compiled by `pgwarden policies compile` from examples/bridgeboard/bridgeboard.toml: do not edit; change the
-- declarations and compile again.
BEGIN;

delete from authz.resources where name in ('organization', 'interest', 'thesis_topic', 'collaboration_request');
select audit.disable('bridgeboard.collaboration_request'::regclass);
drop table if exists bridgeboard.collaboration_request;
drop function if exists bridgeboard.collaboration_request_assign();
select audit.disable('bridgeboard.thesis_topic'::regclass);
drop table if exists bridgeboard.thesis_topic;
select audit.disable('bridgeboard.interest'::regclass);
drop table if exists bridgeboard.interest;
select audit.disable('bridgeboard.organization'::regclass);
drop table if exists bridgeboard.organization;
drop schema if exists bridgeboard;

COMMIT;
