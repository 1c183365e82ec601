# The two commands of the README: `make demo` (the main job) and `make test` (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DFS := $(BIN)/delivery-fs
FEAST := $(BIN)/feast
export PYTHONWARNINGS ?= ignore::RuntimeWarning,ignore::DeprecationWarning,ignore::UserWarning

.PHONY: demo test bench require-redis lint install install-dev catalogue clean serve ui scoring-service

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,redis,aws,spark]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## The main job on the embedded default (files + SQLite): safe and quick to rerun.
demo: install
	$(DFS) generate-data
	$(DFS) build-features
	$(FEAST) apply
	$(DFS) check-quality
	$(DFS) backfill-online
	$(FEAST) materialize-incremental $$($(DFS) data-horizon)
	$(DFS) show-training-frame
	$(DFS) show-online

## Everything the tests need, then the tests. The store tests start redis-server themselves.
test: install-dev require-redis
	$(BIN)/pytest

## Issue 7's figures against same-run baselines (x1 and x10; BENCH_ARGS=--scale-max 100 for x100):
## a table, bench/results.json; see docs/benchmarks.md. Not part of `make test`.
bench: install-dev require-redis
	$(BIN)/delivery-fs-bench $(BENCH_ARGS)

## redis-server and redis-cli from the system package: installed here when missing and we are root.
require-redis:
	@command -v redis-server >/dev/null && command -v redis-cli >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq redis-server >/dev/null; \
	  else \
	    echo "error: redis-server and redis-cli are required by the store tests (Redis and Redis Cluster)."; \
	    echo "       Debian/Ubuntu: sudo apt-get install -y redis-server"; \
	    exit 1; \
	  fi; }

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(DFS) catalogue --check

## Feast's feature server, configured not to stall (see README).
serve: install
	$(FEAST) serve -h 127.0.0.1 -p 6566 --max-requests 0 --no-access-log

ui: install
	$(FEAST) ui -h 127.0.0.1 -p 8888

scoring-service: install
	$(BIN)/uvicorn feature_repo.serving.scoring_service:app --host 127.0.0.1 --port 8000

catalogue: install
	$(DFS) catalogue

clean:
	rm -rf data/raw data/features data/registry.db data/online_store.db

## Feast's feature, offline and registry servers behind OIDC (profiles/feature_store.secure.yaml;
## README "Access control"), on 127.0.0.1: SECURE_SERVERS_ARGS="--host 0.0.0.0" to listen wider.
.PHONY: secure-servers
secure-servers: install
	$(BIN)/python scripts/secure_servers.py $(SECURE_SERVERS_ARGS)
