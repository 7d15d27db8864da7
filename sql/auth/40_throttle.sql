-- The per-IP budget of the auth endpoints, shared by every app process because it lives here.
-- A fixed window per bucket: the first hit opens it, the budget fits in it, the next ones are
-- refused until it closes. The functions that count hits are in 43_throttle_code.sql.

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

alter table auth.throttle enable row level security;
alter table auth.throttle force row level security;
drop policy if exists throttle_service on auth.throttle;
create policy throttle_service on auth.throttle to pgw_auth_service using (true) with check (true);
revoke all on table auth.throttle from public;
grant select, insert, update, delete on table auth.throttle to pgw_auth_service;

