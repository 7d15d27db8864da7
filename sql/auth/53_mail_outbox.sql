-- Draining auth.mail_outbox (50_recovery_state.sql). A mail is queued in the transaction that
-- needs it (auth.issue_reset_token()), so a crash after that commit loses nothing. A sender (any
-- number of app processes; webui/mail) runs, in one transaction:
--   select * from auth.mail_claim(10);    -- due pending mails, FOR UPDATE SKIP LOCKED
--   … hands each to the transport …
--   select auth.mail_result(id, ok, error) -- sent, or retry with backoff, or failed
-- and commits. The row lock lasts until that commit, so two senders never hold the same mail;
-- a sender that dies before committing releases it and another sends it (at least once; a crash
-- after the transport accepted a mail and before the commit is the one case of a duplicate).
-- Bodies (they carry reset links) are scrubbed when a mail is sent or fails for good. Mails whose
-- reset link expired before they could be sent are failed, not sent. NOTIFY pgwarden_mail wakes
-- the senders. Tests: tests_py/test_mail_outbox.py, tests_sql/test_auth_recovery_tokens.sql.

create or replace function auth.mail_claim(batch integer default 10)
returns table (id bigint, recipient text, subject text, body text, attempts integer,
               correlation_id text)
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  at_ timestamptz := pg_catalog.now();
begin
  update auth.mail_outbox m
     set status = 'failed', body = null, last_error = 'the reset link expired before it was sent'
    from auth.password_reset_tokens t
   where t.id = m.reset_token_id and m.status = 'pending' and t.expires_at <= auth.now();
  update auth.password_reset_tokens t set mail_status = 'failed'
   where t.mail_status = 'pending'
     and exists (select 1 from auth.mail_outbox m
                  where m.reset_token_id = t.id and m.status = 'failed');
  return query
    select m.id, m.recipient, m.subject, m.body, m.attempts, m.correlation_id
      from auth.mail_outbox m
     where m.status = 'pending' and m.next_attempt_at <= at_
     order by m.next_attempt_at, m.id
     limit greatest(1, least(coalesce(batch, 10), 100))
       for update of m skip locked;
end
$$;
comment on function auth.mail_claim(integer) is
  'Locks and returns up to `batch` due pending mails (FOR UPDATE SKIP LOCKED, held until the '
  'caller commits); fails the mails whose reset link expired first.';

create or replace function auth.mail_result(mail_id bigint, ok boolean, error text default null)
returns text
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  m auth.mail_outbox;
  give_up boolean;
begin
  select * into m from auth.mail_outbox x where x.id = mail_id and x.status = 'pending';
  if not found then
    return null;
  end if;
  give_up := not ok and m.attempts + 1 >= (select c.mail_max_attempts from auth.config c);
  update auth.mail_outbox x
     set attempts = x.attempts + 1,
         status = case when ok then 'sent' when give_up then 'failed' else 'pending' end,
         body = case when ok or give_up then null else x.body end,
         sent_at = case when ok then pg_catalog.now() end,
         last_error = case when ok then null else pg_catalog.left(coalesce(error, 'failed'), 500) end,
         next_attempt_at = case when ok or give_up then x.next_attempt_at
           else pg_catalog.now() + least(interval '1 hour',
                                         interval '5 seconds' * power(2, x.attempts)) end
   where x.id = m.id
  returning * into m;
  if m.reset_token_id is not null and m.status <> 'pending' then
    update auth.password_reset_tokens t set mail_status = m.status where t.id = m.reset_token_id;
  end if;
  return m.status;
end
$$;
comment on function auth.mail_result(bigint, boolean, text) is
  'Records a send attempt: sent (body scrubbed), or retried with backoff (5 s doubling, at most '
  '1 h), or failed after mail_max_attempts (body scrubbed). Returns the new status.';

create or replace function auth.mail_status()
returns table (id bigint, created_at timestamptz, recipient text, subject text, kind text,
               status text, attempts integer, next_attempt_at timestamptz, last_error text,
               sent_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select m.id, m.created_at, m.recipient, m.subject, m.kind, m.status, m.attempts,
         m.next_attempt_at, m.last_error, m.sent_at
    from auth.mail_outbox m order by m.id desc limit 50
$$;
comment on function auth.mail_status() is
  'The 50 newest outbox mails without their bodies (for pgwarden mail outbox and operators).';

alter function auth.mail_claim(integer) owner to pgw_auth_service;
alter function auth.mail_result(bigint, boolean, text) owner to pgw_auth_service;
alter function auth.mail_status() owner to pgw_auth_service;
revoke execute on function auth.mail_claim(integer), auth.mail_result(bigint, boolean, text),
  auth.mail_status() from public;
grant execute on function auth.mail_claim(integer), auth.mail_result(bigint, boolean, text),
  auth.mail_status() to authenticator;
