"""Runs every catalogue case (tests/catalogue/cases_*.py) through the real ingestion.

Each case is delivered into a fresh landing folder and DuckDB file; after every delivery all raw
tables are ingested and the landing inventory recorded, exactly as the Dagster assets do. Then
the case's ledger outcomes, quarantine rows and extra checks are asserted, and for every ledger
row the counts must reconcile: rows read = loaded + quarantined + held, and a loaded file's
rows_loaded equals the rows it has in raw.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import (
    RAW_TABLES,
    IngestSettings,
    ingest_raw_table,
    record_unclaimed_files,
)
from orchestration.ingestion.ledger import CURRENT_FILES_SQL
from tests.catalogue.case import Case, Content, Symlink
from tests.conftest import assert_engines_agree


def _load_cases() -> list[Case]:
    cases: list[Case] = []
    for module in sorted(Path(__file__).parent.glob("cases_*.py")):
        cases.extend(importlib.import_module(f"tests.catalogue.{module.stem}").CASES)
    return cases


CASES = _load_cases()


def _deliver(landing: Path, files: dict[str, Content | None]) -> None:
    for relative, content in files.items():
        target = landing / relative
        if target.is_symlink() or target.exists():
            target.unlink()
        if content is None:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, Symlink):
            target.symlink_to(content.target)
        elif isinstance(content, Path):
            target.write_bytes(content.read_bytes())
        elif isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _ingest(con: duckdb.DuckDBPyConnection, landing: Path) -> None:
    settings = IngestSettings()
    for raw_table in RAW_TABLES:
        ingest_raw_table(con, landing, raw_table, settings)
    record_unclaimed_files(con, landing)


def _run_suites(con: duckdb.DuckDBPyConnection, case: Case) -> dict[str, bool]:
    from orchestration.quality.checks import quarantine_failures

    passed = {}
    for raw_table in case.gx_passes:
        result = assert_engines_agree(con, raw_table)  # the DuckDB engine and GX on pandas
        quarantine_failures(con, result)
        passed[raw_table] = result.passed
    return passed


def _assert_counts_reconcile(con: duckdb.DuckDBPyConnection) -> None:
    broken = con.execute(
        "select source_file, status, rows_read, rows_loaded, rows_quarantined, rows_held"
        " from ops.load_ledger"
        " where rows_read <> rows_loaded + rows_quarantined + coalesce(rows_held, 0)"
    ).fetchall()
    assert broken == [], f"rows read != loaded + quarantined + held: {broken}"
    for raw_table in RAW_TABLES:
        mismatched = con.execute(
            f"""select l.source_file, l.rows_loaded, count(r._load_id)
            from ops.load_ledger as l left join raw.{raw_table} as r on r._load_id = l.load_id
            where l.raw_table = ? and l.status = 'loaded'
            group by all having l.rows_loaded <> count(r._load_id)""",
            [raw_table],
        ).fetchall()
        assert mismatched == [], f"raw.{raw_table} rows differ from the ledger: {mismatched}"
        quarantined = con.execute(
            """select l.source_file, l.rows_quarantined, count(q.load_id)
            from ops.load_ledger as l
            left join ops.quarantine as q on q.load_id = l.load_id and q.check_name is null
            where l.raw_table = ? and l.status = 'loaded'
            group by all having l.rows_quarantined <> count(q.load_id)""",
            [raw_table],
        ).fetchall()
        assert quarantined == [], f"quarantine differs from the ledger: {quarantined}"


def test_the_catalogue_has_at_least_40_cases() -> None:
    assert len(CASES) >= 40, [c.id for c in CASES]
    assert len({c.id for c in CASES}) == len(CASES), "case ids must be unique"


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_catalogue_case(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    landing = tmp_path / "landing"
    landing.mkdir()
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        for index, delivery in enumerate(case.deliveries):
            _deliver(landing, delivery)
            _ingest(con, landing)
            if case.gx_after_delivery == index:
                _run_suites(con, case)
        if case.gx_passes:
            assert _run_suites(con, case) == case.gx_passes

        current = {
            row[0]: row[1:]
            for row in con.execute(
                "select source_file, status, rows_read, rows_loaded, rows_quarantined, message"
                f" from ({CURRENT_FILES_SQL})"
            ).fetchall()
        }
        for source_file, outcome in case.outcomes.items():
            assert source_file in current, f"{source_file} is not in the ledger: {current}"
            status, read, loaded, quarantined, message = current[source_file]
            assert status == outcome.status, message
            if outcome.rows is not None:
                assert (read, loaded, quarantined) == outcome.rows, message
            for fragment in outcome.message:
                assert fragment.lower() in message.lower(), message

        for expected in case.quarantined:
            rows = con.execute(
                "select reason from ops.quarantine where retired_at is null"
                " and source_file = ? and source_row is not distinct from ?"
                " and column_name is not distinct from ? and check_name is not distinct from ?",
                [expected.source_file, expected.source_row, expected.column, expected.check_name],
            ).fetchall()
            assert any(expected.reason.lower() in r[0].lower() for r in rows), (
                expected,
                con.execute("select * from ops.quarantine").fetchall(),
            )

        _assert_counts_reconcile(con)
        if case.check is not None:
            case.check(con)
    assert os.environ.get("CJM_HOLD_MAX_DROP_CRM") == case.env.get("CJM_HOLD_MAX_DROP_CRM")
