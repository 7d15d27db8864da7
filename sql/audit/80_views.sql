-- Views for DBAs and the admin: plain SQL over the events. security_invoker, so the reader's
-- own privileges apply (administrators and the owner). Ready-to-run queries: docs/audit-queries.md.

create or replace view audit.authority_events with (security_invoker = true) as
select e.id, e.occurred_at, e.event, t.category, e.actor_id, e.db_role, e.set_role, e.session_id,
       e.correlation_id, e.client_ip, e.target_table, e.target_id, e.summary, e.metadata
  from audit.events e
  join audit.event_types t on t.id = e.event
 where t.category <> 'row';
comment on view audit.authority_events is
  'Every non-row event (accounts, credentials, sessions, access, the audit itself), with its category.';

create or replace view audit.row_history with (security_invoker = true) as
select e.id, e.occurred_at, e.target_table, e.target_id, e.event, e.actor_id, e.db_role,
       e.set_role, e.correlation_id,
       coalesce(array(select pg_catalog.jsonb_array_elements_text(e.metadata -> 'changed')),
                '{}') as changed,
       e.before, e.after
  from audit.events e
 where e.event in ('create', 'update', 'delete', 'table_truncated')
union all
select null, b.occurred_at, b.target_table, r.target_id, b.event, b.actor_id, b.db_role,
       b.set_role, b.correlation_id,
       coalesce(array(select pg_catalog.jsonb_array_elements_text(r.metadata -> 'changed')),
                '{}'),
       r.before, r.after
  from audit.pending_batches() b
 cross join lateral audit.batch_events(b) r;
comment on view audit.row_history is
  'Row events of audited tables: who changed which row (target_table, target_id), when, and the '
  'redacted before/after. Rows of a bulk statement not yet materialised by audit.seal() show '
  'with a NULL id.';

create or replace view audit.chain_status with (security_invoker = true) as
select s.last_seq as sealed_links, pg_catalog.encode(s.head, 'hex') as head, s.sealed_at,
       u.unsealed, u.oldest_unsealed_at
  from audit.seal_state s
  cross join lateral (
    select coalesce(pg_catalog.sum(w.n), 0)::bigint as unsealed,
           pg_catalog.min(w.at) as oldest_unsealed_at
      from (select 1 as n, ev.occurred_at as at
              from audit.events ev
             where ev.txid >= s.horizon
               and not exists (select 1 from audit.seals l where l.event_id = ev.id)
            union all
            select b.row_count, b.occurred_at from audit.pending_batches() b) w) u;
comment on view audit.chain_status is
  'The hash chain: links sealed, head hash, last seal time, and the window (committed events '
  'not sealed yet, rows of pending bulk batches included).';

create or replace view audit.audited_tables with (security_invoker = true) as
select t.tgrelid::regclass as audited_table,
       audit.enabled_redaction(t.tgrelid) as redact,
       audit.redacted_columns(t.tgrelid, audit.enabled_redaction(t.tgrelid)) as redacted_columns
  from pg_catalog.pg_trigger t
 where t.tgname = 'audit_row_insert';
comment on view audit.audited_tables is
  'Tables with row audit enabled, the explicit redaction list, and every column redacted today.';
