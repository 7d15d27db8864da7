-- Privileges of the DBA views: administrators read them (the owner reads everything anyway).
revoke all on audit.authority_events, audit.row_history, audit.chain_status, audit.audited_tables
  from public;
grant select on audit.authority_events, audit.row_history, audit.chain_status, audit.audited_tables
  to pgw_administrator;
