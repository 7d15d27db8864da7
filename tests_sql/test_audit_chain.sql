-- Tamper evidence: audit.seal() links committed events in a hash chain kept in audit.seals;
-- audit.verify() reports the first broken or missing link: an event altered or deleted by a
-- superuser (who disables the guard for the purpose), a link removed, the tail cut off.
-- (Late commits and concurrent writers: tests_py/test_audit_chain.py.)
begin;
select plan(36);

select is_definer('audit', 'seal', array['integer'], 'audit.seal() is SECURITY DEFINER');
select is_definer('audit', 'verify', array[]::text[], 'audit.verify() is SECURITY DEFINER');
select is((select count(*)::int from pg_proc
            where oid in ('audit.seal(integer)'::regprocedure, 'audit.verify()'::regprocedure)
              and proconfig = array['search_path=""']), 2, 'both pin search_path to empty');
select function_privs_are('audit', 'seal', array['integer'], r, array['EXECUTE'], r || ' may seal')
  from unnest(array['authenticator', 'pgw_administrator']) r;
select function_privs_are('audit', 'seal', array['integer'], r, array[]::text[], r || ' may not seal')
  from unnest(array['public', 'pgw_anon', 'pgw_staff']) r;
select function_privs_are('audit', 'verify', array[]::text[], r, array[]::text[], r || ' may not verify')
  from unnest(array['public', 'authenticator', 'pgw_supervisor']) r;

select is((select ok::text || ' ' || checked from audit.verify()), 'true 0', 'an empty chain verifies');

create temporary table ids (n int, id bigint);
insert into ids select n, audit.record('login_succeeded', 'auth.users', n::text, 'event ' || n)
  from generate_series(1, 5) n;
select is(audit.seal(), 5::bigint, 'seal() links the 5 committed events');
select is(audit.seal(), 0::bigint, 'sealing again links nothing');
select is((select array_agg(event_id order by seq) from audit.seals),
          (select array_agg(id order by n) from ids), 'links follow id order');
select is((select ok::text || ' ' || checked || ' ' || unsealed from audit.verify()), 'true 5 0',
          'the chain of 5 verifies, nothing unsealed');
select is((select head from audit.verify()), (select encode(hash, 'hex') from audit.seals order by seq desc limit 1),
          'the head is the last link');
select is((select hash from audit.seals where seq = 1),
          (select audit.link_hash(audit.genesis(), e) from audit.events e where id = (select id from ids where n = 1)),
          'the first link covers the genesis hash');

insert into ids select n, audit.record('session_logout', 'auth.users', n::text) from generate_series(6, 8) n;
select is((select unsealed from audit.verify()), 3::bigint, 'verify() counts committed, unsealed events');
select is(audit.seal(2), 2::bigint, 'seal(2) links at most 2');
select is(audit.seal(2), 1::bigint, 'the next run links the rest');
select is((select ok::text || ' ' || checked || ' ' || unsealed from audit.verify()), 'true 8 0',
          'the chain of 8 verifies');

set local timezone = 'Asia/Tokyo';
select ok((select ok from audit.verify()), 'verification does not depend on the session time zone');
reset timezone;

-- Tampering, as a superuser who disables the guards.
savepoint tamper;
alter table audit.events disable trigger events_append_only;
update audit.events set summary = 'nothing to see' where id = (select id from ids where n = 3);
select is((select ok from audit.verify()), false, 'an altered event breaks the chain');
select is((select first_bad_event_id from audit.verify()), (select id from ids where n = 3),
          'verify() names the altered event');
select matches((select problem from audit.verify()), 'altered', 'and says it was altered');
rollback to savepoint tamper;

savepoint tamper;
alter table audit.events disable trigger events_append_only;
update audit.events set metadata = '{"reason":"x"}' where id = (select id from ids where n = 7);
update audit.events set summary = 'also' where id = (select id from ids where n = 4);
select is((select first_bad_event_id from audit.verify()), (select id from ids where n = 4),
          'verify() returns the first of several altered events');
rollback to savepoint tamper;

savepoint tamper;
alter table audit.events disable trigger events_append_only;
delete from audit.events where id = (select id from ids where n = 2);
select is((select first_bad_event_id from audit.verify()), (select id from ids where n = 2),
          'a deleted event is found');
select matches((select problem from audit.verify()), 'missing', 'and reported as missing');
rollback to savepoint tamper;

savepoint tamper;
alter table audit.seals disable trigger seals_append_only;
delete from audit.seals where seq = 4;
select is((select first_bad_seq || ' ' || problem from audit.verify()), '5 link 4 is missing',
          'a removed link is found');
rollback to savepoint tamper;

savepoint tamper;
alter table audit.seals disable trigger seals_append_only;
update audit.seals set hash = sha256('forged') where seq = 6;
select is((select first_bad_seq from audit.verify()), 6::bigint, 'a forged link is found');
rollback to savepoint tamper;

savepoint tamper;
alter table audit.seals disable trigger seals_append_only;
delete from audit.seals where seq = 8;
select matches((select problem from audit.verify()), 'truncated', 'a cut-off tail is found');
rollback to savepoint tamper;

select ok((select ok from audit.verify()), 'after the rollbacks the chain verifies again');

-- The chain itself is append-only.
select throws_ok($$ update audit.seals set hash = hash $$, '42501', null, 'links cannot be updated');
select throws_ok($$ delete from audit.seals $$, '42501', null, 'links cannot be deleted');
select throws_ok($$ select audit.seal(0) $$, '22023', null, 'seal(0) is a typed error');

select * from finish();
rollback;
