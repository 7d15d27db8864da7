-- R1, self-service reset, in SQL (contract: docs/recovery.md). The app calls both functions as
-- authenticator, with a token it drew (32 random bytes, base64url: 43 characters); only its
-- SHA-256 is stored. Neither tells the caller what happened: the app answers every request the
-- same way.
--   auth.request_password_reset(email, token, link_base, ip, user_agent)
--       counts the request against the forgot budget (5 per IP per 15 min); for a known, active
--       account only, stores the token (1 hour), queues the mail in auth.mail_outbox in the same
--       transaction, and audits password_reset_self_request. Over budget, unknown or inactive:
--       nothing is written. An unsafe link base: no token, no mail, the request audited with
--       email_send_status failed.
--   auth.consume_password_reset(token, new_password_hash, ip, user_agent)
--       counts against the consume budget (10 per IP per 5 min); consumes the token atomically
--       (of two concurrent consumes exactly one wins), sets the password, revokes every session
--       of the user through the single writer (password_reset) and audits
--       password_reset_self_consume with invalidated_session_count. Returns that count, or NULL
--       when the link is not valid (unknown, expired, used, over budget): no audit row then.
-- Tests: tests_sql/test_auth_recovery_tokens.sql, tests_py/test_auth_recovery_race.py.

create or replace function auth.token_fingerprint(token text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.left(pg_catalog.translate(pg_catalog.encode(
           pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), 'base64'), '+/', '-_'), 8)
$$;
comment on function auth.token_fingerprint(text) is
  'The first 8 characters of base64url(SHA-256(token)): names a token in audit without revealing it.';

create or replace function auth.safe_link_base(link_base text)
returns boolean
language sql
immutable
parallel safe
set search_path = ''
as $$
  select coalesce(pg_catalog.length(link_base) <= 300
    and link_base ~ '^https?://([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]{2,45}\])(:[0-9]{1,5})?(/[A-Za-z0-9._~/-]*)?$'
    and pg_catalog.length(pg_catalog.split_part(pg_catalog.split_part(link_base, '://', 2), '/', 1)) <= 253,
    false)
$$;
comment on function auth.safe_link_base(text) is
  'Whether a link base is http(s)://host[:port][/path] with a well-formed host of at most 253 '
  'characters (no whitespace, control characters, userinfo, query or fragment).';

create or replace function auth.issue_reset_token(
  target auth.users,
  token text,
  kind text,
  link_base text,
  client_ip inet,
  user_agent text,
  actor_user_id bigint default null
)
returns auth.password_reset_tokens
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  row_ auth.password_reset_tokens;
  mail_id bigint;
begin
  if token is null or token !~ '^[A-Za-z0-9_-]{43}$' then
    raise exception 'a reset token is 43 characters of base64url (32 random bytes)'
      using errcode = 'invalid_parameter_value';
  end if;
  if not auth.safe_link_base(link_base) then
    raise exception 'unsafe link base' using errcode = 'invalid_parameter_value',
      detail = 'unsafe_link_base', hint = 'set PGWARDEN_PUBLIC_URL';
  end if;
  insert into auth.password_reset_tokens (user_id, token_hash, kind, requested_ip,
    requested_user_agent, requested_at, expires_at, correlation_id, actor_user_id)
  values (target.id, pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8')), kind, client_ip,
          pg_catalog.left(user_agent, 512), at_,
          at_ + (select c.reset_token_ttl from auth.config c), pgwarden.correlation_id(),
          actor_user_id)
  returning * into row_;
  insert into auth.mail_outbox (recipient, subject, body, kind, reset_token_id, correlation_id)
  values (target.email, 'pgwarden — sign-in link', pg_catalog.concat_ws(E'\n',
      'Someone asked to reset the password of your pgwarden account.',
      '',
      'Open this link to choose a new password:',
      pg_catalog.rtrim(link_base, '/') || '/admin/reset-password/' || token,
      '',
      'The link expires in 1 hour and can only be used once.',
      'If your email account may be compromised, contact your administrator instead.',
      '',
      'When: ' || pg_catalog.to_char(at_ at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'),
      'From IP: ' || coalesce(pg_catalog.host(client_ip), 'unknown'),
      'Device: ' || coalesce(nullif(pg_catalog.left(user_agent, 200), ''), 'unknown'),
      'If this was not you, ignore this mail: your password stays as it is.'),
    'password_reset', row_.id, pgwarden.correlation_id())
  returning id into mail_id;
  perform pg_catalog.pg_notify('pgwarden_mail', mail_id::text);
  return row_;
end
$$;
comment on function auth.issue_reset_token(auth.users, text, text, text, inet, text, bigint) is
  'Stores a reset token (SHA-256 only, reset_token_ttl) and queues its mail in auth.mail_outbox, '
  'in the caller''s transaction; wakes the sender with NOTIFY pgwarden_mail.';

create or replace function auth.request_password_reset(
  email text,
  token text,
  link_base text,
  client_ip inet default null,
  user_agent text default null
)
returns void
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  u auth.users;
  t auth.password_reset_tokens;
begin
  if auth.throttle_hit('forgot', client_ip) > 0 then
    return;
  end if;
  select * into u from auth.users x
   where x.email = auth.normalize_email(coalesce(request_password_reset.email, '')) and x.is_active;
  if not found then
    return;
  end if;
  if not auth.safe_link_base(link_base) then
    perform audit.record('password_reset_self_request', 'auth.users', u.id::text,
      'password reset requested; no mail sent: the link base was unsafe',
      pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
        'email_send_status', 'failed', 'failure', 'unsafe_link_base',
        'requested_ip', pg_catalog.host(client_ip),
        'requested_user_agent', pg_catalog.left(user_agent, 200))), u.id);
    return;
  end if;
  t := auth.issue_reset_token(u, token, 'self', link_base, client_ip, user_agent);
  perform audit.record('password_reset_self_request', 'auth.users', u.id::text,
    'password reset link requested',
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'token_fingerprint', auth.token_fingerprint(token), 'email_send_status', 'queued',
      'requested_ip', pg_catalog.host(client_ip),
      'requested_user_agent', pg_catalog.left(user_agent, 200), 'expires_at', t.expires_at)),
    u.id);
end
$$;
comment on function auth.request_password_reset(text, text, text, inet, text) is
  'Forgot password: within the forgot budget, for a known active account only, stores a reset '
  'token and queues its mail (same transaction) and audits password_reset_self_request. Answers '
  'nothing either way.';

create or replace function auth.consume_password_reset(
  token text,
  new_password_hash text,
  client_ip inet default null,
  user_agent text default null
)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := auth.now();
  t auth.password_reset_tokens;
  revoked bigint[];
begin
  if auth.throttle_hit('reset', client_ip) > 0 then
    return null;
  end if;
  if token is null or token !~ '^[A-Za-z0-9_-]{43}$' then
    return null;
  end if;
  -- the atomic consume: of two concurrent calls with one token, exactly one gets the row
  update auth.password_reset_tokens x set consumed_at = at_
   where x.token_hash = pg_catalog.sha256(pg_catalog.convert_to(token, 'UTF8'))
     and x.consumed_at is null and x.expires_at > at_
  returning * into t;
  if not found then
    return null;
  end if;
  update auth.users u set password_hash = new_password_hash, must_change_password = false
   where u.id = t.user_id and u.is_active;
  if not found then
    return null;
  end if;
  revoked := auth.invalidate_sessions('user', 'password_reset', t.user_id);
  perform audit.record('password_reset_self_consume', 'auth.users', t.user_id::text,
    'password reset with a link',
    pg_catalog.jsonb_strip_nulls(pg_catalog.jsonb_build_object(
      'token_fingerprint', auth.token_fingerprint(token),
      'invalidated_session_count', pg_catalog.cardinality(revoked),
      'issued_by', case when t.kind = 'admin' then 'administrator' else 'self' end,
      'actor_user_id', t.actor_user_id,
      'ip', pg_catalog.host(client_ip), 'user_agent', pg_catalog.left(user_agent, 200))),
    t.user_id);
  return pg_catalog.cardinality(revoked);
end
$$;
comment on function auth.consume_password_reset(text, text, inet, text) is
  'Reset with a link: within the consume budget, consumes the token once, sets the password, '
  'revokes every session (password_reset), audits password_reset_self_consume; returns the '
  'number of sessions revoked, or NULL if the link is not valid.';

alter function auth.issue_reset_token(auth.users, text, text, text, inet, text, bigint)
  owner to pgw_auth_service;
alter function auth.request_password_reset(text, text, text, inet, text) owner to pgw_auth_service;
alter function auth.consume_password_reset(text, text, inet, text) owner to pgw_auth_service;
revoke execute on function auth.token_fingerprint(text), auth.safe_link_base(text),
  auth.issue_reset_token(auth.users, text, text, text, inet, text, bigint),
  auth.request_password_reset(text, text, text, inet, text),
  auth.consume_password_reset(text, text, inet, text) from public;
grant execute on function auth.token_fingerprint(text), auth.safe_link_base(text)
  to pgw_auth_service, authenticator;
grant execute on function auth.request_password_reset(text, text, text, inet, text),
  auth.consume_password_reset(text, text, inet, text) to authenticator;
