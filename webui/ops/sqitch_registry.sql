-- sqitch's registry (PostgreSQL engine, registry version 1.1), created by `pgwarden migrate` when
-- stock sqitch has not created it yet. Same schema, tables, columns, types, defaults, keys and
-- checks as sqitch's own registry script, so that either tool reads and writes what the other
-- wrote (tests_py/test_sqitch_registry.py::test_pgwarden_creates_the_registry_sqitch_creates).

create schema if not exists sqitch;
comment on schema sqitch is 'Sqitch database deployment metadata v1.1.';

create table sqitch.releases (
    version         real        primary key,
    installed_at    timestamptz not null default clock_timestamp(),
    installer_name  text        not null,
    installer_email text        not null
);
comment on table sqitch.releases is 'Versions of the registry schema installed in this database.';

create table sqitch.projects (
    project         text        primary key,
    uri             text            null unique,
    created_at      timestamptz not null default clock_timestamp(),
    creator_name    text        not null,
    creator_email   text        not null
);
comment on table sqitch.projects is 'The sqitch projects deployed into this database.';

create table sqitch.changes (
    change_id       text        primary key,
    script_hash     text            null,
    change          text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    note            text        not null default '',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    unique (project, script_hash)
);
comment on table sqitch.changes is 'The changes deployed now, one row per change (its plan id).';

create table sqitch.tags (
    tag_id          text        primary key,
    tag             text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    change_id       text        not null references sqitch.changes(change_id) on update cascade,
    note            text        not null default '',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    unique (project, tag)
);
comment on table sqitch.tags is 'The tags deployed now, each on the change it follows.';

create table sqitch.dependencies (
    change_id       text        not null
                    references sqitch.changes(change_id) on update cascade on delete cascade,
    type            text        not null,
    dependency      text        not null,
    dependency_id   text            null references sqitch.changes(change_id) on update cascade
                    constraint dependencies_check check (
                        (type = 'require' and dependency_id is not null)
                     or (type = 'conflict' and dependency_id is null)
                    ),
    primary key (change_id, dependency)
);
comment on table sqitch.dependencies is 'The dependencies of deployed changes, resolved to ids.';

create table sqitch.events (
    event           text        not null constraint events_event_check check (
                        event in ('deploy', 'revert', 'fail', 'merge')
                    ),
    change_id       text        not null,
    change          text        not null,
    project         text        not null references sqitch.projects(project) on update cascade,
    note            text        not null default '',
    requires        text[]      not null default '{}',
    conflicts       text[]      not null default '{}',
    tags            text[]      not null default '{}',
    committed_at    timestamptz not null default clock_timestamp(),
    committer_name  text        not null,
    committer_email text        not null,
    planned_at      timestamptz not null,
    planner_name    text        not null,
    planner_email   text        not null,
    primary key (change_id, committed_at)
);
comment on table sqitch.events is 'Every deploy, revert and failure, in order: the full history.';
