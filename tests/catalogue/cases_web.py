"""Catalogue cases for web-analytics exports: GA4 NDJSON and Parquet, Snowplow enriched TSV."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
GA4_NDJSON = FIXTURES / "ga4/events_20231215.json"
GA4_PARQUET = FIXTURES / "ga4/events_20231217.parquet"
SNOWPLOW = FIXTURES / "snowplow/enriched_events.tsv"


def _event(n: int, **extra: object) -> str:
    """One GA4 NDJSON line as BigQuery writes it (INT64 as strings)."""
    event = {
        "event_date": "20231215",
        "event_timestamp": str(1702651559604143 + n * 1_000_000),
        "event_name": "page_view",
        "event_params": [
            {"key": "ga_session_id", "value": {"int_value": "1702651540"}},
            {"key": "page_location", "value": {"string_value": f"https://shop.example.com/{n}"}},
        ],
        "user_pseudo_id": "427292018.1702650951",
        "platform": "WEB",
        **extra,
    }
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False)


def _raw(con: duckdb.DuckDBPyConnection, source_file: str, columns: str) -> list[tuple]:
    return con.execute(
        f"SELECT {columns} FROM raw.web_events WHERE _source_file = ? ORDER BY _source_row",
        [source_file],
    ).fetchall()


# --- generated inputs ------------------------------------------------------------------------

_SNOWPLOW_LINES = SNOWPLOW.read_text(encoding="utf-8").splitlines()
_SNOWPLOW_FIELDS = _SNOWPLOW_LINES[0].split("\t")


def _snowplow_variant(index: int, value: str) -> str:
    fields = list(_SNOWPLOW_FIELDS)
    fields[index] = value
    return "\t".join(fields)


# line 2: no domain_userid (field 16); line 3: collector_tstamp and derived_tstamp in a German
# date format (fields 4 and 125); line 4 good
_SNOWPLOW_BAD = (
    "\n".join(
        [
            _SNOWPLOW_LINES[0],
            _snowplow_variant(15, ""),
            "\t".join(
                "15.12.2023 14:05" if i in (3, 124) else v for i, v in enumerate(_SNOWPLOW_FIELDS)
            ),
            _SNOWPLOW_LINES[1],
        ]
    )
    + "\n"
)

# A purchase whose items array makes its line 5 MB (DuckDB's default line limit is 2 MB), first
# in the file so that the 1 MiB head holds no complete line.
_ITEM = '{"item_id":"SKU-1","item_name":"' + "x" * 60 + '","price":12.5,"quantity":"1"}'
_ITEMS = 5_000_000 // (len(_ITEM) + 1) + 1
_LONG_LINE = _event(0, event_name="purchase", items="@ITEMS@").replace(
    '"@ITEMS@"', "[" + ",".join([_ITEM] * _ITEMS) + "]"
)

_GZ = gzip.compress("\n".join(_event(n) for n in range(400)).encode() + b"\n")


def _check_parquet_day(con: duckdb.DuckDBPyConnection) -> None:
    rows = _raw(con, "web/events_20231217.parquet", "_source_row, event_timestamp, items")
    assert [r[0] for r in rows] == [1, 2]
    assert rows[0][1] == "1702651559604143"
    assert [i["price"] for i in rows[1][2]] == ["12.5", "3.0"]


def _check_snowplow(con: duckdb.DuckDBPyConnection) -> None:
    rows = _raw(con, "web/enriched_events.tsv", "_source_row, event_name, user_pseudo_id")
    assert [r[:2] for r in rows] == [
        (1, "page_view"),
        (2, "page_view"),
        (4, "event"),
        (5, "page_view"),
    ]
    text = con.execute(
        "SELECT string_agg(CAST(to_json(w) AS VARCHAR), '') FROM raw.web_events AS w"
    ).fetchall()[0][0]
    assert "203.0.113.42" not in text  # user_ipaddress stays out of raw


def _check_long_line(con: duckdb.DuckDBPyConnection) -> None:
    assert _raw(con, "web/events_20231219.json", "_source_row, len(items)") == [
        (1, _ITEMS),
        (2, None),
    ]


def _check_reexport(con: duckdb.DuckDBPyConnection) -> None:
    rows = _raw(con, "web/events_20231215.json", "_source_row, event_timestamp")
    assert [r[0] for r in rows] == [1, 2, 3]  # the late event is in, nothing twice
    assert len({r[1] for r in rows}) == 3
    statuses = con.execute(
        "SELECT status FROM ops.load_ledger WHERE source_file = 'web/events_20231215.json' "
        "ORDER BY loaded_at"
    ).fetchall()
    assert [s[0] for s in statuses] == ["superseded", "loaded"]


def _check_null_styles(con: duckdb.DuckDBPyConnection) -> None:
    columns = "* EXCLUDE (_load_id, _source_file, _source_row, _loaded_at)"
    rows = _raw(con, "web/events_20231215.json", columns)
    assert rows[0] == rows[1]  # explicit nulls + strings == left-out keys + numbers


CASES: list[Case] = [
    Case(
        id="web_ga4_parquet_day",
        description="GA4 BigQuery export of one day as Parquet (BigQuery's INT64/FLOAT64 types, "
        "extra fields); loads as text like the NDJSON export, row 3 without user_pseudo_id",
        deliveries=[{"web/events_20231217.parquet": GA4_PARQUET}],
        outcomes={"web/events_20231217.parquet": Outcome("loaded", (3, 2, 1))},
        quarantined=[
            Quarantined("web/events_20231217.parquet", 3, "user_pseudo_id", "no user_pseudo_id")
        ],
        check=_check_parquet_day,
    ),
    Case(
        id="web_snowplow_file",
        description="Snowplow enriched events (131-field TSV): page views, a structured event, "
        "one line cut to 130 fields; IP addresses not loaded",
        deliveries=[{"web/enriched_events.tsv": SNOWPLOW}],
        outcomes={"web/enriched_events.tsv": Outcome("loaded", (5, 4, 1), ("snowplow_tsv",))},
        quarantined=[
            Quarantined("web/enriched_events.tsv", 3, None, "has 130 tab-separated fields")
        ],
        check=_check_snowplow,
    ),
    Case(
        id="web_snowplow_bad_lines",
        description="Snowplow lines without domain_userid and with a timestamp that is not "
        "YYYY-MM-DD HH:MM:SS.mmm are quarantined with line and column",
        deliveries=[{"web/2023-12-15-enriched.tsv": _SNOWPLOW_BAD}],
        outcomes={"web/2023-12-15-enriched.tsv": Outcome("loaded", (4, 2, 2))},
        quarantined=[
            Quarantined("web/2023-12-15-enriched.tsv", 2, "domain_userid", "no domain_userid"),
            Quarantined("web/2023-12-15-enriched.tsv", 3, "derived_tstamp", "is not a timestamp"),
        ],
    ),
    Case(
        id="web_ga4_5mb_line",
        description="A GA4 purchase with a 5 MB items array on one line, first in the file",
        deliveries=[{"web/events_20231219.json": _LONG_LINE + "\n" + _event(1) + "\n"}],
        outcomes={"web/events_20231219.json": Outcome("loaded", (2, 2, 0))},
        check=_check_long_line,
    ),
    Case(
        id="web_ga4_reexport_late_events",
        description="A GA4 day re-exported with a late event replaces the earlier copy",
        deliveries=[
            {"web/events_20231215.json": _event(1) + "\n" + _event(2) + "\n"},
            {"web/events_20231215.json": _event(1) + "\n" + _event(2) + "\n" + _event(3) + "\n"},
        ],
        outcomes={"web/events_20231215.json": Outcome("loaded", (3, 3, 0), ("replaced",))},
        check=_check_reexport,
    ),
    Case(
        id="web_ga4_both_null_styles",
        description="GA4 NDJSON with explicit nulls and with null keys left out (INT64 as "
        "strings and as numbers), a duplicate, a cut-off line and an empty line",
        deliveries=[{"web/events_20231215.json": GA4_NDJSON}],
        outcomes={"web/events_20231215.json": Outcome("loaded", (7, 5, 2))},
        quarantined=[
            Quarantined("web/events_20231215.json", 5, None, "not valid JSON"),
            Quarantined("web/events_20231215.json", 6, "user_pseudo_id", "no user_pseudo_id"),
        ],
        check=_check_null_styles,
    ),
    Case(
        id="web_ga4_only_invalid_lines",
        description="A GA4 file whose every line is quarantined (no consent, no event_name, "
        "cut off): the file loads with 0 rows and 3 quarantined",
        deliveries=[
            {
                "web/events_20231220.json": _event(1, user_pseudo_id=None)
                + "\n"
                + _event(2, event_name="")
                + "\n"
                + _event(3)[:40]
                + "\n"
            }
        ],
        outcomes={"web/events_20231220.json": Outcome("loaded", (3, 0, 3))},
        quarantined=[
            Quarantined("web/events_20231220.json", 1, "user_pseudo_id", "no user_pseudo_id"),
            Quarantined("web/events_20231220.json", 2, "event_name", "no event_name"),
            Quarantined("web/events_20231220.json", 3, None, "not valid JSON"),
        ],
    ),
    Case(
        id="web_ga4_empty_json",
        description="An empty events_YYYYMMDD.json: nothing loaded, the ledger says it is empty",
        deliveries=[{"web/events_20231221.json": b""}],
        outcomes={"web/events_20231221.json": Outcome("unrecognised", message=("empty",))},
    ),
    Case(
        id="web_ga4_truncated_json_gz",
        description="A gzipped GA4 day cut off in transfer: fails as a whole, nothing loaded",
        deliveries=[{"web/events_20231222.json.gz": _GZ[: len(_GZ) // 2]}],
        outcomes={
            "web/events_20231222.json.gz": Outcome(
                "failed", (0, 0, 0), ("gzip data ends early", "deliver the complete file")
            )
        },
    ),
    Case(
        id="web_ga4_truncated_parquet",
        description="A GA4 Parquet day cut off in transfer (no footer): fails as a whole",
        deliveries=[{"web/events_20231223.parquet": GA4_PARQUET.read_bytes()[:4000]}],
        outcomes={
            "web/events_20231223.parquet": Outcome("failed", (0, 0, 0), ("probably cut off",))
        },
    ),
]
