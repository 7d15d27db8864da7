-- Code of auth.users (state: 20_users.sql): email normalisation, tier ranks and the trigger that
-- normalises every write.

create or replace function auth.normalize_email(email text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.lower(pg_catalog.normalize(pg_catalog.btrim(email), 'NFKC'))
$$;
comment on function auth.normalize_email(text) is
  'An email as auth.users stores it: trimmed, NFKC-normalised, lowercased.';

create or replace function auth.tier_rank(tier text)
returns integer
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case tier when 'user' then 100 when 'staff' then 300 when 'supervisor' then 600
                   when 'administrator' then 900 when 'developer' then 1000 else 0 end
$$;
comment on function auth.tier_rank(text) is
  'The rank of a tier (user 100 … developer 1000; unknown 0), compared by the rank guards.';

create or replace function auth.users_normalize()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.email := auth.normalize_email(new.email);
  new.display_name := pg_catalog.btrim(coalesce(new.display_name, ''));
  if tg_op = 'UPDATE' then
    new.updated_at := pg_catalog.now();
    if new.password_hash is distinct from old.password_hash then
      new.password_changed_at := pg_catalog.now();
    end if;
  elsif new.password_hash is not null then
    new.password_changed_at := pg_catalog.now();
  end if;
  return new;
end
$$;
comment on function auth.users_normalize() is
  'Trigger: normalises the email and display name, stamps updated_at and password_changed_at.';

drop trigger if exists users_10_normalize on auth.users;
create trigger users_10_normalize
  before insert or update on auth.users
  for each row execute function auth.users_normalize();
comment on trigger users_10_normalize on auth.users is 'Normalises the email, stamps updated_at and password_changed_at.';

revoke execute on function auth.normalize_email(text), auth.tier_rank(text),
  auth.users_normalize() from public;
grant execute on function auth.normalize_email(text), auth.tier_rank(text)
  to authenticator, pgw_anon, pgw_user, pgw_auth_service, pgw_session_writer;
