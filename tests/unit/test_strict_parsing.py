"""Values are never changed: strict parsing in the GX suites, and a dbt test for every cast.

The GX side runs on a real DuckDB file filled by ingestion from a Qualtrics fixture
(tests/fixtures/qualtrics/strict_values.csv, one quirk per row). The dbt side (the same texts
through the staging models) is tests/integration/test_strict_values.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest
import yaml

from orchestration.ingestion import IngestSettings, ingest_raw_table
from orchestration.quality.checks import check_name_for, quarantine_failures
from orchestration.quality.gx_suites import _PARSERS
from tests.conftest import FIXTURES, REPO_ROOT, assert_engines_agree, make_landing

STRICT_FIXTURE = FIXTURES / "qualtrics" / "strict_values.csv"
SURVEY_FILE = "survey/strict_values.csv"
STAGING = REPO_ROOT / "dbt_project" / "models" / "staging"

# The documented outcome of each row of the fixture at the GX level:
# spreadsheet row -> (column, reason) of the quarantine row, or None when the row passes.
GX_OUTCOMES: dict[int, tuple[str, str] | None] = {
    4: None,  # NPS 9, CSAT 5, Progress 100
    5: ("nps_score", "nps_score '7.5' is not a whole number 0-10"),
    6: ("nps_score", "nps_score must be a whole number between 0 and 10, found '11'"),
    7: None,  # " 8 ": spaces around a value are ignored -> 8
    8: None,  # "8.0": a zero fraction loses nothing -> 8
    9: None,  # "": not answered -> NULL
    10: ("nps_score", "nps_score 'abc' is not a whole number 0-10"),
    11: ("csat_score", "csat_score must be a whole number between 1 and 5, found '6'"),
    12: ("csat_score", "csat_score must be a whole number between 1 and 5, found '0'"),
    13: ("progress", "progress '100.5' is not a whole number 0-100"),
    14: ("recorded_at_local", "recorded_at_local '31.12.2023 10:00' cannot be read as a timestamp"),
    15: ("recorded_at_local", "recorded_at_local must be a timestamp between 2000-01-01"),
    16: ("recorded_at_local", "found '2099-01-01 00:00:00'"),
}


@pytest.fixture
def loaded(tmp_path) -> duckdb.DuckDBPyConnection:
    landing = make_landing(tmp_path, {SURVEY_FILE: STRICT_FIXTURE})
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    report = ingest_raw_table(con, landing, "survey_responses", IngestSettings())
    assert report.summary()  # loaded without ingestion quarantine: value checks belong to GX
    yield con
    con.close()


def test_raw_keeps_the_values_exactly_as_exported(loaded):
    values = dict(
        loaded.execute(
            "select _source_row, nps_score from raw.survey_responses where _source_row <= 10"
        ).fetchall()
    )
    assert values == {4: "9", 5: "7.5", 6: "11", 7: " 8 ", 8: "8.0", 9: None, 10: "abc"}


def test_gx_quarantines_every_unreadable_or_out_of_scale_value_with_its_reason(loaded):
    result = assert_engines_agree(loaded, "survey_responses")
    assert not result.passed
    assert quarantine_failures(loaded, result) == sum(v is not None for v in GX_OUTCOMES.values())

    rows = loaded.execute(
        "select source_row, column_name, reason, check_name, source_file, record"
        " from ops.quarantine order by source_row"
    ).fetchall()
    by_row = {r[0]: r for r in rows}
    assert len(by_row) == len(rows)  # one failing value per row in this fixture
    for source_row, expected in GX_OUTCOMES.items():
        if expected is None:
            assert source_row not in by_row, by_row.get(source_row)
            continue
        _, column, reason, check, source_file, record = by_row[source_row]
        assert (column, check, source_file) == (
            expected[0],
            check_name_for("survey_responses"),
            SURVEY_FILE,
        )
        assert expected[1] in reason, reason
        assert "Correct these rows in the export" in reason  # what to do
        assert record and "R_Strict" in record  # the original record is kept


INTEGER_TEXTS = {
    "7": 7, " 8 ": 8, "8.0": 8, "8.00": 8, "-3": -3, "007": 7,
    "7.5": None, "7.": None, "1e1": None, "+8": None, "0x10": None, "1_000": None,
    "7,0": None, "abc": None, "99999999999999999999": None,
}  # fmt: skip
NUMBER_TEXTS = {
    "500000.0": 500000.0, " -2.5 ": -2.5, ".5": 0.5, "1e3": 1000.0, "48000": 48000.0,
    "1,5": None, "inf": None, "nan": None, "1e400": None, "12 EUR": None, "": None,
}  # fmt: skip
TIMESTAMP_TEXTS = {
    "2023-12-15 09:01:02": "2023-12-15 09:01:02",
    "2023-12-15T09:01:02.000Z": "2023-12-15 09:01:02",
    "2023-12-15T09:01:02.000+0000": "2023-12-15 09:01:02",
    "2023-12-15T10:01:02+01:00": "2023-12-15 09:01:02",
    "2023-12-15": "2023-12-15 00:00:00",
    "2023-1-5": None, "2023-02-30 10:00:00": None, "gestern": None, "15.12.2023": None,
}  # fmt: skip


@pytest.mark.parametrize(
    ("parse", "texts"),
    [("integer", INTEGER_TEXTS), ("double", NUMBER_TEXTS), ("timestamp", TIMESTAMP_TEXTS)],
)
def test_gx_parsers_read_exact_values_and_nothing_else(parse, texts):
    con = duckdb.connect()
    sql = "select " + _PARSERS[parse].format(c="$v")
    for text, expected in texts.items():
        value = con.execute(sql, {"v": text}).fetchone()[0]
        if parse == "timestamp" and value is not None:
            value = value.isoformat(sep=" ")
        assert value == expected, (parse, text, value)
    yd = con.execute("select " + _PARSERS["yyyymmdd"].format(c="$v"), {"v": "2023121"})
    assert yd.fetchone()[0] is None  # DuckDB's strptime alone would read it as 2023-12-01


# ---------------------------------------------------------------- a dbt test per cast

STRICT_MACROS = (
    "text_to_integer",
    "text_to_double",
    "parse_date",
    "to_boolean",
    "iso_timestamp_to_utc",
    "local_to_utc_timestamp",
    "epoch_microseconds_to_timestamp",
)
_CALL = re.compile(
    r"\{\{\s*(?P<macro>" + "|".join(STRICT_MACROS) + r")\((?P<args>(?:(?!\}\}).)*?)\)\s*\}\}"
    r"[^{]*?\bas\s+(?P<alias>\w+)",
    re.DOTALL,
)


def _top_level_arguments(args: str) -> list[str]:
    """A macro call's arguments (the text between its parentheses) split at the commas that
    are not inside brackets, each with its white space collapsed."""
    parts, depth, start = [], 0, 0
    for i, char in enumerate(args):
        depth += char in "([{"
        depth -= char in ")]}"
        if char == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
    parts.append(args[start:])
    return [" ".join(part.split()) for part in parts if part.strip()]


def _as_sql(argument: str) -> str:
    """A macro argument as the SQL it stands for: a quoted literal unquoted ('nps_score' ->
    nps_score), a Jinja expression as written."""
    return argument[1:-1] if re.fullmatch(r"'[^']*'", argument) else argument


def _split_arguments(args: str) -> tuple[str, list[str]]:
    """A macro call's first argument as the SQL it stands for and the other arguments'
    literals."""
    first, *rest = _top_level_arguments(args)
    return _as_sql(first), re.findall(r"'([^']*)'", ", ".join(rest))


def _staging_reads() -> list[tuple[str, str, str, str, list[str]]]:
    """(model, output column, macro, first argument, other literals) per strict read in staging."""
    reads = []
    for path in sorted(STAGING.rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for m in _CALL.finditer(text):
            reads.append((path.stem, m["alias"], m["macro"], *_split_arguments(m["args"])))
    return reads


def _cast_tests() -> dict[tuple[str, str], dict]:
    """(model, column) -> arguments of its cast_is_exact test, from the staging YAML."""
    found = {}
    for path in sorted(STAGING.rglob("_*__models.yml")):
        for model in yaml.safe_load(path.read_text(encoding="utf-8")).get("models", []):
            for column in model.get("columns", []):
                for test in column.get("data_tests", []) or []:
                    if isinstance(test, dict) and "cast_is_exact" in test:
                        found[(model["name"], column["name"])] = test["cast_is_exact"]["arguments"]
    return found


def test_staging_has_no_bare_casts():
    """Typed values come only from the strict macros; a bare cast would round or fail late."""
    for path in sorted(STAGING.rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for m in re.finditer(r"\b(try_cast|cast)\s*\((.*?)\bas\s+([^)]*)\)|::\s*\w+", text):
            allowed = m.group(3) is not None and "type_string" in m.group(3)
            assert allowed, f"{path.name}: {m.group(0)!r}; read raw text with a strict macro"


def test_every_strict_read_in_staging_has_its_cast_is_exact_test():
    reads = _staging_reads()
    tests = _cast_tests()
    assert len(reads) >= 20  # the regex still finds the reads (survey, crm, web)
    for model, column, macro, args, options in reads:
        test = tests.get((model, column))
        assert test is not None, f"{model}.{column} ({macro}) has no cast_is_exact test"
        assert test["cast"] == macro, (model, column)
        raw_value = " ".join(test["raw_value"].replace("{{", "").replace("}}", "").split())
        assert raw_value == args, f"{model}.{column}: the test reads {raw_value}, staging {args}"
        # the raw table itself, or (answers the seeds pick out of answers_json) the model's own
        # row that still holds the exported text
        own_row = test["raw_relation"] == f"ref('{model}')"
        assert "source(" in test["raw_relation"] or own_row, (model, column)
        # the macro's own options (format, type, time zone) are the same in both
        test_options = [test[k] for k in ("format", "time_zone", "type") if k in test]
        assert test_options == options, (model, column, test_options, options)
    # and no test points at a column that is no longer a strict read
    assert set(tests) <= {(m, c) for m, c, *_ in reads}


_UNREADABLE = re.compile(
    r"\{\{\s*unreadable_text\((?P<args>(?:(?!\}\}).)*?)\)\s*\}\}[^{]*?\bas\s+(?P<alias>\w+)",
    re.DOTALL,
)


def test_a_cast_test_reading_the_model_reads_what_the_model_could_not_read():
    """A cast_is_exact test with `unreadable_column` trusts the model to record there every
    value its read could not read: the column must apply the test's own cast, to the same raw
    value with the same options, and so the same as the read of the tested column."""
    recorded = {}
    for path in sorted(STAGING.rglob("*.sql")):
        text = re.sub(r"--[^\n]*", "", path.read_text(encoding="utf-8"))
        for m in _UNREADABLE.finditer(text):
            cast, raw_value, *options = _top_level_arguments(m["args"])
            recorded[(path.stem, m["alias"])] = (_as_sql(cast), raw_value, options)
    using = {k: t for k, t in _cast_tests().items() if "unreadable_column" in t}
    assert len(using) == 8  # the web events' casts
    for (model, column), test in using.items():
        assert test["unreadable_column"] == f"_unreadable_{column}", (model, column)
        cast, raw_value, options = recorded.pop((model, test["unreadable_column"]))
        assert cast == test["cast"], (model, column)
        test_raw = " ".join(test["raw_value"].replace("{{", "").replace("}}", "").split())
        assert _as_sql(raw_value) == test_raw, (model, column, raw_value)
        test_options = [f"{k}='{test[k]}'" for k in ("format", "time_zone", "type") if k in test]
        assert options == test_options, (model, column, options)
    assert recorded == {}  # no recorded column without its test


def test_the_cast_is_exact_macro_knows_every_strict_macro():
    macros = (REPO_ROOT / "dbt_project" / "macros" / "cross_db" / "strict_casts.sql").read_text()
    for macro in STRICT_MACROS:
        assert f"cast == '{macro}'" in macros, macro


def test_fixture_is_documented():
    assert "strict_values.csv" in (FIXTURES / "SOURCES.md").read_text(encoding="utf-8")
    assert Path(STRICT_FIXTURE).read_bytes().count(b"\n") == 16


def test_gx_reads_decimal_commas_only_in_files_written_with_them(tmp_path):
    """A German-Excel export records ',' in _decimal_separator: '1.234,5' is 1234.5 there and
    unreadable elsewhere; a currency suffix is never read (same rule as dbt's decimal_text)."""
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    con.execute("create schema raw")
    con.execute(
        "create table raw.crm_opportunities (id varchar, stagename varchar, createddate varchar,"
        " closedate varchar, amount varchar, _decimal_separator varchar,"
        " _source_file varchar, _source_row bigint)"
    )
    rows = [("1.234,5", ",", 2), ("500000,0", ",", 3), ("12 EUR", ",", 4), ("1.234,5", ".", 5)]
    con.executemany(
        "insert into raw.crm_opportunities values"
        " ('006' || ?, 'Prospecting', '2024-03-01T08:00:00Z', '2024-06-30', ?, ?, 'crm/o.csv', ?)",
        [(str(r), v, sep, r) for v, sep, r in rows],
    )
    result = assert_engines_agree(con, "crm_opportunities")
    failed = {r["source_row"]: r["reason"] for f in result.failures for r in f.rows}
    assert failed == {
        4: "amount '12 EUR' is not a number 0-1000000000000",
        5: "amount '1.234,5' is not a number 0-1000000000000",
    }
