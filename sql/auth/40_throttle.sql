-- The per-IP budget of the auth endpoints, shared by every app process because it lives here.
-- A fixed window per bucket: the first hit opens it, ip_budget hits fit in it, the next ones are
-- refused until it closes. auth.ip_throttle_hit() counts one hit and answers how many seconds to
-- wait (0 = allowed), for the HTTP Retry-After header.

create table if not exists auth.throttle (
  bucket            text primary key,
  window_started_at timestamptz not null,
  hits              integer not null,
  -- a bucket is a scope and a key, e.g. ip:192.0.2.1
  constraint throttle_bucket_shape check (bucket ~ '^[a-z_]+:.{1,100}$'),
  -- at least one hit opened the window
  constraint throttle_hits_positive check (hits >= 1)
);
comment on table auth.throttle is
  'Rate-limit buckets of the auth endpoints (per client IP): hits in the current window.';
comment on column auth.throttle.bucket is 'Scope and key, e.g. ip:192.0.2.1.';
comment on column auth.throttle.window_started_at is 'When the current window opened.';
comment on column auth.throttle.hits is 'Hits counted in the current window.';

create or replace function auth.ip_throttle_hit(client_ip inet)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  cfg auth.config;
  b auth.throttle;
begin
  if client_ip is null then
    return 0;
  end if;
  select * into cfg from auth.config;
  insert into auth.throttle as t (bucket, window_started_at, hits)
  values ('ip:' || pg_catalog.host(client_ip), at_, 1)
  on conflict (bucket) do update
     set window_started_at = case when t.window_started_at + cfg.ip_window <= at_
                                  then at_ else t.window_started_at end,
         hits = case when t.window_started_at + cfg.ip_window <= at_ then 1 else t.hits + 1 end
  returning * into b;
  if b.hits <= cfg.ip_budget then
    return 0;
  end if;
  return greatest(1, pg_catalog.ceil(extract(epoch from
    b.window_started_at + cfg.ip_window - at_))::integer);
end
$$;
comment on function auth.ip_throttle_hit(inet) is
  'Counts one auth-endpoint request of a client IP; returns 0 if within budget, else the seconds '
  'until the window closes (Retry-After).';

create or replace function auth.purge_expired(keep interval default '7 days')
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  purged integer;
begin
  delete from auth.throttle t
   where t.window_started_at + (select c.ip_window from auth.config c) < at_;
  delete from auth.sessions s
   where (s.revoked_at is not null and s.revoked_at < at_ - keep)
      or least(s.idle_expires_at, s.absolute_expires_at) < at_ - keep;
  get diagnostics purged = row_count;
  return purged;
end
$$;
comment on function auth.purge_expired(interval) is
  'Deletes throttle buckets past their window, and sessions revoked or expired more than `keep` '
  'ago (their audit events stay); returns how many sessions went.';

alter table auth.throttle enable row level security;
alter table auth.throttle force row level security;
drop policy if exists throttle_service on auth.throttle;
create policy throttle_service on auth.throttle to pgw_auth_service using (true) with check (true);
revoke all on table auth.throttle from public;
grant select, insert, update, delete on table auth.throttle to pgw_auth_service;

alter function auth.ip_throttle_hit(inet) owner to pgw_auth_service;
alter function auth.purge_expired(interval) owner to pgw_auth_service;
revoke execute on function auth.ip_throttle_hit(inet), auth.purge_expired(interval) from public;
grant execute on function auth.ip_throttle_hit(inet) to authenticator;
