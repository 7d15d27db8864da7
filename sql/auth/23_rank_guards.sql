-- Rank guards, enforced by triggers on auth.users so that every path obeys them (the admin, the
-- REST API, the CLI and a DBA's psql session). The acting user is auth.uid(); without one (a DBA,
-- the CLI, a migration) only the last rule applies.
--   1. nobody changes or deletes a user whose tier is at or above their own, except themselves;
--   2. nobody assigns a tier above their own (an equal tier is fine);
--   3. nobody lowers their own tier, deactivates or deletes themselves;
--   4. no change leaves zero active administrators, or zero active developers, where there was one
--      (race-free: concurrent removals serialise on auth.protected_tiers).
-- Refusals raise SQLSTATE 42501 (insufficient_privilege) with a stable code in DETAIL.

create or replace function auth.refuse(code text, message text)
returns void
language plpgsql
set search_path = ''
as $$
begin
  raise exception '%', message
    using errcode = 'insufficient_privilege', detail = code,
          hint = 'rank guards: see docs/identity.md';
end
$$;
comment on function auth.refuse(text, text) is
  'Raises a rank-guard refusal: SQLSTATE 42501, the message, and the stable code as DETAIL.';

create or replace function auth.users_rank_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  actor bigint := auth.uid();
  actor_rank integer;
begin
  if actor is null then
    return coalesce(new, old);
  end if;
  select auth.tier_rank(u.role) into actor_rank
    from auth.users u where u.id = actor and u.is_active;
  actor_rank := coalesce(actor_rank, 0);
  if tg_op <> 'INSERT' and old.id = actor then
    if tg_op = 'DELETE' then
      perform auth.refuse('self_delete', 'You cannot delete yourself.');
    elsif auth.tier_rank(new.role) < auth.tier_rank(old.role) then
      perform auth.refuse('self_demote', 'You cannot lower your own tier.');
    elsif old.is_active and not new.is_active then
      perform auth.refuse('self_deactivate', 'You cannot deactivate yourself.');
    end if;
  elsif tg_op <> 'INSERT' and auth.tier_rank(old.role) >= actor_rank then
    perform auth.refuse('cross_rank',
                        'You cannot modify users at or above your authority level.');
  end if;
  if tg_op <> 'DELETE' and auth.tier_rank(new.role) > actor_rank
     and (tg_op = 'INSERT' or new.role is distinct from old.role) then
    perform auth.refuse('role_ceiling', 'You cannot assign a tier above your own.');
  end if;
  return coalesce(new, old);
end
$$;
comment on function auth.users_rank_guard() is
  'Trigger: rank guards 1-3 (cross-rank, role ceiling, self-demotion) for the acting auth.uid().';

create or replace function auth.users_orphan_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not (old.is_active and old.role in ('administrator', 'developer')) then
    return null;
  end if;
  if tg_op = 'UPDATE' and new.is_active and new.role = old.role then
    return null;
  end if;
  -- Serialise concurrent removals from this tier on its auth.protected_tiers row: under READ
  -- COMMITTED a second remover waits here and the check below (a new snapshot) sees the first
  -- one's commit; under REPEATABLE READ or SERIALIZABLE it fails with 40001 instead of passing on
  -- a stale snapshot. Test: tests_py/test_auth_last_admin.py.
  update auth.protected_tiers p set changed_at = pg_catalog.clock_timestamp()
   where p.tier = old.role;
  if not exists (select 1 from auth.users u where u.role = old.role and u.is_active) then
    perform auth.refuse('last_' || old.role,
                        pg_catalog.format('At least one active %s must remain.', old.role));
  end if;
  return null;
end
$$;
comment on function auth.users_orphan_guard() is
  'Trigger: refuses a change that leaves zero active administrators or developers (rank guard 4).';

drop trigger if exists users_20_rank_guard on auth.users;
create trigger users_20_rank_guard
  before insert or update or delete on auth.users
  for each row execute function auth.users_rank_guard();
comment on trigger users_20_rank_guard on auth.users is 'Rank guards 1-3 for the acting user.';

drop trigger if exists users_orphan_guard on auth.users;
create trigger users_orphan_guard
  after update or delete on auth.users
  for each row execute function auth.users_orphan_guard();
comment on trigger users_orphan_guard on auth.users is 'Rank guard 4: at least one active administrator and developer remain.';

alter function auth.users_rank_guard() owner to pgw_auth_service;
alter function auth.users_orphan_guard() owner to pgw_auth_service;
-- auth.refuse() only raises; it stays executable by everyone (the invoker-run guards use it).
revoke execute on function auth.users_rank_guard(), auth.users_orphan_guard() from public;
