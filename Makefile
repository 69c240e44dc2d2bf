# The README's first two commands: `make run` (set-up + main job on the bundled sample exports)
# and `make test`. Both create .venv and install the pinned dependencies when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
export DAGSTER_HOME ?= $(CURDIR)/warehouse/dagster_home

.PHONY: setup run test test-fast lint format ui benchmark clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(DAGSTER_HOME)/dagster.yaml:
	mkdir -p $(DAGSTER_HOME)
	printf '# Dagster instance of cjm run and make ui\ntelemetry:\n  enabled: false\n' > $@

run: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/cjm run

test: $(STAMP)
	$(BIN)/pytest

test-fast: $(STAMP)
	$(BIN)/pytest -m "not slow"

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	cd dbt_project && DBT_TARGET_PATH=target_lint ../$(BIN)/sqlfluff lint models

format: $(STAMP)
	$(BIN)/ruff format orchestration tests
	$(BIN)/ruff check --fix orchestration tests

ui: $(STAMP) $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(PORT)

benchmark: $(STAMP)
	$(BIN)/cjm benchmark --customers $(or $(CUSTOMERS),20000)

clean:
	rm -rf warehouse dbt_project/target dbt_project/target_lint dbt_project/logs
