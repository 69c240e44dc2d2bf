"""Shared fixtures: the repository paths and a quiet environment for Dagster, dbt and GX."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
# CJM_TEST_SAMPLE: another landing folder (with its truth.json) for the sample-run tests, e.g. a
# sample generated into /tmp after a generator change, before seeds/ is regenerated.
SAMPLE_LANDING = Path(os.environ.get("CJM_TEST_SAMPLE") or REPO_ROOT / "seeds")
FIXTURES = Path(__file__).resolve().parent / "fixtures"

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# One salt for every warehouse a test makes, so that copies of a warehouse (without the salt
# file beside it) can load again; tests of the salt file itself unset it.
os.environ.setdefault("CJM_PII_SALT", "cjm-test-salt")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO_ROOT


@pytest.fixture(scope="session")
def sample_landing() -> Path:
    return SAMPLE_LANDING


def dbt_target(folder: Path) -> Path:
    """A dbt --target-path for a test's own dbt command, holding the prepared parse, so that
    dbt does not parse the whole project again (see orchestration/transform/manifest.py)."""
    from orchestration.transform.manifest import start_from_prepared_parse

    return start_from_prepared_parse(folder)


def make_landing(root: Path, files: dict[str, Path | bytes | str]) -> Path:
    """A landing folder with ``files`` (relative path -> fixture path, bytes or text)."""
    landing = root / "landing"
    landing.mkdir(parents=True, exist_ok=True)
    for relative, content in files.items():
        target = landing / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Path):
            shutil.copyfile(content, target)
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")
    return landing


@contextlib.contextmanager
def duckdb_file_held_by_another_process(path: Path) -> Iterator[int]:
    """Another process holds ``path`` open read-write (DuckDB's file lock); yields its PID."""
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, time; c = duckdb.connect({str(path)!r}); print('open', flush=True);"
         " time.sleep(60)"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder.pid
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()


def _at_check_time(text: str) -> str:
    """Reasons name the upper bound "now" (time of the check + 1 day), which differs by the
    seconds between two runs: mask upper bounds that are times."""
    return re.sub(r"and \d{4}-\d\d-\d\d \d\d:\d\d:\d\d", "and <max>", text)


def signature(result) -> tuple:  # noqa: ANN001
    """What a check reports, independent of the order the engine returns it in."""
    return (
        result.suite_name,
        result.rows_checked,
        result.expectations,
        sorted(
            (
                f.expectation,
                f.column or "",
                _at_check_time(f.reason),
                f.unexpected_count,
                sorted(
                    (
                        r["source_file"],
                        r["source_row"],
                        str(r.get("value")),
                        _at_check_time(r.get("reason", "")),
                    )
                    for r in f.rows
                ),
            )
            for f in result.failures
        ),
    )


def assert_engines_agree(con, raw_table: str):  # noqa: ANN001, ANN201
    """Run the suite in DuckDB and with GX on pandas; both must report the same; returns it."""
    from orchestration.quality.gx_suites import run_suite
    from orchestration.resources import EXPECTATIONS_DIR

    in_duckdb = run_suite(con, raw_table, EXPECTATIONS_DIR, engine="duckdb")
    with_gx = run_suite(con, raw_table, EXPECTATIONS_DIR, engine="gx")
    assert signature(in_duckdb) == signature(with_gx)
    return in_duckdb


def pytest_configure(config: pytest.Config) -> None:
    """Prepare the dbt manifest once (only if the dbt project changed since it was prepared),
    before pytest-xdist starts its workers, which load the code location from it."""
    if hasattr(config, "workerinput"):  # a worker: the controller has prepared the manifest
        return
    from orchestration.transform.manifest import ensure_manifest

    ensure_manifest()
