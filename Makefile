# The README's first two commands: `make run` (set-up + main job on the bundled sample exports)
# and `make test`. Both create .venv and install the pinned dependencies when needed.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 3000
export DAGSTER_HOME ?= $(CURDIR)/warehouse/dagster_home


.PHONY: setup prepare lock run test test-fast test-spark spark-setup java browser lint format ui \
	docs diagram benchmark \
	benchmark-comments screenshots clean

setup: $(STAMP) prepare

# The dbt manifest Dagster loads, prepared ahead (dbt parse) so that loading the code location
# parses nothing; again only when the dbt project changed (orchestration/transform/manifest.py).
# Also the Vega JavaScript the journey map page inlines (bundled once, ~8 s, then cached).
prepare: $(STAMP)
	$(BIN)/python -m orchestration.transform.manifest
	$(BIN)/python -m orchestration.report.bundle

CONSTRAINTS := .ci/constraints.txt

$(STAMP): pyproject.toml $(CONSTRAINTS)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# Re-lock every transitive version after a deliberate change of the pins in pyproject.toml.
lock:
	rm -rf .venv-lock && $(PYTHON) -m venv .venv-lock
	.venv-lock/bin/python -m pip install --quiet --upgrade pip
	.venv-lock/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Every package version of a working environment (pip freeze), used as pip constraints by"; \
	  echo "# \`make setup\` so that transitive dependencies do not drift. Regenerate with \`make lock\`."; \
	  .venv-lock/bin/pip freeze --exclude-editable | grep -v '^customer-journey-warehouse'; } > $(CONSTRAINTS)
	rm -rf .venv-lock

$(DAGSTER_HOME)/dagster.yaml: $(STAMP)
	$(BIN)/python -c "import pathlib, orchestration.cli as c; c.ensure_dagster_yaml(pathlib.Path('$(DAGSTER_HOME)'))"

run: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/cjm run

# Headless Chromium for the browser tests (journey map page, Dagster UI): Debian's package,
# installed when missing (needs root, as on CI; otherwise install it yourself).
browser:
	@command -v chromium >/dev/null 2>&1 || { echo "installing chromium (apt-get) ..."; \
	  DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# Two workers (pytest-xdist), one per core: the whole-job tests are mostly single-threaded Python.
# loadgroup: tests marked xdist_group("...") share one worker (and so one module fixture).
test: setup browser
	$(BIN)/pytest -n 2 --dist loadgroup -m "not spark"

test-fast: setup browser
	$(BIN)/pytest -n 2 --dist loadgroup -m "not slow"

# The dbt project on Apache Spark (README "Running on Spark"): dbt-spark and PySpark in a
# virtual environment of their own, .venv-spark (PySpark beside Great Expectations breaks GX's
# import in pytest-xdist workers), Java 17 from the system packages when missing (needs root, as
# on CI), then the test that builds every mart on Spark and compares it with DuckDB's.
SPARK_STAMP := .venv-spark/.installed

$(SPARK_STAMP): .ci/constraints-spark.txt pyproject.toml
	test -x .venv-spark/bin/python || $(PYTHON) -m venv .venv-spark
	.venv-spark/bin/python -m pip install --quiet --upgrade pip
	.venv-spark/bin/python -m pip install --quiet -c .ci/constraints-spark.txt \
	  dbt-core dbt-spark[session] pyspark
	# cjm-dbt (orchestration/dbt_child.py: dbt that dies with the job that started it), which
	# `CJM_ENGINE=spark` runs; the project itself without its dependencies
	.venv-spark/bin/python -m pip install --quiet --no-deps -e .
	touch $(SPARK_STAMP)

java:
	@command -v java >/dev/null || { apt-get update -qq && apt-get install -y -qq openjdk-17-jre-headless; }

spark-setup: $(SPARK_STAMP) java

test-spark: setup spark-setup
	$(BIN)/pytest -m spark -s tests/integration/test_spark.py

# dbt docs of every model, column, test and exposure, with column types from the warehouse
# (run `make run` first): one self-contained page, dbt_project/target_docs/static_index.html.
WAREHOUSE ?= $(CURDIR)/warehouse/cjm.duckdb
docs: setup
	cd dbt_project && CJM_WAREHOUSE=$(WAREHOUSE) ../$(BIN)/dbt docs generate --static --target-path target_docs --quiet
	@echo "dbt docs: $(CURDIR)/dbt_project/target_docs/static_index.html"

# docs/flow.{dot,svg,png}: the flow from export file to mart, drawn from the Dagster
# definitions (needs Graphviz: apt-get install graphviz).
diagram: setup
	$(BIN)/python -m orchestration.diagram

lint: $(STAMP)
	$(BIN)/ruff check orchestration tests
	$(BIN)/ruff format --check orchestration tests
	cd dbt_project && DBT_TARGET_PATH=target_lint ../$(BIN)/sqlfluff lint --processes 2 models macros tests

format: $(STAMP)
	$(BIN)/ruff format orchestration tests
	$(BIN)/ruff check --fix orchestration tests

ui: setup $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/dagster dev -m orchestration.definitions -h 127.0.0.1 -p $(PORT)

benchmark: $(STAMP)
	$(BIN)/cjm benchmark --customers $(or $(CUSTOMERS),20000)

# Accuracy and speed of comment scoring on the labelled comments in tests/fixtures/comments/.
benchmark-comments: $(STAMP)
	$(BIN)/cjm benchmark --comments

# docs/journey_map.png: the journey map page of a sample run, in headless Chromium (no network).
screenshots: setup
	$(BIN)/python -m tests.browser docs/journey_map.png

clean:
	rm -rf warehouse dbt_project/target dbt_project/target_lint dbt_project/target_spark \
	  dbt_project/logs
