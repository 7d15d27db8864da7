-- Counting hits in auth.throttle (40_throttle.sql), and the clean-up of spent identity rows.
--   auth.throttle_hit(scope, client_ip)  one hit of a client IP in a scope; 0 = allowed, else the
--                                        seconds until the window closes (Retry-After)
--     scope ip      every auth endpoint     auth.config.ip_budget per ip_window (30 / 5 min)
--     scope forgot  forgot password         forgot_budget per forgot_window (5 / 15 min)
--     scope reset   reset-link consumes     consume_budget per consume_window (10 / 5 min)
--   auth.ip_throttle_hit(ip)             the `ip` scope (login, password change, re-auth)
--   auth.purge_expired(keep)             throttle buckets past their window, sessions revoked or
--                                        expired `keep` ago, and (auth.purge_recovery()) reset
--                                        tokens expired reset_token_keep ago with their mails.
-- One elected runner calls auth.purge_expired() on a schedule (docs/recovery.md).
-- Tests: tests_sql/test_auth_recovery_tokens.sql, tests_sql/test_auth_login.sql.

create or replace function auth.throttle_window(scope text)
returns table (budget integer, window_length interval)
language sql
stable
set search_path = ''
as $$
  select case scope when 'forgot' then c.forgot_budget when 'reset' then c.consume_budget
                    else c.ip_budget end,
         case scope when 'forgot' then c.forgot_window when 'reset' then c.consume_window
                    else c.ip_window end
    from auth.config c
$$;
comment on function auth.throttle_window(text) is
  'The budget and window of a throttle scope (ip, forgot or reset), from auth.config.';

create or replace function auth.throttle_hit(scope text, client_ip inet)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  w record;
  b auth.throttle;
begin
  if scope is null or scope not in ('ip', 'forgot', 'reset') then
    raise exception 'unknown throttle scope %', coalesce(scope, 'NULL')
      using errcode = 'invalid_parameter_value', hint = 'ip, forgot or reset';
  end if;
  if client_ip is null then
    return 0;
  end if;
  select * into w from auth.throttle_window(scope);
  insert into auth.throttle as t (bucket, window_started_at, hits)
  values (scope || ':' || pg_catalog.host(client_ip), at_, 1)
  on conflict (bucket) do update
     set window_started_at = case when t.window_started_at + w.window_length <= at_
                                  then at_ else t.window_started_at end,
         hits = case when t.window_started_at + w.window_length <= at_ then 1 else t.hits + 1 end
  returning * into b;
  if b.hits <= w.budget then
    return 0;
  end if;
  return greatest(1, pg_catalog.ceil(extract(epoch from
    b.window_started_at + w.window_length - at_))::integer);
end
$$;
comment on function auth.throttle_hit(text, inet) is
  'Counts one request of a client IP in a scope (ip, forgot, reset); returns 0 if within budget, '
  'else the seconds until the window closes.';

create or replace function auth.ip_throttle_hit(client_ip inet)
returns integer
language sql
volatile
security definer
set search_path = ''
as $$
  select auth.throttle_hit('ip', client_ip)
$$;
comment on function auth.ip_throttle_hit(inet) is
  'Counts one auth-endpoint request of a client IP; returns 0 if within budget, else the seconds '
  'until the window closes (Retry-After).';

create or replace function auth.purge_recovery()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  keep interval := (select c.reset_token_keep from auth.config c);
  purged integer;
begin
  delete from auth.mail_outbox m
   where m.status <> 'pending' and coalesce(m.sent_at, m.next_attempt_at) < at_ - keep;
  delete from auth.password_reset_tokens t where t.expires_at < at_ - keep;
  get diagnostics purged = row_count;
  return purged;
end
$$;
comment on function auth.purge_recovery() is
  'Deletes reset tokens that expired more than reset_token_keep (7 days) ago, and sent or failed '
  'mails as old; returns how many tokens went.';

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
   where t.window_started_at + (select w.window_length
                                  from auth.throttle_window(pg_catalog.split_part(t.bucket, ':', 1)) w)
         < at_;
  delete from auth.sessions s
   where (s.revoked_at is not null and s.revoked_at < at_ - keep)
      or least(s.idle_expires_at, s.absolute_expires_at) < at_ - keep;
  get diagnostics purged = row_count;
  perform auth.purge_recovery();
  return purged;
end
$$;
comment on function auth.purge_expired(interval) is
  'Deletes throttle buckets past their window, sessions revoked or expired more than `keep` ago '
  '(their audit events stay) and spent reset tokens (auth.purge_recovery()); returns how many '
  'sessions went.';

alter function auth.throttle_hit(text, inet) owner to pgw_auth_service;
alter function auth.ip_throttle_hit(inet) owner to pgw_auth_service;
alter function auth.purge_recovery() owner to pgw_auth_service;
alter function auth.purge_expired(interval) owner to pgw_auth_service;
revoke execute on function auth.throttle_window(text), auth.throttle_hit(text, inet),
  auth.ip_throttle_hit(inet), auth.purge_recovery(), auth.purge_expired(interval) from public;
grant execute on function auth.throttle_window(text) to pgw_auth_service;
grant execute on function auth.ip_throttle_hit(inet) to authenticator;
