# The targets the README and CI call. `make run` and `make test` set up everything they need.
BIN  := .venv/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: help run test lint format bench db-stop clean

help:
	@echo "make run    install what is missing, start the embedded PostgreSQL, migrate, load the library example, serve http://$(HOST):$(PORT)/"
	@echo "make test   the same set-up, then every pgTAP and pytest test (browser tests included)"
	@echo "make lint   ruff check and format check"
	@echo "make bench  run the benchmarks in bench/ (minutes; results into bench/results/)"

run:
	@bash scripts/bootstrap.sh run
	@$(BIN)/pgwarden db start
	@$(BIN)/pgwarden migrate deploy
	@$(BIN)/pgwarden example load library --base-url http://$(HOST):$(PORT)
	@echo "Admin: http://$(HOST):$(PORT)/admin  (sign in with one of the demo accounts above)"
	@PGRST_DB_SCHEMAS=$${PGRST_DB_SCHEMAS:-api,library,audit,auth} $(BIN)/pgwarden serve --host $(HOST) --port $(PORT)

test:
	@bash scripts/bootstrap.sh test
	@$(BIN)/pytest

lint:
	@bash scripts/bootstrap.sh run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench:
	@bash scripts/bootstrap.sh test
	@$(BIN)/python -m pip install -q -r bench/requirements.txt
	$(BIN)/python bench/audit_insert.py
	$(BIN)/python bench/rest_bench.py
	$(BIN)/python bench/replica_bench.py

db-stop:
	@$(BIN)/pgwarden db stop

# Stop every cluster under .pgwarden/ (the embedded one and the test one) before deleting them;
# without the CLI, pg_ctl stops any server still running on a data folder there.
clean:
	-@if [ -x $(BIN)/pgwarden ]; then env -u DATABASE_URL $(BIN)/pgwarden db stop; fi
	-@for pid in $$(find .pgwarden -name postmaster.pid 2>/dev/null); do \
	  data=$$(dirname $$pid); pg=$$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | tail -1); \
	  if [ "$$(id -u)" = 0 ]; then runuser -u postgres -- $$pg/pg_ctl stop -m fast -D $$data; \
	  else $$pg/pg_ctl stop -m fast -D $$data; fi; done
	rm -rf .pgwarden .venv
