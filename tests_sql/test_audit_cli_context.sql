-- A command line's events carry metadata.os_actor and metadata.cli_operation
-- (sql/audit/45_cli_context.sql), and audit.cli_changes shows them.
begin;
select plan(9);

select pgwarden.begin_command('alice@db1', 'user create', 'cli-0123456789abcdef');
insert into auth.users (email, role) values ('cli-stamp@example.com', 'user');
select is((select metadata ->> 'os_actor' from audit.events where event = 'user_created'
            and target_id = (select id::text from auth.users where email = 'cli-stamp@example.com')),
          'alice@db1', 'an authority event of a CLI transaction carries metadata.os_actor');
select is((select cli_operation from audit.cli_changes where event = 'user_created'
            and correlation_id = 'cli-0123456789abcdef'),
          'user create', 'audit.cli_changes shows cli_operation');
select is((select os_actor from audit.cli_changes where event = 'user_created'
            and correlation_id = 'cli-0123456789abcdef'),
          'alice@db1', 'audit.cli_changes shows os_actor');

select audit.record('user_updated', 'auth.users', '1', 'other', '{}'::jsonb);
select is((select metadata ->> 'os_actor' from audit.events order by id desc limit 1), 'alice@db1',
          'audit.record() events are stamped too');

-- an event recorded for another correlation id (a bulk batch materialised later) is not
select audit.record_security_event('login_failed', null, null, null, 'x', '{}'::jsonb,
                                   'other-0123456789abcdef');
select is((select metadata ? 'os_actor' from audit.events order by id desc limit 1), false,
          'an event of another correlation id is not stamped');

select set_config('request.os_actor', '', true);
select audit.record('user_updated', 'auth.users', '1', 'no actor', '{}'::jsonb);
select is((select metadata ? 'os_actor' from audit.events order by id desc limit 1), false,
          'without request.os_actor nothing is added');

select function_privs_are('audit', 'stamp_cli_context', array[]::text[], 'public',
                          array[]::text[], 'PUBLIC may not call the stamping trigger function');

select table_privs_are('audit', 'cli_changes', 'pgw_staff', array[]::text[],
                       'staff may not read audit.cli_changes');

select function_privs_are('pgwarden', 'begin_command', array['text', 'text', 'text'], 'pgw_user',
                          array[]::text[], 'a tier may not claim an OS identity');

select * from finish();
rollback;
