# The two commands of the README: `make demo` (the main job) and `make test` (what CI runs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DFS := $(BIN)/delivery-fs
FEAST := $(BIN)/feast
# Feast's CLI with the project's filters for library warnings a user cannot act on (feature_repo/core/library_warnings.py)
QUIET_FEAST := $(BIN)/python -m feature_repo.cli.feast_cli

# Parallel workers of `make test` (pytest-xdist); the tests mostly wait on servers and subprocesses.
TEST_WORKERS ?= 3

.PHONY: demo test test-fast test-other-pythons bench soak feast-online-store-tests require-redis require-java require-chromium require-wrk require-taskset lint install \
	install-dev catalogue clean serve ui ui-screenshot scoring-service docs

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(BIN)/python
	@# --quiet twice: errors only (a machine's pip configuration may warn about its own indexes)
	$(BIN)/pip install --quiet --quiet -c constraints.txt -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml tools/pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev,redis,aws,spark]' -e ./tools
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## The main job on the embedded default (files + SQLite): safe and quick to rerun.
demo: install
	$(DFS) generate-data
	$(DFS) build-features
	$(QUIET_FEAST) apply
	$(DFS) check-quality
	$(DFS) backfill-online
	$(QUIET_FEAST) materialize-incremental $$($(DFS) data-horizon)
	$(DFS) show-training-frame
	$(DFS) show-online
	$(DFS) train
	$(DFS) score-churn 112312 118004 --as-of horizon
	@# monitor exits 1 when a feature drifted (the demo's last month drifts in time); 2 is an error
	$(DFS) monitor --until horizon || [ $$? -eq 1 ]

## Everything the tests need, then the tests, in parallel. The tests start their servers themselves
## (redis-server, a Redis Cluster, moto, the SageMaker emulator, feast ui + Chromium, local Spark).
test: install-dev require-redis require-java require-chromium require-wrk
	$(BIN)/pytest -n $(TEST_WORKERS)

## The unit tests only: no built data, server, browser or Spark (seconds, not minutes).
## Deprecation warnings are not silenced (for the commands the tests run either): pyproject.toml's
## filterwarnings fails a test on Feast's, ibis's and our own.
test-fast: install-dev
	PYTHONWARNINGS=ignore::RuntimeWarning,ignore::UserWarning $(BIN)/pytest -n 0 -m "not integration"

## The other Pythons we support (3.12, 3.13): for each, a venv of its own (.venv-3.12, ...) from the same
## constraints, an install check and the unit tests. The interpreter: pyenv's newest X.Y.*, else a
## working pythonX.Y on the PATH; none is an error (CI runs the full suite on 3.11, this on the others).
OTHER_PYTHONS := 3.12 3.13
test-other-pythons: $(addprefix test-python-,$(OTHER_PYTHONS))

test-python-%:
	@interpreter=$$(ls -d $${PYENV_ROOT:-$$HOME/.pyenv}/versions/$*.*/bin/python$* 2>/dev/null | sort -V | tail -1); \
	if [ -z "$$interpreter" ] && python$* -c "" 2>/dev/null; then interpreter=$$(command -v python$*); fi; \
	if [ -z "$$interpreter" ]; then \
	  echo "error: no Python $* (python$* on the PATH, or pyenv's versions/$*.*): pyenv install $*"; exit 1; fi; \
	echo "Python $*: $$interpreter"; \
	[ -x .venv-$*/bin/python ] || $$interpreter -m venv .venv-$*
	.venv-$*/bin/pip install --quiet -c constraints.txt -e '.[dev,redis,aws,spark]' -e ./tools
	.venv-$*/bin/delivery-fs --help >/dev/null
	PYTHONWARNINGS=ignore::RuntimeWarning,ignore::UserWarning .venv-$*/bin/pytest -n 0 -p no:cacheprovider -m "not integration"

## The performance figures against same-run baselines (x1 and x10; BENCH_ARGS=--scale-max 100 for x100):
## a table, bench/results.json; see docs/benchmarks.md. Not part of `make test`.
## Every tool a section needs is checked first: a run must not fail in its last section.
bench: install-dev require-redis require-java require-wrk require-taskset
	$(BIN)/delivery-fs-bench $(BENCH_ARGS)

## A soak with faults (docs/soak.md): the scoring service on Redis (AOF, fsync always) under wrk reads
## and pushes for SOAK_MINUTES (default 10), Redis and a worker killed, a build killed, a batch sent
## twice; checks that no acknowledged order is lost or doubled; bench/soak.json. Not part of `make test`.
SOAK_MINUTES ?= 10
soak: install-dev require-redis require-wrk
	$(BIN)/python -m devtools.soak --minutes $(SOAK_MINUTES) $(SOAK_ARGS)

## Feast's own online-store tests against our classes (docs/feast_suite.md): Feast's universal
## online-store and materialization tests, run for Feast's classes and engine, ours with Feast's engine,
## and ours with ours (SQLite, Redis, DynamoDB on moto); fails when a test Feast's classes pass fails for
## ours. Feast's test tree of the installed tag is fetched into .feast-suite/ (FEAST_SRC=... to use an
## unpacked copy). Its own environment: Feast pins pytest below 8. Not part of `make test`.
FEAST_SUITE_VENV := .venv-feast-suite
$(FEAST_SUITE_VENV)/.installed: pyproject.toml tools/pyproject.toml constraints.txt tools/devtools/feast_suite/requirements.txt
	$(PYTHON) -m venv $(FEAST_SUITE_VENV)
	$(FEAST_SUITE_VENV)/bin/pip install --quiet -c constraints.txt -e '.[redis,aws]' -e ./tools
	@# Feast's test tools replace pytest 9 of the constraints, in this environment only
	$(FEAST_SUITE_VENV)/bin/pip install --quiet -r tools/devtools/feast_suite/requirements.txt
	touch $@
feast-online-store-tests: $(FEAST_SUITE_VENV)/.installed require-redis
	$(FEAST_SUITE_VENV)/bin/python -m devtools.feast_suite $(if $(FEAST_SRC),--feast-src $(FEAST_SRC)) $(FEAST_SUITE_ARGS)

# $(call require-program,COMMAND,DEBIAN PACKAGE,WHAT NEEDS IT): fine when COMMAND is on the PATH;
# else installed with apt-get when we are root, else a clear error.
define require-program
@command -v $(1) >/dev/null || { \
  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
    echo "installing $(2) for $(3)"; \
    apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; \
  else \
    echo "error: \`$(1)\` is required by $(3) and was not found."; \
    echo "       Debian/Ubuntu: sudo apt-get install -y $(2)"; \
    exit 1; \
  fi; }
endef

## redis-server and redis-cli (Debian's redis-server package) for the store tests.
require-redis:
	$(call require-program,redis-server,redis-server,the store tests (Redis and Redis Cluster))
	$(call require-program,redis-cli,redis-server,the store tests (Redis Cluster))

## wrk, the HTTP load generator of the bench's serving section.
require-wrk:
	$(call require-program,wrk,wrk,the HTTP figures of make bench)

## taskset (util-linux) for the bench's pinned wrk figure: server and wrk on separate cores.
require-taskset:
	$(call require-program,taskset,util-linux,the pinned HTTP figure of make bench)

## Java 17 or newer for the Spark tests (PySpark 4 runs on the JVM).
require-java:
	$(call require-program,java,openjdk-17-jre-headless,the Spark tests)
	@version=$$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'); \
	[ "$${version%%.*}" -ge 17 ] 2>/dev/null || { \
	  echo "error: the Spark tests need Java 17 or newer; \`java\` is version $${version:-unknown}."; \
	  echo "       Debian/Ubuntu: sudo apt-get install -y openjdk-17-jre-headless (and put it first on the PATH)"; \
	  exit 1; }

## Headless Chromium (Debian's chromium package) for the UI test and `make ui-screenshot`.
require-chromium:
	$(call require-program,chromium,chromium,the UI test and make ui-screenshot)

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(DFS) catalogue --check

## Feast's feature server, configured not to stall (see docs/serving.md).
serve: install
	$(FEAST) serve -h 127.0.0.1 -p 6566 --max-requests 0 --no-access-log

ui: install
	$(FEAST) ui -h 127.0.0.1 -p 8888

## docs/feast-ui.png, the README's picture of Feast's UI on the demo's store (after `make demo`).
ui-screenshot: install-dev require-chromium
	$(BIN)/python -m devtools.ui_screenshot

scoring-service: install
	$(BIN)/uvicorn feature_repo.serving.service.scoring_service:app --host 127.0.0.1 --port 8000

catalogue: install
	$(DFS) catalogue

## The documentation site (mkdocs.yml, docs/) into site/, failing on any warning (a broken link, an
## API page whose module does not import); tests/test_docs_site.py also opens every page in Chromium.
docs: install-dev
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --site-dir site

clean:
	rm -rf data/raw data/features data/registry.db data/online_store.db

## Feast's feature, offline and registry servers behind OIDC (profiles/feature_store.secure.yaml;
## docs/access-control.md), on 127.0.0.1: SECURE_SERVERS_ARGS="--host 0.0.0.0" to listen wider.
.PHONY: secure-servers
secure-servers: install
	$(BIN)/python scripts/secure_servers.py $(SECURE_SERVERS_ARGS)
