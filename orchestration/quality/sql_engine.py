"""The raw tables' expectation suites evaluated inside DuckDB, in one pass over the table.

The suites stay Great Expectations suites (``expectations/<raw table>.json``, the same JSON GX
loads); this module evaluates the five expectation types they use as SQL, so the check reads
the table where it lies instead of copying its columns into pandas and importing GX (4-8 s at
the first check of a process, and the table's columns in memory). Results have the shape and
the words of the GX engine (``gx_suites.run_suite_gx``): the same failed expectations, the same
rows, the same reasons. ``CJM_CHECKS_ENGINE=gx`` switches back to GX, and the tests run both
engines on the same tables and compare them.

Semantics, as GX's pandas engine applies them to the values the suite sees (``value_sql``: the
raw text, or the strictly parsed value with a sentinel for unreadable text):

- ``expect_column_to_exist``: the column is in the table. Every other expectation on a missing
  column fails too, without rows.
- ``expect_column_values_to_not_be_null``: rows whose value is NULL.
- ``expect_column_values_to_be_unique``: every row whose (non-NULL) value appears more than once.
- ``expect_column_values_to_be_between``: rows whose non-NULL value is below ``min_value`` or
  above ``max_value`` (both inclusive bounds; ``"now"`` resolved as in GX's engine).
- ``expect_column_values_to_be_in_set``: rows whose non-NULL value is not in ``value_set``.

Only the failing rows leave the database.

``load_ids`` limits the check to the rows of those loads (the files of this run, see
``orchestration.quality.scope``): one scan of their rows evaluates every expectation and counts
them; uniqueness compares their values with the whole table in one more scan of that one column
(a value shared with an earlier load flags the rows of both), so the same rows fail as when the
whole table is checked.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb

from orchestration.quality.gx_suites import (
    DECIMAL_SEPARATOR_COLUMN,
    LINEAGE_COLUMNS,
    Failure,
    SuiteResult,
    _attach_original_values,
    _describe,
    _quote,
    _resolve_now,
    _scale,
    _table_columns,
    load_suite_json,
    table_sql,
    value_sql,
)

_TIME_PARSES = {"timestamp", "date", "yyyymmdd", "epoch_micros"}
SUPPORTED = {
    "expect_column_to_exist",
    "expect_column_values_to_not_be_null",
    "expect_column_values_to_be_unique",
    "expect_column_values_to_be_between",
    "expect_column_values_to_be_in_set",
}


def _literal(value: Any, parse: str | None) -> str:  # noqa: ANN401
    if parse in _TIME_PARSES:
        return "timestamp '" + str(value).replace("'", "''") + "'"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "'" + str(value).replace("'", "''") + "'"
    return f"cast({value!r} as double)"


def _unexpected_sql(
    expectation: dict[str, Any], parse: str | None, duplicates: dict[str, str] | None = None
) -> str:
    """SQL over the CTE ``v`` (one column per suite column): is this row unexpected?

    ``duplicates``: column -> CTE holding the values (``d``) found more than once in the whole
    table; without it uniqueness is judged within ``v``."""
    kind = expectation["type"]
    kwargs = expectation.get("kwargs", {})
    value = "v." + _quote(kwargs["column"])
    if kind == "expect_column_values_to_not_be_null":
        return f"{value} is null"
    if kind == "expect_column_values_to_be_unique":
        if duplicates is not None:
            return f"{value} in (select d from {duplicates[kwargs['column']]})"
        return f"{value} is not null and count(*) over (partition by {value}) > 1"
    if kind == "expect_column_values_to_be_between":
        low = _literal(kwargs["min_value"], parse)
        high = _literal(kwargs["max_value"], parse)
        return f"{value} is not null and ({value} < {low} or {value} > {high})"
    if kind == "expect_column_values_to_be_in_set":
        members = ", ".join(_literal(v, parse) for v in kwargs["value_set"])
        return f"{value} is not null and {value} not in ({members})"
    raise ValueError(f"{kind}: the DuckDB engine does not evaluate this expectation type")


def _duplicate_ctes(
    evaluated: list[tuple[int, dict[str, Any]]],
    parse: dict[str, str],
    separator: str | None,
    table: str,
    scope: str,
) -> dict[str, str]:
    """column -> SQL of a CTE: the values of the rows in ``scope`` that occur more than once
    in the whole table (one scan of that column, restricted to the scope's values)."""
    ctes = {}
    for n, column in enumerate(
        sorted({e["kwargs"]["column"] for _, e in evaluated if e["type"].endswith("_unique")})
    ):
        value = value_sql(column, parse.get(column), separator)
        ctes[column] = (
            f"_dup{n}",
            f"""_dup{n} as (
                select {value} as d from {table}
                where {value} in (select {value} from {table} where {scope})
                group by all having count(*) > 1
            )""",
        )
    return ctes  # type: ignore[return-value]


def run_suite_in_duckdb(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    expectations_dir: Path,
    load_ids: list[str] | None = None,
    relation: str | None = None,
) -> SuiteResult:
    """Validate ``raw.<raw_table>`` against its suite in DuckDB; describe every failed row.

    ``load_ids``: check only the rows of these loads (None: the whole table). ``relation``: SQL
    naming the same rows elsewhere, such as the table's Parquet in the Spark lake."""
    suite_json = load_suite_json(raw_table, expectations_dir)
    parse: dict[str, str] = suite_json.get("meta", {}).get("parse", {})
    expectations = [
        {**e, "kwargs": _resolve_now(e.get("kwargs", {}))} for e in suite_json["expectations"]
    ]
    unknown = {e["type"] for e in expectations} - SUPPORTED
    if unknown:
        raise ValueError(
            f"expectations/{raw_table}.json uses {', '.join(sorted(unknown))}, which the DuckDB "
            "engine does not evaluate: add it to orchestration/quality/sql_engine.py or run "
            "the checks with CJM_CHECKS_ENGINE=gx."
        )
    present = set(_table_columns(con, raw_table, relation))
    separator = _quote(DECIMAL_SEPARATOR_COLUMN) if DECIMAL_SEPARATOR_COLUMN in present else None
    table = table_sql(raw_table, relation)

    evaluated = [  # (index, expectation) evaluated row by row in the query below
        (i, e)
        for i, e in enumerate(expectations)
        if e["type"] != "expect_column_to_exist" and e["kwargs"]["column"] in present
    ]
    flagged: dict[int, list[dict[str, Any]]] = {i: [] for i, _ in evaluated}
    scoped = load_ids is not None and "_load_id" in present
    scope = (
        "_load_id in (" + ", ".join("'" + i.replace("'", "''") + "'" for i in load_ids) + ")"
        if scoped and load_ids
        else ("false" if scoped else "true")
    )
    rows_checked = None
    if evaluated:
        columns = sorted({e["kwargs"]["column"] for _, e in evaluated})
        lineage = [c for c in LINEAGE_COLUMNS if c in present]
        values = ", ".join(
            [f"{value_sql(c, parse.get(c), separator)} as {_quote(c)}" for c in columns]
            + [_quote(c) for c in lineage]
        )
        ctes = _duplicate_ctes(evaluated, parse, separator, table, scope) if scoped else {}
        duplicates = {c: name for c, (name, _) in ctes.items()} if scoped else None
        flags = ", ".join(
            f"coalesce({_unexpected_sql(e, parse.get(e['kwargs']['column']), duplicates)}, "
            f"false) as _e{i}"
            for i, e in evaluated
        )
        lineage_select = ", ".join(f"v.{_quote(c)}" for c in lineage) or "null, null"
        any_flag = " or ".join(f"_e{i}" for i, _ in evaluated)
        where = f"where {scope}"
        if ctes:  # rows of earlier loads that share a value with this run's rows fail too
            where += "".join(
                f" or {value_sql(c, parse.get(c), separator)} in (select d from {name})"
                for c, (name, _) in ctes.items()
            )
        extra = "".join(f"{cte}, " for _, cte in ctes.values())
        # One pass: the flagged rows and the number of rows checked come from the same scan.
        flagged_rows, rows_checked = con.execute(
            f"""with {extra}v as (select {values}, {scope} as _in_scope from {table} {where}),
            flagged as (select {lineage_select}, {flags}, _in_scope from v)
            select
                list(f order by f) filter (where {any_flag}),
                count(*) filter (where _in_scope)
            from flagged as f"""
        ).fetchall()[0]
        rows = [tuple(r.values())[:-1] for r in flagged_rows or []]  # without _in_scope
        for row in rows:
            source_file, source_row, marks = row[0], row[1], row[2:]
            for (i, _), unexpected in zip(evaluated, marks, strict=True):
                if unexpected:
                    flagged[i].append(
                        {
                            "source_file": source_file,
                            "source_row": int(source_row) if source_row is not None else None,
                        }
                    )

    failures = []
    for i, expectation in enumerate(expectations):
        column = expectation["kwargs"].get("column")
        missing = column is not None and column not in present
        if not missing and not flagged.get(i):
            continue
        reason = expectation.get("meta", {}).get("reason") or _describe(
            expectation, parse.get(column)
        )
        if missing:
            reason = f"column {column} is missing from the export"
        rows = flagged.get(i, [])
        failures.append(
            Failure(
                expectation=expectation["type"],
                column=column,
                reason=reason,
                unexpected_count=len(rows),
                rows=rows,
                scale=_scale(expectation),
            )
        )
    _attach_original_values(con, raw_table, failures, parse, relation)
    if rows_checked is None:
        rows_checked = con.execute(f"select count(*) from {table} where {scope}").fetchall()[0][0]
    return SuiteResult(
        suite_name=suite_json["name"],
        raw_table=raw_table,
        rows_checked=int(rows_checked),
        expectations=len(expectations),
        failures=failures,
    )
