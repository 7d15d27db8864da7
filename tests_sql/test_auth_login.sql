-- Login bookkeeping in SQL (docs/sessions.md, rules 6-7): every failure is audited as
-- login_failed with its reason; max_failed_logins (5) wrong passwords inside failure_window
-- (10 min) lock the account for lock_duration (15 min, account_locked via auto_throttle); the
-- lock expires by itself; success resets the count; the per-IP budget answers a Retry-After.
begin;
select plan(22);

create function pg_temp.try(e text, ok boolean) returns text language sql as $$
  select outcome from auth.login_finish(e, (select id from auth.users where email = e), ok,
                                        md5(random()::text) || md5(random()::text))
$$;
create function pg_temp.failures(reason text) returns int language sql as $$
  select count(*)::int from audit.events where event = 'login_failed' and metadata ->> 'reason' = reason
$$;
insert into auth.users (email, password_hash) values
  ('eve@example.com', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA'),
  ('ina@example.com', '$argon2id$v=19$m=65536,t=3,p=4$c2FsdA$aGFzaA');
update auth.users set is_active = false where email = 'ina@example.com';

select results_eq($$ select user_id, password_hash, retry_after from auth.login_begin('nobody@example.com') $$,
                  $$ values (null::bigint, null::text, 0) $$, 'an unknown email: one row of NULLs');
select is((select user_id from auth.login_begin(' EVE@example.com ')),
          (select id from auth.users where email = 'eve@example.com'), 'the email is normalised for lookup');

select is(pg_temp.try('nobody@example.com', false), 'failed', 'unknown user: failed');
select is((select metadata from audit.events where event = 'login_failed'),
          jsonb_build_object('reason', 'unknown_user', 'email_fingerprint',
                             left(encode(sha256('nobody@example.com'), 'hex'), 8)),
          'unknown user: audited with a fingerprint, never the email');
select is(pg_temp.try('ina@example.com', true), 'failed', 'inactive user with the right password: failed');
select is(pg_temp.failures('inactive'), 1, 'inactive: audited');

select is(array(select pg_temp.try('eve@example.com', false) from generate_series(1, 4)),
          array['failed', 'failed', 'failed', 'failed'], 'four wrong passwords fail');
select is((select locked_until from auth.users where email = 'eve@example.com'), null, 'no lock after four');
select is((select failed_login_count from auth.users where email = 'eve@example.com'), 4, 'count is 4');
select is(pg_temp.try('eve@example.com', false), 'failed', 'the fifth fails');
select is((select locked_until from auth.users where email = 'eve@example.com'),
          now() + interval '15 minutes', 'the fifth locks for 15 minutes');
select is((select metadata ->> 'via' from audit.events where event = 'account_locked'), 'auto_throttle',
          'account_locked via auto_throttle');
select is((select actor_id from audit.events where event = 'account_locked'), null,
          'the automatic lock has no actor');
select is(pg_temp.try('eve@example.com', true), 'failed', 'locked: even the right password fails');
select is(pg_temp.failures('locked'), 1, 'locked: audited as reason locked');
select is(pg_temp.failures('wrong_password'), 5, 'five wrong_password events');

update auth.config set clock_offset = '16 minutes';
select is(pg_temp.try('eve@example.com', true), 'ok', 'after the lock expires the right password works');
select is((select (failed_login_count, locked_until) from auth.users where email = 'eve@example.com'),
          row(0, null::timestamptz), 'success resets the count and the lock');

-- Failures spread wider than the window do not lock.
do $$
begin
  for i in 1..6 loop
    update auth.config set clock_offset = make_interval(mins => 16 + 11 * i);
    perform pg_temp.try('eve@example.com', false);
  end loop;
end
$$;
select is((select locked_until from auth.users where email = 'eve@example.com'), null,
          'six failures 11 minutes apart do not lock');

-- Per-IP budget: 30 per 5 minutes.
update auth.config set clock_offset = '0';
select is(array(select distinct auth.ip_throttle_hit('192.0.2.7') from generate_series(1, 30)),
          array[0], '30 requests from one IP pass');
select ok(auth.ip_throttle_hit('192.0.2.7') between 299 and 300, 'the 31st gets a Retry-After of ~300 s');
update auth.config set clock_offset = '5 minutes';
select is(auth.ip_throttle_hit('192.0.2.7'), 0, 'the budget refills after the window');

select * from finish();
rollback;
