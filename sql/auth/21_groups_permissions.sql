-- Groups, permissions and the links between them and users (RustIO's group and perm).
-- A permission codename is `<resource>.<view|add|change|delete>`. A group's `auto_actions`
-- links it to every permission of those actions, present and future: the seeded `editor`
-- group gets view/add/change of every resource, `viewer` gets view.

create table if not exists auth.groups (
  id           bigint generated always as identity primary key,
  name         text not null,
  description  text not null default '',
  auto_actions text[] not null default '{}',
  created_at   timestamptz not null default pg_catalog.now(),
  -- group names are unique identifiers
  constraint groups_name_unique unique (name),
  -- names are short lowercase identifiers
  constraint groups_name_shape check (name ~ '^[a-z][a-z0-9_-]{0,62}$'),
  -- auto_actions only names the four actions
  constraint groups_auto_actions check (auto_actions <@ array['view', 'add', 'change', 'delete'])
);

create table if not exists auth.permissions (
  codename    text primary key,
  resource    text generated always as (pg_catalog.split_part(codename, '.', 1)) stored,
  action      text generated always as (pg_catalog.split_part(codename, '.', 2)) stored,
  description text not null default '',
  auto_grant  boolean not null default true,
  -- `<resource>.<action>`, action one of the four
  constraint permissions_codename_shape check (
    codename ~ '^[a-z][a-z0-9_]{0,62}\.(view|add|change|delete)$')
);

create table if not exists auth.user_groups (
  user_id  bigint not null references auth.users (id) on delete cascade,
  group_id bigint not null references auth.groups (id) on delete cascade,
  primary key (user_id, group_id)
);
create index if not exists user_groups_group on auth.user_groups (group_id);

create table if not exists auth.group_permissions (
  group_id bigint not null references auth.groups (id) on delete cascade,
  codename text not null references auth.permissions (codename) on delete cascade,
  primary key (group_id, codename)
);
create index if not exists group_permissions_codename on auth.group_permissions (codename);

create table if not exists auth.user_permissions (
  user_id  bigint not null references auth.users (id) on delete cascade,
  codename text not null references auth.permissions (codename) on delete cascade,
  primary key (user_id, codename)
);
create index if not exists user_permissions_codename on auth.user_permissions (codename);

comment on table auth.groups is 'pgwarden groups of users; a group grants its permissions to its members.';
comment on column auth.groups.id is 'The group id.';
comment on column auth.groups.name is 'Unique group name, e.g. editor.';
comment on column auth.groups.description is 'What the group is for.';
comment on column auth.groups.auto_actions is
  'Actions (view/add/change/delete) this group receives automatically for every resource.';
comment on column auth.groups.created_at is 'When the group was created.';
comment on table auth.permissions is 'Permission codenames `<resource>.<view|add|change|delete>`.';
comment on column auth.permissions.codename is 'The codename, e.g. books.change.';
comment on column auth.permissions.resource is 'The resource part of the codename.';
comment on column auth.permissions.action is 'The action part: view, add, change or delete.';
comment on column auth.permissions.description is 'What the permission allows.';
comment on column auth.permissions.auto_grant is
  'Whether groups with auto_actions receive it (false for the framework''s own users, groups, '
  'sessions: those stay with administrators unless granted explicitly).';
comment on table auth.user_groups is 'Which users belong to which groups.';
comment on column auth.user_groups.user_id is 'The member.';
comment on column auth.user_groups.group_id is 'The group.';
comment on table auth.group_permissions is 'Permissions granted to a group.';
comment on column auth.group_permissions.group_id is 'The group.';
comment on column auth.group_permissions.codename is 'The permission.';
comment on table auth.user_permissions is 'Permissions granted directly to a user.';
comment on column auth.user_permissions.user_id is 'The user.';
comment on column auth.user_permissions.codename is 'The permission.';

insert into auth.groups (name, description, auto_actions) values
  ('editor', 'May view, add and change every resource (no delete).', array['view', 'add', 'change']),
  ('viewer', 'May view every resource.', array['view'])
on conflict (name) do nothing;

-- The framework's own resources, as auth.register_resource(r, null, false) writes them (not
-- auto-granted: users, groups and sessions stay with administrators unless granted explicitly).
insert into auth.permissions (codename, description, auto_grant)
select r || '.' || a, pg_catalog.initcap(a) || ' ' || r, false
  from pg_catalog.unnest(array['users', 'groups', 'sessions']) r,
       pg_catalog.unnest(array['view', 'add', 'change', 'delete']) a
on conflict (codename) do nothing;

revoke all on table auth.groups, auth.permissions, auth.user_groups, auth.group_permissions,
  auth.user_permissions from public;
grant select, insert on table auth.group_permissions to pgw_auth_service;
grant select on table auth.groups, auth.permissions to pgw_auth_service;
