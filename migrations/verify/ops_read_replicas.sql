-- Verify pgwarden:ops_read_replicas on pg
BEGIN;
do $$
begin
  if pg_catalog.strpos(pg_catalog.pg_get_functiondef('auth.resolve_session(text)'::regprocedure),
                       'pg_is_in_recovery') = 0 then
    raise exception 'auth.resolve_session() still touches sessions on a hot standby';
  end if;
end
$$;
ROLLBACK;
