-- Run once by the postgres image's entrypoint, in POSTGRES_DB (pgwarden), on a new data folder.
create extension if not exists pg_cron;
