-- Helpers of compiled row policies for writes (docs/policies.md, doctrines 5 and 11): what lets
-- a caller change a row it may not read (VSR's delegates), without widening any read.
--
--   authz.writing(action)      true while the request is that write: PATCH for 'update',
--                              DELETE for 'delete' (request.method, set by
--                              pgwarden.begin_request). A compiled `<table>_read_to_<action>`
--                              policy admits, only then, the rows the action's policy allows,
--                              since PostgreSQL applies the read policy to a filtered write.
--   authz.check_references()   BEFORE UPDATE trigger: a foreign key an update changes must
--                              point at a row the writer can read (or at none), with the error
--                              of a failed WITH CHECK, so that a reference reveals nothing;
--                              an unchanged reference is not checked again.
-- Code only: re-applied by every change that changes it. Tests: tests_sql/test_policy_writes.sql.

create or replace function authz.writing(action text)
returns boolean
language sql
stable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.current_setting('request.method', true), '')
         = case writing.action when 'update' then 'PATCH' when 'delete' then 'DELETE' end
$$;
comment on function authz.writing(text) is
  'For row policies: is this request the write `action` names (update: PATCH, delete: DELETE)? '
  'Compiled read_to_update / read_to_delete policies admit the rows that write may change.';

create or replace function authz.check_references()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  before jsonb := pg_catalog.to_jsonb(old);
  after jsonb := pg_catalog.to_jsonb(new);
  i integer := 0;
  seen boolean;
begin
  if not authz.is_request_role() then
    return new;
  end if;
  -- arguments in threes: column, referenced table, referenced key column
  while i + 2 < tg_nargs loop
    if after -> tg_argv[i] is distinct from before -> tg_argv[i]
       and pg_catalog.jsonb_typeof(after -> tg_argv[i]) <> 'null' then
      execute pg_catalog.format('select exists (select from %s v where v.%I = ($1).%I)',
                                tg_argv[i + 1]::regclass, tg_argv[i + 2], tg_argv[i])
         into seen using new;
      if not seen then
        raise exception 'new row violates row-level security policy for table "%"', tg_table_name
          using errcode = 'insufficient_privilege';
      end if;
    end if;
    i := i + 3;
  end loop;
  return new;
end
$$;
comment on function authz.check_references() is
  'BEFORE UPDATE trigger of compiled resources: each changed foreign key (arguments: column, '
  'table, key column, ...) must point at a row the writer can read, else 42501 as a failed WITH '
  'CHECK; an unchanged one is not checked again (a delegate keeps the references it cannot read).';

revoke execute on function authz.writing(text), authz.check_references() from public;
grant execute on function authz.writing(text) to pgw_anon, pgw_user;
