"""The validation results of a run as one HTML page (an equivalent of GX Data Docs).

Every quality check of a run records its result in ``ops.validation_results`` (suite, rows
checked, every expectation with passed or failed, the failing rows' file, row and value) and
then writes the run's page again from that table, so the page shows every check that ran,
also when a check failed and the run stopped there. Pages live in ``<warehouse
folder>/validation/``: ``<run id>.html`` per run and ``latest.html``, a copy of the newest.
The check's metadata and `cjm status` link the page. Self-contained: no scripts, no network.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
from pathlib import Path

import duckdb

from orchestration.quality.gx_suites import SuiteResult, load_suite_json
from orchestration.resources import EXPECTATIONS_DIR

MAX_ROWS_SHOWN = 20
LATEST = "latest.html"

_CREATE = """
create table if not exists ops.validation_results (
    run_id varchar not null,
    raw_table varchar not null,
    suite_name varchar not null,
    checked_at timestamp not null,
    rows_checked bigint not null,
    expectations_json varchar not null,
    primary key (run_id, raw_table)
)
"""


def pages_dir(warehouse: Path) -> Path:
    return warehouse.resolve().parent / "validation"


def page_path(warehouse: Path, run_id: str) -> Path:
    return pages_dir(warehouse) / f"{run_id}.html"


def _expectations(result: SuiteResult) -> list[dict[str, object]]:
    """Every expectation of the suite with its outcome (failures matched by type and column)."""
    failed = {(f.expectation, f.column): f for f in result.failures}
    outcome = []
    for item in load_suite_json(result.raw_table, EXPECTATIONS_DIR)["expectations"]:
        kwargs = item.get("kwargs", {})
        failure = failed.pop((item["type"], kwargs.get("column")), None)
        outcome.append(_entry(item["type"], kwargs, failure))
    # failures the suite file does not list one by one (e.g. a column set) are kept too
    outcome += [_entry(f.expectation, {"column": f.column}, f) for f in failed.values()]
    return outcome


def _entry(expectation: str, kwargs: dict, failure) -> dict[str, object]:  # noqa: ANN001
    return {
        "expectation": expectation,
        "kwargs": {k: v for k, v in kwargs.items() if v is not None},
        "passed": failure is None,
        "reason": failure.reason if failure else "",
        "unexpected_count": failure.unexpected_count if failure else 0,
        "rows": [
            {
                "source_file": row.get("source_file"),
                "source_row": row.get("source_row"),
                "value": None if row.get("value") is None else str(row.get("value")),
            }
            for row in (failure.rows[:MAX_ROWS_SHOWN] if failure else [])
        ],
    }


def record_result(con: duckdb.DuckDBPyConnection, run_id: str, result: SuiteResult) -> None:
    con.execute("create schema if not exists ops")
    con.execute(_CREATE)
    con.execute(
        "insert or replace into ops.validation_results values (?, ?, ?, ?, ?, ?)",
        [
            run_id,
            result.raw_table,
            result.suite_name,
            dt.datetime.now(dt.UTC).replace(tzinfo=None),
            result.rows_checked,
            json.dumps(_expectations(result)),
        ],
    )


def _suite_section(raw_table: str, suite: str, rows_checked: int, items: list[dict]) -> str:
    failed = [i for i in items if not i["passed"]]
    status = "failed" if failed else "passed"
    lines = [
        f'<section class="{status}"><h2>raw.{html.escape(raw_table)}: '
        f"{len(items) - len(failed)} of {len(items)} expectations passed</h2>",
        f"<p>suite <code>{html.escape(suite)}</code> (expectations/{html.escape(raw_table)}"
        f".json), {rows_checked} rows checked</p>",
        "<table><tr><th>expectation</th><th>arguments</th><th>result</th></tr>",
    ]
    for item in items:
        arguments = ", ".join(f"{k}={v}" for k, v in item["kwargs"].items())
        result = "passed" if item["passed"] else f"FAILED: {item['reason']}"
        if not item["passed"]:
            result += f" ({item['unexpected_count']} rows)"
        lines.append(
            f'<tr class="{"ok" if item["passed"] else "bad"}">'
            f"<td>{html.escape(str(item['expectation']))}</td>"
            f"<td>{html.escape(arguments)}</td><td>{html.escape(result)}</td></tr>"
        )
        for row in item["rows"]:
            lines.append(
                '<tr class="row"><td></td>'
                f"<td>{html.escape(str(row['source_file']))} row {row['source_row']}</td>"
                f"<td>value {html.escape(repr(row['value']))}</td></tr>"
            )
    lines.append("</table></section>")
    return "\n".join(lines)


_STYLE = (
    "body{font-family:system-ui,sans-serif;margin:2rem;color:#222}"
    "table{border-collapse:collapse;width:100%;margin-bottom:1rem}"
    "td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;font-size:.9rem}"
    "section.failed h2{color:#b00020}section.passed h2{color:#1b5e20}"
    "tr.bad td{background:#fdecea}tr.row td{color:#555;font-size:.85rem}"
)


def write_page(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str) -> Path:
    """Write the run's page (and latest.html) from ops.validation_results; returns its path."""
    rows = con.execute(
        "select raw_table, suite_name, rows_checked, expectations_json, checked_at"
        " from ops.validation_results where run_id = ? order by raw_table",
        [run_id],
    ).fetchall()
    sections = [_suite_section(t, s, n, json.loads(items)) for t, s, n, items, _ in rows]
    failed = sum('class="failed"' in section for section in sections)
    newest = max((r[4] for r in rows), default=None)
    checked = f"{newest:%Y-%m-%d %H:%M:%S}" if newest else "-"
    body = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Validation results, run {html.escape(run_id)}</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>Validation results of run {html.escape(run_id)}</h1>"
        f"<p>{len(sections)} suites checked, {failed} failed; last check at {checked} UTC. "
        "Rows that fail are also in <code>ops.quarantine</code> (<code>cjm status</code>).</p>"
        + "\n".join(sections)
        + "</body></html>\n"
    )
    folder = pages_dir(warehouse)
    folder.mkdir(parents=True, exist_ok=True)
    path = page_path(warehouse, run_id)
    for target in (path, folder / LATEST):
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_text(body, encoding="utf-8")
        os.replace(tmp, target)
    return path
