-- Verify library:auth_library_groups on pg
BEGIN;

do $verify$
begin
  assert (select pg_catalog.count(*) from auth.groups
           where name in ('administrator', 'editor', 'viewer')) = 3,
    'the library seeds the groups administrator, editor and viewer';
  assert not exists (select from auth.group_permissions gp
                       join auth.groups g on g.id = gp.group_id
                      where g.name = 'editor' and gp.codename like '%.delete'),
    'editor holds no delete permission';
end
$verify$;

ROLLBACK;
