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
	@$(BIN)/pgwarden example load library
	@echo "Admin: http://$(HOST):$(PORT)/admin  (sign in with one of the demo accounts above)"
	@PGRST_DB_SCHEMAS=$${PGRST_DB_SCHEMAS:-api,library,audit} $(BIN)/pgwarden serve --host $(HOST) --port $(PORT)

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

db-stop:
	@$(BIN)/pgwarden db stop

clean:
	-@$(BIN)/pgwarden db stop 2>/dev/null
	rm -rf .pgwarden .venv
