"""Great Expectations suites over the raw tables, run without Dagster.

A suite is a JSON file in ``expectations/<raw table>.json``: the GX 1.x suite fields (``name``,
``expectations``) plus ``meta.parse``, which tells how to read a raw VARCHAR column before the
expectations see it (raw tables keep values exactly as exported):

- ``timestamp``: ``YYYY-MM-DD[ HH:MM[:SS[.f]]]`` (or ``T``), optionally with ``Z`` or an
  offset such as ``+0000`` / ``+01:00``, which is honoured (compared in UTC)
- ``date``: ``YYYY-MM-DD``;  ``yyyymmdd``: exactly eight digits, ``20261215`` (GA4 ``event_date``)
- ``epoch_micros``: microseconds since the epoch, a whole number (GA4 ``event_timestamp``)
- ``integer``: a whole number, optionally with a zero fraction (``8`` or ``8.0``, never ``7.5``:
  nothing is rounded); ``double``: a finite decimal number (``500000.0``, ``1e3``); in rows
  whose ``_decimal_separator`` is ``,`` (German Excel files) also ``500000,0`` / ``1.234,5``

Parsing is strict and never rounds: DuckDB's own casts would read ``'7.5'`` as the integer 8,
``'0x10'`` as 16 and ``'2023121'`` as a date, so every parser first matches the whole text
against a pattern. Spaces around a value are ignored and a value of only spaces counts as empty
(the same rules as the dbt staging macros in ``dbt_project/macros/cross_db/strict_casts.sql``).
A value that is present but cannot be read gets a sentinel far outside any plausible range, so
the suite's range expectation catches it; the report then shows the original text and says it
could not be read. ``"now"`` as a ``max_value`` means the time of the check plus one day.

Two engines evaluate a suite and report the same (``run_suite(engine=...)``, default from
``CJM_CHECKS_ENGINE``): ``duckdb`` (the default, ``sql_engine.py``) evaluates the expectations
as SQL where the table lies; ``gx`` runs Great Expectations itself. GX has no DuckDB datasource
and its SQL path through duckdb-engine fails on metric expectations
(great_expectations#11579), so for GX the needed columns are fetched from DuckDB into pandas and
validated with GX's pandas datasource (only the columns the suite mentions).
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb

LINEAGE_COLUMNS = ("_source_file", "_source_row")
UNREADABLE_TIMESTAMP = "0001-01-01 00:00:00"
UNREADABLE_NUMBER = -9.0e18

# Whole-text patterns of readable values (after trimming spaces). Kept equal to the dbt macros
# in dbt_project/macros/cross_db/strict_casts.sql; tests/integration/test_strict_values.py
# feeds the same texts through both.
INTEGER_PATTERN = r"-?[0-9]+(\.0+)?"
NUMBER_PATTERN = r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?"
DATE_PATTERN = r"[0-9]{4}-[0-9]{2}-[0-9]{2}"
DATETIME_PATTERN = DATE_PATTERN + r"([ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,9})?)?)?"
ZONE_PATTERN = r" ?(Z|[+-][0-9]{2}(:?[0-9]{2})?)"


def _matches(pattern: str) -> str:
    """SQL: the trimmed text of ``{c}`` is exactly a match of ``pattern``."""
    escaped = pattern.replace("{", "{{").replace("}", "}}")
    return f"regexp_full_match(trim({{c}}), '{escaped}')"


# DuckDB expressions that read a raw VARCHAR column (``{c}``) into a typed value, or NULL.
_WHOLE_NUMBER = "try_cast(regexp_extract(trim({c}), '^-?[0-9]+') as bigint)"
_PARSERS = {
    "timestamp": "case when " + _matches(DATETIME_PATTERN + ZONE_PATTERN)
    + " then try_cast(try_cast(trim({c}) as timestamptz) at time zone 'UTC' as timestamp)"
    " when " + _matches(DATETIME_PATTERN) + " then try_cast(trim({c}) as timestamp) end",
    "date": "case when " + _matches(DATE_PATTERN)
    + " then try_cast(try_cast(trim({c}) as date) as timestamp) end",
    "yyyymmdd": "case when " + _matches("[0-9]{8}")
    + " then try_strptime(trim({c}), '%Y%m%d') end",
    "epoch_micros": "case when " + _matches(INTEGER_PATTERN)
    + f" then try(make_timestamp({_WHOLE_NUMBER})) end",
    "integer": "case when " + _matches(INTEGER_PATTERN) + f" then {_WHOLE_NUMBER} end",
    "double": "case when " + _matches(NUMBER_PATTERN)
    + " and isfinite(try_cast(trim({c}) as double)) then try_cast(trim({c}) as double) end",
}  # fmt: skip
_SENTINELS = {
    "timestamp": f"timestamp '{UNREADABLE_TIMESTAMP}'",
    "date": f"timestamp '{UNREADABLE_TIMESTAMP}'",
    "yyyymmdd": f"timestamp '{UNREADABLE_TIMESTAMP}'",
    "epoch_micros": f"timestamp '{UNREADABLE_TIMESTAMP}'",
    "integer": f"{int(UNREADABLE_NUMBER)}::bigint",
    "double": f"{UNREADABLE_NUMBER}::double",
}


_PARSE_WORDS = {
    "timestamp": "a timestamp",
    "date": "a date (YYYY-MM-DD)",
    "yyyymmdd": "a date (YYYYMMDD)",
    "epoch_micros": "a timestamp in microseconds since 1970",
    "integer": "a whole number",
    "double": "a number",
}


@dataclass
class Failure:
    """One failed expectation, with the offending rows as (file, row, value)."""

    expectation: str
    column: str | None
    reason: str
    unexpected_count: int
    rows: list[dict[str, Any]] = field(default_factory=list)
    scale: tuple[Any, Any] | None = None  # (min, max) of a range expectation


@dataclass
class SuiteResult:
    suite_name: str
    raw_table: str
    rows_checked: int
    expectations: int
    failures: list[Failure]

    @property
    def passed(self) -> bool:
        return not self.failures


def suite_path(raw_table: str, expectations_dir: Path) -> Path:
    return expectations_dir / f"{raw_table}.json"


def load_suite_json(raw_table: str, expectations_dir: Path) -> dict[str, Any]:
    return json.loads(suite_path(raw_table, expectations_dir).read_text(encoding="utf-8"))


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def table_sql(raw_table: str, relation: str | None = None) -> str:
    """What a check reads: ``raw.<raw_table>``, or ``relation`` (SQL naming the same rows
    elsewhere, such as the table's Parquet in the Spark lake)."""
    return relation or f"raw.{_quote(raw_table)}"


def _table_columns(
    con: duckdb.DuckDBPyConnection, raw_table: str, relation: str | None = None
) -> list[str]:
    if relation is not None:
        return [
            column[0] for column in con.execute(f"select * from {relation} limit 0").description
        ]
    rows = con.execute(
        "select column_name from information_schema.columns"
        " where table_schema = 'raw' and table_name = ? order by ordinal_position",
        [raw_table],
    ).fetchall()
    return [r[0] for r in rows]


def _suite_columns(suite: dict[str, Any]) -> dict[str, bool]:
    """Columns the suite mentions -> whether their values are needed (not just existence)."""
    columns: dict[str, bool] = {}
    for expectation in suite["expectations"]:
        kwargs = expectation.get("kwargs", {})
        needs_values = expectation["type"] != "expect_column_to_exist"
        for name in [kwargs.get("column"), *kwargs.get("column_list", [])]:
            if name:
                columns[name] = columns.get(name, False) or needs_values
    return columns


# A CSV file written with decimal commas (German Excel) records ',' in this raw column; its
# numbers are read like the dbt macro decimal_text does ('1.234,5' -> 1234.5), nothing else.
DECIMAL_SEPARATOR_COLUMN = "_decimal_separator"
DECIMAL_COMMA_PATTERN = r"[+-]?([0-9]+|[0-9]{1,3}(\.[0-9]{3})+)(,[0-9]+)?"


def parsed_sql(value_sql: str, parse: str, separator_sql: str | None = None) -> str:
    """SQL that reads the raw text ``value_sql`` strictly as ``parse``; NULL when it cannot.

    ``separator_sql``: the row's decimal separator column, when the table has one.
    """
    if parse == "double" and separator_sql:
        value_sql = (
            f"case when {separator_sql} = ','"
            f" and regexp_full_match(trim({value_sql}), '{DECIMAL_COMMA_PATTERN}')"
            f" then replace(replace(trim({value_sql}), '.', ''), ',', '.') else {value_sql} end"
        )
    return _PARSERS[parse].format(c=value_sql)


def value_sql(column: str, parse: str | None, separator_sql: str | None = None) -> str:
    """SQL for the value the expectations see: the raw text, or (for a parsed column) the typed
    value, NULL when empty, and the sentinel when present but unreadable."""
    quoted = _quote(column)
    if parse is None:
        return quoted
    parsed = parsed_sql(quoted, parse, separator_sql)
    sentinel = _SENTINELS[parse]
    return (
        f"case when nullif(trim({quoted}), '') is null then null"
        f" else coalesce({parsed}, {sentinel}) end"
    )


def _select_expression(column: str, parse: str | None, separator_sql: str | None = None) -> str:
    return f"{value_sql(column, parse, separator_sql)} as {_quote(column)}"


def _resolve_now(kwargs: dict[str, Any]) -> dict[str, Any]:
    resolved = dict(kwargs)
    tomorrow = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).replace(tzinfo=None)
    for key in ("min_value", "max_value"):
        if resolved.get(key) == "now":
            resolved[key] = tomorrow.isoformat(sep=" ", timespec="seconds")
    return resolved


def _describe(expectation: dict[str, Any], parse: str | None) -> str:
    kwargs = expectation.get("kwargs", {})
    column = kwargs.get("column")
    kind = expectation["type"]
    if kind == "expect_column_to_exist":
        return f"column {column} is missing from the export"
    if kind == "expect_column_values_to_not_be_null":
        return f"{column} is empty"
    if kind == "expect_column_values_to_be_unique":
        return f"{column} is not unique (the same value appears on several rows)"
    if kind == "expect_column_values_to_be_between":
        what = _PARSE_WORDS.get(parse, "a value")
        return (
            f"{column} must be {what} between {kwargs.get('min_value')} and "
            f"{kwargs.get('max_value')}"
        )
    if kind == "expect_column_values_to_be_in_set":
        return f"{column} must be one of {kwargs.get('value_set')}"
    return f"{kind} failed on {column}"


def _scale(expectation: dict[str, Any]) -> tuple[Any, Any] | None:
    if expectation["type"] != "expect_column_values_to_be_between":
        return None
    kwargs = expectation.get("kwargs", {})
    return kwargs.get("min_value"), kwargs.get("max_value")


def unreadable_reason(
    column: str, value: str, parse: str, scale: tuple[Any, Any] | None = None
) -> str:
    """Why a present value cannot be read, e.g. "nps_score '7.5' is not a whole number 0-10"."""
    what = _PARSE_WORDS[parse]
    if parse in ("integer", "double") and scale is not None:
        low, high = (int(v) if isinstance(v, float) and v.is_integer() else v for v in scale)
        return f"{column} {value!r} is not {what} {low}-{high}"
    return f"{column} {value!r} cannot be read as {what}"


def _gx_context():
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return gx, context


ENGINES = ("duckdb", "gx")


def checks_engine() -> str:
    """CJM_CHECKS_ENGINE: ``duckdb`` (default) or ``gx``."""
    engine = os.environ.get("CJM_CHECKS_ENGINE", "").strip().lower() or "duckdb"
    if engine not in ENGINES:
        raise ValueError(f"CJM_CHECKS_ENGINE={engine!r}: use one of {', '.join(ENGINES)}")
    return engine


def run_suite(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    expectations_dir: Path,
    engine: str | None = None,
    relation: str | None = None,
) -> SuiteResult:
    """Validate ``raw.<raw_table>`` (or ``relation``, see ``table_sql``) against its suite and
    describe every failed row.

    ``engine``: ``duckdb`` evaluates the suite in the database (``sql_engine``); ``gx`` runs
    Great Expectations on pandas. Both give the same result (tests/unit/test_quality_suites.py
    and the catalogue compare them); the default comes from ``checks_engine()``.
    """
    if (engine or checks_engine()) == "duckdb":
        from orchestration.quality.sql_engine import run_suite_in_duckdb

        return run_suite_in_duckdb(con, raw_table, expectations_dir, relation=relation)
    return run_suite_gx(con, raw_table, expectations_dir, relation)


def run_suite_gx(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    expectations_dir: Path,
    relation: str | None = None,
) -> SuiteResult:
    """Great Expectations on pandas: the needed columns are fetched and validated there."""
    suite_json = load_suite_json(raw_table, expectations_dir)
    parse: dict[str, str] = suite_json.get("meta", {}).get("parse", {})
    present = set(_table_columns(con, raw_table, relation))
    wanted = {c: needed for c, needed in _suite_columns(suite_json).items() if c in present}
    separator = _quote(DECIMAL_SEPARATOR_COLUMN) if DECIMAL_SEPARATOR_COLUMN in present else None
    select_list = ", ".join(
        [
            _select_expression(c, parse.get(c), separator) if needed else f"null as {_quote(c)}"
            for c, needed in wanted.items()
        ]
        + [_quote(c) for c in LINEAGE_COLUMNS if c in present]
    )
    frame = con.execute(f"select {select_list} from {table_sql(raw_table, relation)}").df()

    gx, context = _gx_context()
    expectations = []
    for e in suite_json["expectations"]:
        expectations.append({**e, "kwargs": _resolve_now(e.get("kwargs", {}))})
    suite = context.suites.add(
        gx.ExpectationSuite(name=suite_json["name"], expectations=expectations)
    )
    batch = (
        context.data_sources.add_pandas("warehouse")
        .add_dataframe_asset(raw_table)
        .add_batch_definition_whole_dataframe("whole_table")
        .get_batch(batch_parameters={"dataframe": frame})
    )
    result = batch.validate(
        suite,
        result_format={
            "result_format": "COMPLETE",
            "unexpected_index_column_names": [c for c in LINEAGE_COLUMNS if c in present],
        },
    )

    # GX does not return results in suite order: match them back by type and column.
    by_signature = {(e["type"], e.get("kwargs", {}).get("column")): e for e in expectations}
    failures = []
    for outcome in result.results:
        if outcome.success:
            continue
        config = outcome.expectation_config
        column = config.kwargs.get("column")
        expectation_json = by_signature[(config.type, column)]
        reason = expectation_json.get("meta", {}).get("reason") or _describe(
            expectation_json, parse.get(column)
        )
        if column is not None and column not in present:
            reason = f"column {column} is missing from the export"
        rows = [
            {
                "source_file": r.get("_source_file"),
                "source_row": int(r["_source_row"]) if r.get("_source_row") is not None else None,
            }
            for r in outcome.result.get("unexpected_index_list") or []
        ]
        failures.append(
            Failure(
                expectation=expectation_json["type"],
                column=column,
                reason=reason,
                unexpected_count=int(outcome.result.get("unexpected_count") or 0),
                rows=rows,
                scale=_scale(expectation_json),
            )
        )
    _attach_original_values(con, raw_table, failures, parse, relation)
    return SuiteResult(
        suite_name=suite_json["name"],
        raw_table=raw_table,
        rows_checked=len(frame),
        expectations=len(expectations),
        failures=failures,
    )


def _attach_original_values(
    con: duckdb.DuckDBPyConnection,
    raw_table: str,
    failures: list[Failure],
    parse: dict[str, str],
    relation: str | None = None,
) -> None:
    """Put the value as exported (and whether it could be read at all) on each failed row."""
    separator = (
        f"t.{_quote(DECIMAL_SEPARATOR_COLUMN)}"
        if DECIMAL_SEPARATOR_COLUMN in _table_columns(con, raw_table, relation)
        else None
    )
    for failure in failures:
        if not failure.rows or failure.column is None:
            continue
        keys = [(r["source_file"], r["source_row"]) for r in failure.rows]
        con.execute("create or replace temp table _failed_keys (f varchar, r bigint)")
        con.executemany("insert into _failed_keys values (?, ?)", keys)
        column = _quote(failure.column)
        kind = parse.get(failure.column)
        readable = parsed_sql(f"t.{column}", kind, separator) if kind else "true"
        found = con.execute(
            f"select t._source_file, t._source_row, t.{column}::varchar,"
            f" ({readable}) is not null, to_json(t)"
            f" from {table_sql(raw_table, relation)} as t join _failed_keys as k"
            " on t._source_file = k.f and t._source_row = k.r"
        ).fetchall()
        by_key = {(f, r): (v, ok, rec) for f, r, v, ok, rec in found}
        for row in failure.rows:
            value, readable_ok, record = by_key.get(
                (row["source_file"], row["source_row"]), (None, True, None)
            )
            row["value"] = value
            row["record"] = record
            row["reason"] = failure.reason
            if kind and value is not None and not readable_ok:
                row["reason"] = unreadable_reason(failure.column, value, kind, failure.scale)
            elif value is not None:
                row["reason"] = f"{failure.reason}, found {value!r}"
        con.execute("drop table _failed_keys")
