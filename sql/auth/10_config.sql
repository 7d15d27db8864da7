-- Identity settings: one row of thresholds and timeouts, read by the definer functions, and the
-- clock they all read. Change a setting with a plain UPDATE as the owner, e.g.
--   update auth.config set idle_timeout = '1 hour';

create table if not exists auth.config (
  -- exactly one row
  singleton            boolean primary key default true,
  idle_timeout         interval not null default '30 minutes',
  absolute_timeout     interval not null default '12 hours',
  touch_interval       interval not null default '1 minute',
  max_failed_logins    integer not null default 5,
  failure_window       interval not null default '10 minutes',
  lock_duration        interval not null default '15 minutes',
  ip_budget            integer not null default 30,
  ip_window            interval not null default '5 minutes',
  reauth_window        interval not null default '15 minutes',
  clock_offset         interval not null default '0',
  -- one row only
  constraint config_singleton check (singleton),
  -- timeouts and windows are positive
  constraint config_positive check (
    idle_timeout > '0' and absolute_timeout > '0' and touch_interval >= '0'
    and failure_window > '0' and lock_duration > '0' and ip_window > '0'),
  -- thresholds are at least one
  constraint config_thresholds check (max_failed_logins >= 1 and ip_budget >= 1)
);

insert into auth.config (singleton) values (true) on conflict (singleton) do nothing;

comment on table auth.config is
  'pgwarden identity settings (one row): session timeouts, login throttle, per-IP budget, test clock.';
comment on column auth.config.singleton is 'Always true: the table holds one row.';
comment on column auth.config.idle_timeout is 'A session dies after this long without a request.';
comment on column auth.config.absolute_timeout is 'A session dies this long after login, whatever its use.';
comment on column auth.config.touch_interval is
  'auth.resolve_session() slides the idle expiry at most once per this interval per session.';
comment on column auth.config.max_failed_logins is
  'Failed logins inside failure_window (from the first failure) that lock the account.';
comment on column auth.config.failure_window is 'The window in which max_failed_logins lock an account.';
comment on column auth.config.lock_duration is 'How long an automatic (throttle) lock lasts.';
comment on column auth.config.ip_budget is 'Requests to the auth endpoints allowed per client IP per ip_window.';
comment on column auth.config.ip_window is 'The window of the per-IP budget.';
comment on column auth.config.reauth_window is
  'How long a session stays elevated after the user re-enters their password (re-auth wall).';
comment on column auth.config.clock_offset is
  'Added to now() by auth.now(). Tests move the clock with it; production keeps 0.';

revoke all on table auth.config from public;
grant select on table auth.config to pgw_auth_service, pgw_session_writer, authenticator,
  pgw_anon, pgw_user;
