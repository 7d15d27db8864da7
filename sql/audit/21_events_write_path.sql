-- audit.events on the writers' path (state, changed once by the sqitch change audit_write_path).
-- Every audited write inserts here inside the writer's transaction, so what each insert checks
-- and indexes is paid by every single-row INSERT, UPDATE and DELETE of an audited table
-- (breakdown: bench/results/audit_insert.md). The foreign key to audit.event_types is gone: it
-- ran one RI query per event and took a KEY SHARE lock on the catalog row ('create', 'update',
-- …), a lock every concurrent writer of the same kind shares. Membership in the catalog is
-- checked by audit.seal() before it links an event (60_chain.sql) instead; the writers (the
-- capture triggers, audit.record(), audit.record_security_event()) only ever write catalog
-- identifiers, and the catalog never loses one (10_event_types.sql). Tests: tests_sql/test_audit_write_path.sql.

alter table audit.events drop constraint if exists events_event_fkey;
