# Quick start: `make demo` and `make test`. Each creates or refreshes .venv with the pinned
# dependencies (requirements.lock) before running.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
STAMP := $(VENV)/.installed
BIN := $(VENV)/bin

.PHONY: demo test test-slow test-spark test-all lint bench install clean java

$(STAMP): requirements.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/bulle demo --workspace-dir ./demo-workspace

test: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/python -m pytest -n 2 -q

# The slow suite alone: ARX's whole conformance suite, the exhaustive optimum checks, crash tests at
# every point, the long-document and evaluation runs. CI runs it after `make test`.
test-slow: $(STAMP)
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q -m slow

# The Spark engine's runs (engine spec tests, same results as DuckDB on ARX cases, a workspace on
# Spark, a killed job): each starts a JVM, so they run apart, in one process, on local[1]/local[2].
test-spark: $(STAMP) java
	BULLE_SPARK=1 $(BIN)/python -m pytest -p no:xdist -q -m spark

# Spark needs a Java runtime (17 or later): installed from Debian when there is none.
java:
	@command -v java >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

test-all: $(STAMP)
	BULLE_SLOW=1 $(BIN)/python -m pytest -n 2 -q

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks scripts

clean:
	rm -rf $(VENV) demo-workspace .pytest_cache .ruff_cache .hypothesis
