-- Loaded after rest_fixtures.sql by tests_py/test_rest_dialect.py only (tests; never in sql/):
-- an account per tier with a live session, a view over auth.users (the rank guards' codes), a
-- table whose policy recurses, functions that raise PostgREST's custom statuses, a
-- pre-request hook that does too, and values CSV must quote.

-- One account and one live session per tier (alice and bob, tier user, come from
-- rest_fixtures.sql).
insert into auth.users (id, email, role) overriding system value values
  (11, 'staff@example.com', 'staff'), (12, 'supervisor@example.com', 'supervisor'),
  (13, 'administrator@example.com', 'administrator'), (14, 'developer@example.com', 'developer');
insert into auth.sessions (id, user_id, token_hash, created_at, last_seen_at, idle_expires_at,
                           absolute_expires_at) overriding system value
  select x.uid + 100, x.uid, pg_catalog.sha256(pg_catalog.convert_to(x.token, 'UTF8')), now(),
         now(), now() + interval '1 day', now() + interval '2 days'
  from (values (11, 'session-of-staff-0123456789abcdef0123456'),
               (12, 'session-of-supervisor-0123456789abcdef01'),
               (13, 'session-of-administrator-0123456789abcde'),
               (14, 'session-of-developer-0123456789abcdef012')) x(uid, token);

-- The identity table through a view: inserting a tier above one's own is the database's
-- `role_ceiling` refusal (42501, the code as DETAIL).
create view test_api.accounts with (security_invoker = true) as
  select id, email, role from auth.users;
grant select, insert on test_api.accounts to pgw_staff;

-- A policy that reads its own table: PostgreSQL refuses it with 42P17 on any read.
create table test_api.looping (id integer primary key);
alter table test_api.looping enable row level security;
create policy looping_self on test_api.looping for select to pgw_anon, pgw_user
  using (exists (select 1 from test_api.looping l where l.id = looping.id));
grant select on test_api.looping to pgw_anon, pgw_user;
insert into test_api.looping values (1);

-- Custom statuses from SQL, as PostgREST's spec fixtures raise them.
create function test_api.raise_pt402() returns void
language plpgsql as $$
begin
  raise sqlstate 'PT402' using message = 'Payment Required', detail = 'Quota exceeded',
    hint = 'Upgrade your plan';
end $$;
create function test_api.raise_bad_pt() returns void
language plpgsql as $$ begin raise sqlstate 'PT40A' using message = 'Wrong'; end $$;
create function test_api.raise_pgrst() returns void
language plpgsql as $$
begin
  raise sqlstate 'PGRST' using message = '{"code":"123","message":"ABC","details":"DEF","hint":"XYZ"}',
    detail = '{"status":332,"headers":{"X-Header":"Value"}}';
end $$;
create function test_api.dialect_pre_request() returns void
language plpgsql stable as $$
begin
  perform test_api.pre_request();
  if current_setting('request.headers', true)::json->>'x-pay' = 'no' then
    raise sqlstate 'PT402' using message = 'Payment Required', hint = 'from db-pre-request';
  end if;
end $$;
create function test_api.claims() returns jsonb
language sql stable as $$ select current_setting('request.jwt.claims', true)::jsonb $$;
create function test_api.volatile_echo(v text) returns text
language sql volatile as $$ select v $$;
create function test_api.stable_echo(v text) returns text
language sql stable as $$ select v $$;
grant execute on function test_api.raise_pt402(), test_api.raise_bad_pt(), test_api.raise_pgrst(),
  test_api.dialect_pre_request(), test_api.claims(), test_api.volatile_echo(text),
  test_api.stable_echo(text) to pgw_anon, pgw_user;

-- A table without row-level security: its NOT NULL violation's DETAIL shows the failing row,
-- which the caller may read.
create table test_api.open_items (id integer primary key, name text not null, note text);
grant select, insert, update, delete on test_api.open_items to pgw_user;
-- Values CSV must quote as PostgreSQL's row text does.
create table test_api.odd_texts (id integer primary key, t text);
grant select on test_api.odd_texts to pgw_anon;
insert into test_api.odd_texts values
  (1, 'plain'), (2, 'two words'), (3, 'a,b'), (4, 'say "hi"'), (5, '(x)'), (6, ''), (7, null),
  (8, 'back\slash'), (9, e'line\nbreak');
-- A name with a comma, for quoted values in logic trees.
insert into test_api.authors (id, name, country) values (50, 'Le Guin, Ursula', 'US');
