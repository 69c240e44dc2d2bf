"""Which rows a raw table's quality check reads: the loads that have not passed it yet.

A load (one delivered file, ``ops.load_ledger``) that passed the check of a suite is recorded in
``ops.check_passes`` with the fingerprint of what judged it: the suite's JSON and the code that
evaluates it. The next run checks only the loads without such a record: the files of this run,
and the files that failed before (they keep failing, and blocking, until they are replaced or
withdrawn). A changed suite or engine has a new fingerprint, so every load is checked again.
Uniqueness still compares with the whole table (``sql_engine``), and a bound of ``"now"`` only
grows, so a load that passed cannot start failing without a new load in the check.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import duckdb

from orchestration.quality.gx_suites import SuiteResult, suite_path

PASSES = "ops.check_passes"
_JUDGES = (Path(__file__).with_name("sql_engine.py"), Path(__file__).with_name("gx_suites.py"))


def suite_fingerprint(raw_table: str, expectations_dir: Path) -> str:
    """sha256 over the suite file and the code that evaluates it."""
    digest = hashlib.sha256(suite_path(raw_table, expectations_dir).read_bytes())
    for path in _JUDGES:
        digest.update(b"\0" + path.read_bytes())
    return digest.hexdigest()


def _ensure(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create schema if not exists ops")
    con.execute(
        f"""create table if not exists {PASSES} (
            check_name varchar, load_id varchar, suite_sha256 varchar, passed_at timestamp
        )"""
    )


def loads_to_check(
    con: duckdb.DuckDBPyConnection, raw_table: str, check_name: str, fingerprint: str
) -> list[str]:
    """The loaded loads of ``raw_table`` that have not passed ``check_name`` as it is now."""
    _ensure(con)
    rows = con.execute(
        f"""select l.load_id from ops.load_ledger as l
        where l.raw_table = ? and l.status = 'loaded'
          and l.load_id not in (
            select load_id from {PASSES} where check_name = ? and suite_sha256 = ?)
        order by l.load_id""",
        [raw_table, check_name, fingerprint],
    ).fetchall()
    return [r[0] for r in rows]


def record_passes(
    con: duckdb.DuckDBPyConnection,
    check_name: str,
    fingerprint: str,
    load_ids: list[str],
    result: SuiteResult,
) -> int:
    """Record the checked loads without a failed row as passed; return how many.

    A failure that names no row (a column missing from the export) records none."""
    if any(not f.rows for f in result.failures) or not load_ids:
        return 0
    failed_files = {row["source_file"] for f in result.failures for row in f.rows}
    marks = ", ".join("?" * len(load_ids))
    passed = [
        r[0]
        for r in con.execute(
            f"select load_id, source_file from ops.load_ledger where load_id in ({marks})",
            load_ids,
        ).fetchall()
        if r[1] not in failed_files
    ]
    if passed:
        now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        con.execute(  # one statement: executemany costs a round trip per load
            f"insert into {PASSES} select ?, unnest(cast(? as varchar[])), ?, ?",
            [check_name, passed, fingerprint, now],
        )
    return len(passed)
