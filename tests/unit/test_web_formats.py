"""Web-analytics export variants into raw.web_events: GA4 Parquet, Snowplow TSV, long GA4 lines.

The GA4 Parquet file is generated in the test with DuckDB from typed SQL that mirrors the
BigQuery export schema (INT64, FLOAT64, STRING, nested STRUCT and repeated fields); a copy is
committed as tests/fixtures/ga4/events_20231217.parquet for the detection test and the
catalogue (a test checks that it still holds what the SQL writes). The NDJSON file of the same
events is written by hand the way BigQuery writes it (INT64 as strings, FLOAT64 as numbers).
The Snowplow file is the hand-written fixture tests/fixtures/snowplow/.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, ingest_raw_table
from orchestration.ingestion.readers.ga4 import Ga4ParquetReader
from orchestration.ingestion.readers.lines import MAX_LINE_BYTES
from orchestration.ingestion.readers.snowplow import (
    MAPPED_FIELDS,
    NOT_LOADED,
    SNOWPLOW_FIELDS,
    SnowplowTsvReader,
)
from orchestration.ingestion.schema import GA4_EVENT_COLUMNS
from orchestration.ingestion.textfile import read_head
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SNOWPLOW_FIXTURE = FIXTURES / "snowplow/enriched_events.tsv"
DATA_COLUMNS = ", ".join(f'"{name}"' for name, _ in GA4_EVENT_COLUMNS)


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def raw_rows(con: duckdb.DuckDBPyConnection, source_file: str) -> list[tuple]:
    return con.execute(
        f"SELECT _source_row, {DATA_COLUMNS} FROM raw.web_events WHERE _source_file = ? "
        "ORDER BY _source_row",
        [source_file],
    ).fetchall()


def quarantined(con: duckdb.DuckDBPyConnection, source_file: str) -> list[tuple]:
    return con.execute(
        "SELECT source_row, column_name, reason, record FROM ops.quarantine "
        "WHERE source_file = ? ORDER BY source_row",
        [source_file],
    ).fetchall()


# --- GA4 Parquet -------------------------------------------------------------------------------

# BigQuery's GA4 export schema (a subset, with fields the raw shape does not hold: geo.continent,
# device.mobile_brand_name, device.web_info.browser_version, items.item_brand, is_active_user);
# collected_traffic_source lacks gclid, as in exports from before GA4 added it.
_PARAM = "STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT, " \
    "float_value DOUBLE, double_value DOUBLE))"  # fmt: skip
BIGQUERY_GA4_TABLE = f"""
CREATE TABLE events (
    event_date VARCHAR,
    event_timestamp BIGINT,
    event_name VARCHAR,
    event_params {_PARAM}[],
    event_previous_timestamp BIGINT,
    event_value_in_usd DOUBLE,
    event_bundle_sequence_id BIGINT,
    user_id VARCHAR,
    user_pseudo_id VARCHAR,
    user_first_touch_timestamp BIGINT,
    user_properties STRUCT(key VARCHAR, value STRUCT(string_value VARCHAR, int_value BIGINT,
        float_value DOUBLE, double_value DOUBLE, set_timestamp_micros BIGINT))[],
    privacy_info STRUCT(analytics_storage VARCHAR, ads_storage VARCHAR,
        uses_transient_token VARCHAR),
    device STRUCT(category VARCHAR, mobile_brand_name VARCHAR, operating_system VARCHAR,
        language VARCHAR, web_info STRUCT(browser VARCHAR, browser_version VARCHAR,
        hostname VARCHAR)),
    geo STRUCT(continent VARCHAR, country VARCHAR, region VARCHAR, city VARCHAR),
    traffic_source STRUCT(name VARCHAR, medium VARCHAR, source VARCHAR),
    collected_traffic_source STRUCT(manual_source VARCHAR, manual_medium VARCHAR,
        manual_campaign_name VARCHAR),
    stream_id VARCHAR,
    platform VARCHAR,
    ecommerce STRUCT(transaction_id VARCHAR, purchase_revenue DOUBLE,
        total_item_quantity BIGINT),
    items STRUCT(item_id VARCHAR, item_name VARCHAR, item_brand VARCHAR, price DOUBLE,
        quantity BIGINT)[],
    is_active_user BOOLEAN
);
INSERT INTO events VALUES
(
    '20231215', 1702651559604143, 'page_view',
    [{{'key': 'page_location', 'value': {{'string_value': 'https://shop.example.com/pricing',
        'int_value': NULL, 'float_value': NULL, 'double_value': NULL}}}},
     {{'key': 'ga_session_id', 'value': {{'string_value': NULL, 'int_value': 1702651540,
        'float_value': NULL, 'double_value': NULL}}}},
     {{'key': 'engagement_time_msec', 'value': {{'string_value': NULL, 'int_value': 1520,
        'float_value': NULL, 'double_value': NULL}}}}],
    NULL, NULL, 1455873212, NULL, '427292018.1702650951', 1702650951201000,
    [{{'key': 'plan', 'value': {{'string_value': 'free', 'int_value': NULL,
        'float_value': NULL, 'double_value': NULL, 'set_timestamp_micros': 1702652990000000}}}}],
    {{'analytics_storage': 'Yes', 'ads_storage': 'No', 'uses_transient_token': 'No'}},
    {{'category': 'desktop', 'mobile_brand_name': 'Google', 'operating_system': 'Windows',
      'language': 'de-de', 'web_info': {{'browser': 'Chrome', 'browser_version': '120.0',
      'hostname': 'shop.example.com'}}}},
    {{'continent': 'Europe', 'country': 'Germany', 'region': 'Bavaria', 'city': 'Munich'}},
    {{'name': '(direct)', 'medium': '(none)', 'source': '(direct)'}},
    {{'manual_source': 'newsletter', 'manual_medium': NULL, 'manual_campaign_name': NULL}},
    '2914562401', 'WEB', NULL, [], true
),
(
    '20231215', 1702652000000001, 'purchase',
    [{{'key': 'value', 'value': {{'string_value': NULL, 'int_value': NULL,
        'float_value': NULL, 'double_value': 3.0}}}},
     {{'key': 'tax', 'value': {{'string_value': NULL, 'int_value': NULL,
        'float_value': 0.1, 'double_value': NULL}}}}],
    1702651559604143, 129.5, NULL, '0035g00000AbCdEAAZ', '427292018.1702650951', NULL,
    [], NULL, NULL, NULL, NULL, NULL, '2914562401', 'WEB',
    {{'transaction_id': 'T-1001', 'purchase_revenue': 129.5, 'total_item_quantity': 2}},
    [{{'item_id': 'SKU-PRO', 'item_name': 'Pro plan', 'item_brand': 'Acme', 'price': 12.5,
       'quantity': 1}},
     {{'item_id': 'SKU-ADD', 'item_name': 'Add-on', 'item_brand': NULL, 'price': 3.0,
       'quantity': 1}}],
    false
),
(
    '20231215', 1702652100000000, 'page_view', [], NULL, NULL, NULL, NULL, NULL, NULL,
    [], NULL, NULL, NULL, NULL, NULL, NULL, 'WEB', NULL, [], NULL
);
"""

# The same three events as BigQuery writes them to newline-delimited JSON: INT64 as strings,
# FLOAT64 as numbers, null keys left out.
NDJSON_OF_THE_SAME_EVENTS = (
    '{"event_date":"20231215","event_timestamp":"1702651559604143","event_name":"page_view",'
    '"event_params":[{"key":"page_location","value":{"string_value":'
    '"https://shop.example.com/pricing"}},{"key":"ga_session_id","value":{"int_value":'
    '"1702651540"}},{"key":"engagement_time_msec","value":{"int_value":"1520"}}],'
    '"event_bundle_sequence_id":"1455873212","user_pseudo_id":"427292018.1702650951",'
    '"user_first_touch_timestamp":"1702650951201000","user_properties":[{"key":"plan",'
    '"value":{"string_value":"free","set_timestamp_micros":"1702652990000000"}}],'
    '"privacy_info":{"analytics_storage":"Yes","ads_storage":"No","uses_transient_token":"No"},'
    '"device":{"category":"desktop","mobile_brand_name":"Google","operating_system":"Windows",'
    '"language":"de-de","web_info":{"browser":"Chrome","browser_version":"120.0",'
    '"hostname":"shop.example.com"}},"geo":{"continent":"Europe","country":"Germany",'
    '"region":"Bavaria","city":"Munich"},"traffic_source":{"name":"(direct)","medium":"(none)",'
    '"source":"(direct)"},"collected_traffic_source":{"manual_source":"newsletter"},'
    '"stream_id":"2914562401","platform":"WEB","items":[],"is_active_user":true}\n'
    '{"event_date":"20231215","event_timestamp":"1702652000000001","event_name":"purchase",'
    '"event_params":[{"key":"value","value":{"double_value":3.0}},{"key":"tax","value":'
    '{"float_value":0.1}}],"event_previous_timestamp":"1702651559604143",'
    '"event_value_in_usd":129.5,"user_id":"0035g00000AbCdEAAZ",'
    '"user_pseudo_id":"427292018.1702650951","user_properties":[],"stream_id":"2914562401",'
    '"platform":"WEB","ecommerce":{"transaction_id":"T-1001","purchase_revenue":129.5,'
    '"total_item_quantity":"2"},"items":[{"item_id":"SKU-PRO","item_name":"Pro plan",'
    '"item_brand":"Acme","price":12.5,"quantity":"1"},{"item_id":"SKU-ADD",'
    '"item_name":"Add-on","price":3.0,"quantity":"1"}],"is_active_user":false}\n'
    '{"event_date":"20231215","event_timestamp":"1702652100000000","event_name":"page_view",'
    '"event_params":[],"user_properties":[],"platform":"WEB","items":[]}\n'
)


def write_ga4_parquet(path: Path, extra_sql: str = "") -> Path:
    """Write the BigQuery-typed events above to ``path`` with DuckDB's Parquet writer."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect() as scratch:
        scratch.execute(BIGQUERY_GA4_TABLE)
        if extra_sql:
            scratch.execute(extra_sql)
        scratch.execute(f"COPY events TO '{path}' (FORMAT parquet)")
    return path


def test_ga4_parquet_and_ndjson_of_the_same_events_give_identical_raw_rows(con, tmp_path):
    landing = make_landing(tmp_path, {"web/events_20231215.json": NDJSON_OF_THE_SAME_EVENTS})
    write_ga4_parquet(landing / "web/events_20231216.parquet")
    report = ingest_raw_table(con, landing, "web_events")
    by_file = {f.source_file: f for f in report.files}
    parquet = by_file["web/events_20231216.parquet"]
    assert parquet.source_format == "ga4_parquet"
    assert (parquet.rows_read, parquet.rows_loaded, parquet.rows_quarantined) == (3, 2, 1)
    from_json = raw_rows(con, "web/events_20231215.json")
    from_parquet = raw_rows(con, "web/events_20231216.parquet")
    assert [r[0] for r in from_parquet] == [1, 2]  # 1-based row numbers of the Parquet file
    assert from_parquet == from_json
    # the same quarantine outcome (the records differ: a JSON line vs the row as JSON)
    assert [q[:3] for q in quarantined(con, "web/events_20231216.parquet")] == [
        q[:3] for q in quarantined(con, "web/events_20231215.json")
    ]


def test_ga4_parquet_values_as_text(con, tmp_path):
    landing = make_landing(tmp_path, {})
    write_ga4_parquet(landing / "web/events_20231215.parquet")
    [result] = ingest_raw_table(con, landing, "web_events").files
    purchase = con.execute(
        "SELECT event_timestamp, event_params, event_value_in_usd, ecommerce, items "
        "FROM raw.web_events WHERE event_name = 'purchase'"
    ).fetchall()[0]
    assert purchase[0] == "1702652000000001"  # INT64 as the same digits
    assert [p["value"]["double_value"] for p in purchase[1]] == ["3.0", None]  # FLOAT64 3.0
    assert purchase[1][1]["value"]["float_value"] == "0.1"
    assert purchase[2] == "129.5"
    assert purchase[3] == {
        "transaction_id": "T-1001",
        "purchase_revenue": "129.5",
        "total_item_quantity": "2",
    }
    assert [i["price"] for i in purchase[4]] == ["12.5", "3.0"]
    page_view = con.execute(
        "SELECT collected_traffic_source, geo, device FROM raw.web_events WHERE _source_row = 1"
    ).fetchall()[0]
    assert page_view[0]["gclid"] is None  # not in this file's schema: NULL
    assert page_view[1] == {"country": "Germany", "region": "Bavaria", "city": "Munich"}
    assert page_view[2]["web_info"] == {"browser": "Chrome", "hostname": "shop.example.com"}
    # fields the raw shape does not hold are ignored and named in the ledger note
    note = " ".join(result.notes) + result.message
    for ignored in (
        "is_active_user",
        "device.mobile_brand_name",
        "device.web_info.browser_version",
        "geo.continent",
        "items[].item_brand",
    ):
        assert ignored in note
    bad = quarantined(con, "web/events_20231215.parquet")
    assert [(q[0], q[1]) for q in bad] == [(3, "user_pseudo_id")]
    assert "The event has no user_pseudo_id" in bad[0][2]
    assert '"event_timestamp":"1702652100000000"' in bad[0][3]


def test_ga4_parquet_of_another_shape_fails_with_the_column(con, tmp_path):
    landing = make_landing(tmp_path, {})
    write_ga4_parquet(
        landing / "web/events_20231215.parquet",
        "ALTER TABLE events DROP COLUMN event_params; "
        "ALTER TABLE events ADD COLUMN event_params VARCHAR",
    )
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert result.status == "failed"
    assert "column event_params is VARCHAR in the file" in result.message
    assert "a repeated field (list)" in result.message


def test_committed_parquet_fixture_holds_what_the_sql_writes(tmp_path):
    fresh = write_ga4_parquet(tmp_path / "events.parquet")
    committed = FIXTURES / "ga4/events_20231217.parquet"
    with duckdb.connect() as scratch:
        schemas, rows = [
            [
                scratch.execute(f"{q} read_parquet('{path}')").fetchall()
                for path in (fresh, committed)
            ]
            for q in ("DESCRIBE SELECT * FROM", "SELECT * FROM")
        ]
    assert schemas[0] == schemas[1]
    assert rows[0] == rows[1]


def test_parquet_without_ga4_columns_is_not_claimed(tmp_path):
    path = tmp_path / "other.parquet"
    duckdb.sql(f"COPY (SELECT 1 AS id, 'x' AS name) TO '{path}' (FORMAT parquet)")
    assert not Ga4ParquetReader().detect(path, read_head(path))
    ga4 = write_ga4_parquet(tmp_path / "events_20231215.parquet")
    assert Ga4ParquetReader().detect(ga4, read_head(ga4))


# --- Snowplow ----------------------------------------------------------------------------------


def test_snowplow_field_list_is_the_canonical_one():
    # snowplow/documentation docs/pipeline/enriched-tsv-format: 131 fields, index 0..130
    assert len(SNOWPLOW_FIELDS) == 131 == len(set(SNOWPLOW_FIELDS))
    assert SNOWPLOW_FIELDS[:6] == (
        "app_id",
        "platform",
        "etl_tstamp",
        "collector_tstamp",
        "dvce_created_tstamp",
        "event",
    )
    assert SNOWPLOW_FIELDS[13] == "user_ipaddress"
    assert SNOWPLOW_FIELDS[52] == "contexts"
    assert SNOWPLOW_FIELDS[122:] == (
        "derived_contexts",
        "domain_sessionid",
        "derived_tstamp",
        "event_vendor",
        "event_name",
        "event_format",
        "event_version",
        "event_fingerprint",
        "true_tstamp",
    )


def test_snowplow_events_map_to_the_ga4_shape(con, tmp_path):
    landing = make_landing(tmp_path, {"web/enriched_events.tsv": SNOWPLOW_FIXTURE})
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.source_format, result.status) == ("snowplow_tsv", "loaded")
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 4, 1)
    rows = con.execute(
        "SELECT _source_row, event_date, event_timestamp, event_name, user_pseudo_id, user_id, "
        "geo, device.web_info.browser, collected_traffic_source.manual_campaign_name, "
        "stream_id, platform FROM raw.web_events ORDER BY 1"
    ).fetchall()
    assert [r[:6] for r in rows] == [
        (1, "20231215", "1702649159863000", "page_view", "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
         None),
        (2, "20231215", "1702649258506000", "page_view", "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
         None),
        (4, "20231215", "1702649289991000", "event", "c6ef3124-b53a-4b13-a233-0088f79dcbcb",
         None),
        # no derived_tstamp: collector_tstamp 2023-12-15 16:30:01.250
        (5, "20231215", "1702657801250000", "page_view", "9a1b7c2e-55f0-4c1e-8d2a-7f3e4b6a0c11",
         "0035g00000AbCdEAAZ"),
    ]  # fmt: skip
    assert rows[3][6:] == (
        {"country": "AT", "region": "9", "city": "Vienna"},
        "Chrome",
        "q4_launch",
        "shop",
        "web",
    )
    params = {
        r[0]: {p["key"]: p["value"] for p in r[1]}
        for r in con.execute("SELECT _source_row, event_params FROM raw.web_events").fetchall()
    }
    assert (
        params[1]["page_location"]["string_value"]
        == "https://shop.example.com/pricing?utm_source=newsletter"
    )
    assert params[1]["page_title"]["string_value"] == "Preise – Pläne, Tarife"
    assert params[1]["page_referrer"]["string_value"] == "https://www.google.com/"
    assert params[1]["ga_session_number"]["int_value"] == "2"
    # one session number per domain_sessionid, different between sessions
    sessions = {r: params[r]["ga_session_id"]["int_value"] for r in params}
    assert sessions[1] == sessions[2] == sessions[4] != sessions[5]
    assert 0 < int(sessions[1]) < 2**60
    # the structured event keeps its fields; contexts stay the JSON text
    assert params[4]["snowplow.se_action"]["string_value"] == "submit"
    assert params[4]["snowplow.se_label"]["string_value"] == "demo_request"
    assert params[4]["snowplow.event"]["string_value"] == "struct"
    assert params[4]["snowplow.contexts"]["string_value"].startswith(
        '{"schema":"iglu:com.snowplowanalytics.snowplow/contexts/jsonschema/1-0-0"'
    )


def test_snowplow_no_field_is_lost_and_no_ip_address_is_loaded(con, tmp_path):
    landing = make_landing(tmp_path, {"web/enriched_events.tsv": SNOWPLOW_FIXTURE})
    ingest_raw_table(con, landing, "web_events")
    lines = SNOWPLOW_FIXTURE.read_text(encoding="utf-8").splitlines()
    for row, params in con.execute(
        "SELECT _source_row, event_params FROM raw.web_events"
    ).fetchall():
        fields = dict(zip(SNOWPLOW_FIELDS, lines[row - 1].split("\t"), strict=True))
        keys = {p["key"]: p["value"]["string_value"] for p in params}
        for name, value in fields.items():
            if value and name not in MAPPED_FIELDS and name not in NOT_LOADED:
                assert keys[f"snowplow.{name}"] == value, (row, name)
    everything = con.execute(
        "SELECT string_agg(CAST(to_json(w) AS VARCHAR), '') FROM raw.web_events AS w"
    ).fetchall()[0][0] + "".join(str(q) for q in quarantined(con, "web/enriched_events.tsv"))
    for ip in ("203.0.113.42", "198.51.100.7"):
        assert ip in SNOWPLOW_FIXTURE.read_text(encoding="utf-8")
        assert ip not in everything


def test_snowplow_bad_lines_are_quarantined_with_line_and_column(con, tmp_path):
    lines = SNOWPLOW_FIXTURE.read_text(encoding="utf-8").splitlines()
    good = lines[0].split("\t")

    def variant(**values: str) -> str:
        fields = list(good)
        for name, value in values.items():
            fields[SNOWPLOW_FIELDS.index(name)] = value
        return "\t".join(fields)

    text = "\n".join(
        [
            lines[0],
            variant(domain_userid=""),
            variant(derived_tstamp="", collector_tstamp=""),
            variant(derived_tstamp="15.12.2023 14:05"),
            variant(event="", event_name=""),
            lines[2],  # 130 fields
            "",
            lines[1],
        ]
    )
    landing = make_landing(
        tmp_path, {"web/2023-12-15-enriched.tsv.gz": gzip.compress(text.encode() + b"\r\n")}
    )
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 2, 5)
    assert [r[0] for r in raw_rows(con, "web/2023-12-15-enriched.tsv.gz")] == [1, 8]
    bad = quarantined(con, "web/2023-12-15-enriched.tsv.gz")
    assert [(q[0], q[1]) for q in bad] == [
        (2, "domain_userid"),
        (3, "collector_tstamp"),
        (4, "derived_tstamp"),
        (5, "event"),
        (6, None),
    ]
    assert "no domain_userid" in bad[0][2]
    assert "neither derived_tstamp nor collector_tstamp" in bad[1][2]
    assert "'15.12.2023 14:05' in derived_tstamp is not a timestamp" in bad[2][2]
    assert "has 130 tab-separated fields, but this file's lines have 131" in bad[4][2]
    assert all("203.0.113.42" not in q[3] for q in bad)


def test_snowplow_older_layouts_are_detected_by_width(con, tmp_path):
    line = SNOWPLOW_FIXTURE.read_text(encoding="utf-8").splitlines()[0].split("\t")
    r70 = "\t".join(line[:125])  # up to R70: no event_vendor .. true_tstamp
    r62 = "\t".join(line[:108])  # up to R62: no tr_currency .. derived_tstamp either
    landing = make_landing(
        tmp_path, {"web/r70.tsv": r70 + "\n", "web/r62.tsv": r62 + "\n" + r70 + "\n"}
    )
    report = ingest_raw_table(con, landing, "web_events")
    by_file = {f.source_file: f for f in report.files}
    assert (by_file["web/r70.tsv"].rows_loaded, by_file["web/r62.tsv"].rows_loaded) == (1, 1)
    assert "125 fields per line" in " ".join(by_file["web/r70.tsv"].notes)
    assert [q[:2] for q in quarantined(con, "web/r62.tsv")] == [(2, None)]
    rows = dict(
        con.execute(
            "SELECT _source_file, [event_timestamp, event_name, "
            "list_filter(event_params, lambda p: p.key = 'ga_session_id')[1].value.int_value] "
            "FROM raw.web_events"
        ).fetchall()
    )
    # R70: derived_tstamp exists; event_name does not, so event names the kind
    assert rows["web/r70.tsv"][:2] == ["1702649159863000", "page_view"]
    # R62: collector_tstamp; the session number from domain_userid + domain_sessionidx
    assert rows["web/r62.tsv"][0] == "1702649159870000"
    assert rows["web/r62.tsv"][2] != rows["web/r70.tsv"][2]


def test_snowplow_fixture_is_claimed_by_the_snowplow_reader_only():
    head = read_head(SNOWPLOW_FIXTURE)
    readers = {id(r): r for spec in RAW_TABLES.values() for r in spec.readers}.values()
    assert [r.name for r in readers if r.detect(SNOWPLOW_FIXTURE, head)] == ["snowplow_tsv"]
    assert not SnowplowTsvReader().detect(
        FIXTURES / "ga4/events_20231215.json", read_head(FIXTURES / "ga4/events_20231215.json")
    )


def test_web_file_names():
    web = RAW_TABLES["web_events"]
    for name in (
        "events_20231215.json",
        "events_20231215.json.gz",
        "events_20231215.parquet",
        "2023-12-15-49612345678901234567890.tsv.gz",
        "enriched.TSV",
    ):
        assert web.matches(name), name
    for name in ("events_2023121.json", "events_20231215.parquet.gz", "notes.txt", "x.tsv.zip"):
        assert not web.matches(name), name


# --- long GA4 lines ----------------------------------------------------------------------------


def write_long_event(path: Path, target_bytes: int, name_bytes: int, *, first: bool) -> int:
    """An NDJSON file with one purchase whose items array makes its line ``target_bytes`` long,
    between two short events (or first, so that the head holds no complete line)."""
    start = (
        b'{"event_date":"20231215","event_timestamp":"1702651559604143","event_name":"purchase",'
        b'"user_pseudo_id":"u.1","items":['
    )
    item = (
        b'{"item_id":"SKU-1","item_name":"' + b"x" * name_bytes + b'","price":12.5,"quantity":"1"}'
    )
    count = (target_bytes - len(start) - 2) // (len(item) + 1) + 1
    short = b'{"event_name":"page_view","event_timestamp":"1","user_pseudo_id":"u.2"}\n'
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        if not first:
            out.write(short)
        out.write(start)
        for i in range(count):
            out.write(item if i == 0 else b"," + item)
        out.write(b"]}\n")
        out.write(short)
    return count


def test_ga4_line_of_5_mb_loads_and_is_detected_when_first(con, tmp_path):
    landing = tmp_path / "landing"
    count = write_long_event(
        landing / "web/events_20231215.json", 5_000_000, name_bytes=60, first=True
    )
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 2, 2)
    assert con.execute(
        "SELECT _source_row, len(items), items[1].price FROM raw.web_events ORDER BY 1"
    ).fetchall() == [(1, count, "12.5"), (2, None, None)]


def test_ga4_line_just_over_64_mb_loads(con, tmp_path):
    # Costs about 3 s and 600 MB peak memory on two cores (DuckDB holds the line a few times).
    landing = tmp_path / "landing"
    path = landing / "web/events_20231215.json"
    count = write_long_event(path, (64 << 20) + 1000, name_bytes=200_000, first=False)
    line = path.read_bytes().split(b"\n")[1]
    assert (64 << 20) < len(line) < MAX_LINE_BYTES
    del line
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 3, 3)
    assert con.execute(
        "SELECT _source_row, len(items), length(items[-1].item_name) FROM raw.web_events ORDER BY 1"
    ).fetchall() == [(1, None, None), (2, count, 200_000), (3, None, None)]


# --- GA4 NDJSON days read in one batch ---------------------------------------------------------


def _ga4_line(n: int, user: str = "u1") -> str:
    return (
        f'{{"event_date": "20231215", "event_timestamp": "17026491598{n:05d}", '
        f'"event_name": "page_view", "user_pseudo_id": "{user}"}}'
    )


def _ga4_days() -> dict[str, bytes]:
    """Four days with bad lines in different places: a cut-off line, a missing user id, an
    empty line, bytes that are not UTF-8 (a line DuckDB itself rejects; after the first MiB,
    which detection reads) and a CRLF ending."""
    day1 = "\n".join(_ga4_line(i) for i in range(5)) + "\n"
    day2 = "\n".join([_ga4_line(10), '{"event_name": "cut', _ga4_line(11), "", _ga4_line(12)])
    first = "\n".join(_ga4_line(20 + i % 7) for i in range(12_000)) + "\n"
    day3 = (
        first.encode()
        + b'{"event_name": "\xff\xfe"}\n'
        + (_ga4_line(21) + "\r\n" + _ga4_line(22, user="") + "\n").encode()
    )
    day4 = "\n".join(_ga4_line(30 + i) for i in range(3))
    return {
        "web/events_20231215.json.gz": gzip.compress(day1.encode()),
        "web/events_20231216.json.gz": gzip.compress(day2.encode()),
        "web/events_20231217.json.gz": gzip.compress(day3),
        "web/events_20231218.json.gz": gzip.compress(day4.encode()),
    }


def _loaded(con: duckdb.DuckDBPyConnection, files: dict[str, bytes]) -> dict[str, tuple]:
    return {
        name: (raw_rows(con, name), quarantined(con, name))
        for name in sorted(files)
    }  # fmt: skip


def test_ga4_days_read_in_one_batch_load_as_read_one_by_one(tmp_path, monkeypatch):
    """A batch read (one scan over several days) gives every file the same raw rows, line
    numbers and quarantine as reading each day alone."""
    from orchestration.ingestion.readers.ga4 import Ga4NdjsonReader

    files = _ga4_days()
    landing = make_landing(tmp_path, files)
    batched = duckdb.connect(str(tmp_path / "batched.duckdb"))
    report = ingest_raw_table(batched, landing, "web_events")
    assert {f.status for f in report.files} == {"loaded"}
    monkeypatch.setattr(Ga4NdjsonReader, "batch_max_files", 1)
    alone = duckdb.connect(str(tmp_path / "alone.duckdb"))
    ingest_raw_table(alone, landing, "web_events")
    got, expected = _loaded(batched, files), _loaded(alone, files)
    assert got == expected
    day2_rows, day2_bad = got["web/events_20231216.json.gz"]
    assert [r[0] for r in day2_rows] == [1, 3, 5] and [q[0] for q in day2_bad] == [2]
    day3_rows, day3_bad = got["web/events_20231217.json.gz"]
    assert [r[0] for r in day3_rows[-2:]] == [12_000, 12_002]
    assert [q[0] for q in day3_bad] == [12_001, 12_003]
    assert "UTF-8" in day3_bad[0][2] and day3_bad[1][1] == "user_pseudo_id"
    batched.close()
    alone.close()


def test_a_damaged_day_in_a_batch_fails_alone(con, tmp_path):
    """A cut-off gzip day among others: that day fails with its own message, the others load."""
    files = _ga4_days()
    files["web/events_20231216.json.gz"] = files["web/events_20231216.json.gz"][:-12]
    report = ingest_raw_table(con, make_landing(tmp_path, files), "web_events")
    status = {f.source_file: f.status for f in report.files}
    assert status.pop("web/events_20231216.json.gz") == "failed"
    assert set(status.values()) == {"loaded"}
    failed = next(f for f in report.files if f.status == "failed")
    assert "gzip" in failed.message and "events_20231216" in failed.message


def test_a_held_day_in_a_batch_is_held_alone(con, tmp_path):
    """Days applied in one transaction: when one of them is held (a shorter copy of a loaded
    day), the transaction is undone and the days are applied one by one, so only it is held."""
    files = _ga4_days()
    landing = make_landing(tmp_path, files)
    ingest_raw_table(con, landing, "web_events")
    longer = "\n".join(_ga4_line(i) for i in range(7)) + "\n"
    (landing / "web/events_20231215.json.gz").write_bytes(gzip.compress(longer.encode()))
    (landing / "web/events_20231216.json.gz").write_bytes(gzip.compress(_ga4_line(10).encode()))
    report = ingest_raw_table(con, landing, "web_events")
    status = {f.source_file: f.status for f in report.files if f.status != "skipped_duplicate"}
    assert status == {"web/events_20231215.json.gz": "loaded",
                      "web/events_20231216.json.gz": "held"}  # fmt: skip
    assert len(raw_rows(con, "web/events_20231215.json.gz")) == 7
    assert len(raw_rows(con, "web/events_20231216.json.gz")) == 3  # the earlier copy stays


def test_a_plain_day_between_gzipped_days_does_not_split_their_batch(tmp_path, monkeypatch):
    """Gzipped days are read in one scan even when a plain day lies between them (the plain day
    is read in a scan of its own), and every day loads as it does when read alone."""
    from orchestration.ingestion.readers import ga4, lines

    files = _ga4_days()
    files["web/events_20231219.json.gz"] = files.pop("web/events_20231216.json.gz")
    plain = "\n".join(_ga4_line(40 + i) for i in range(4)) + "\n\n" + _ga4_line(44) + "\n"
    files["web/events_20231216.json"] = plain.encode()  # between the gzipped days
    landing = make_landing(tmp_path, files)
    scans: list[int] = []

    def counting(con, paths, scope, **kwargs):
        scans.append(len(paths))
        return lines.read_lines_batch(con, paths, scope, **kwargs)

    monkeypatch.setattr(ga4, "read_lines_batch", counting)
    batched = duckdb.connect(str(tmp_path / "batched.duckdb"))
    report = ingest_raw_table(batched, landing, "web_events")
    assert {f.status for f in report.files} == {"loaded"}
    assert scans == [4]  # the four gzipped days; the lone plain day is read on its own
    monkeypatch.setattr(ga4.Ga4NdjsonReader, "batch_max_files", 1)
    alone = duckdb.connect(str(tmp_path / "alone.duckdb"))
    ingest_raw_table(alone, landing, "web_events")
    got, expected = _loaded(batched, files), _loaded(alone, files)
    assert got == expected
    plain_rows, _ = got["web/events_20231216.json"]
    assert [r[0] for r in plain_rows] == [1, 2, 3, 4, 6]
    batched.close()
    alone.close()


def _batched_and_alone(tmp_path, monkeypatch, files) -> tuple[dict, dict, list[bool]]:
    """Raw rows and quarantine of ``files`` read in batches, then each day alone (line by
    line), and for each batch whether DuckDB's JSON reader parsed it (the fast path)."""
    from orchestration.ingestion.readers import ga4

    landing = make_landing(tmp_path, files)
    parsed: list[bool] = []
    parse_batch = ga4._parse_batch

    def recording(con, paths, scope):
        parsed.append(False)  # until it returns rows
        result = parse_batch(con, paths, scope)
        parsed[-1] = result is not None
        return result

    with monkeypatch.context() as patch:
        patch.setattr(ga4, "_parse_batch", recording)
        batched = duckdb.connect(str(tmp_path / "batched.duckdb"))
        report = ingest_raw_table(batched, landing, "web_events")
    assert {f.status for f in report.files} == {"loaded"}, [f.message for f in report.files]
    with monkeypatch.context() as patch:
        patch.setattr(ga4.Ga4NdjsonReader, "batch_max_files", 1)
        alone = duckdb.connect(str(tmp_path / "alone.duckdb"))
        ingest_raw_table(alone, landing, "web_events")
    got, expected = _loaded(batched, files), _loaded(alone, files)
    batched.close()
    alone.close()
    return got, expected, parsed


def test_clean_ga4_days_parsed_by_the_json_reader_load_as_read_line_by_line(tmp_path, monkeypatch):
    """Days whose every line is one complete event are parsed in one read_json scan; they give
    the same raw rows and line numbers as the line-by-line read (the sample's export lines:
    both null styles, INT64 as strings, FLOAT64 as numbers, nested params and items; a plain
    day, one with CRLF line ends and no final line break)."""
    web = Path(__file__).resolve().parents[2] / "seeds/web"
    gzipped = sorted(web.glob("*.json.gz"))[:3]
    files: dict[str, object] = {f"web/{p.name}": p for p in gzipped}
    files["web/events_20231216.json"] = FIXTURES / "ga4/events_20231216.json"
    crlf = gzip.decompress(gzipped[0].read_bytes()).replace(b"\n", b"\r\n").rstrip(b"\r\n")
    files["web/events_20231218.json"] = crlf
    got, expected, parsed = _batched_and_alone(tmp_path, monkeypatch, files)
    assert parsed == [True, True]  # the gzipped days, then the plain ones
    assert got == expected
    assert all(rows and not bad for rows, bad in got.values())
    crlf_rows, _ = got["web/events_20231218.json"]
    assert [r[0] for r in crlf_rows] == list(range(1, crlf.count(b"\n") + 2))


@pytest.mark.parametrize(
    "line",
    [
        "[1, 2]",
        "null",
        "   ",
        '{"event_name": "a", "event_name": "b"}',
        _ga4_line(2) + _ga4_line(3),
    ],
    ids=["array", "null", "blank", "duplicate_key", "two_objects"],
)
def test_a_day_with_a_line_that_is_not_one_event_is_read_line_by_line(tmp_path, monkeypatch, line):
    """When a line is not exactly one event object, the JSON reader's rows cannot be numbered
    by line: the batch is read line by line and the line is quarantined with its number."""
    clean = "\n".join(_ga4_line(i) for i in range(3)) + "\n"
    day = "\n".join([_ga4_line(10), line, _ga4_line(11)]) + "\n"
    files = {
        "web/events_20231215.json.gz": gzip.compress(clean.encode()),
        "web/events_20231216.json.gz": gzip.compress(day.encode()),
    }
    got, expected, parsed = _batched_and_alone(tmp_path, monkeypatch, files)
    assert parsed == [False]
    assert got == expected
    rows, bad = got["web/events_20231216.json.gz"]
    assert [r[0] for r in rows] == [1, 3] and [q[0] for q in bad] == [2]


def test_ingestion_timing_loads_a_new_warehouse_and_counts_rows(tmp_path):
    """The timing tool (python -m orchestration.ingestion.timing) loads the named raw tables
    into a new file, prints their counts, and refuses a file that exists."""
    from orchestration.ingestion.timing import main, time_ingestion

    landing = make_landing(tmp_path, _ga4_days())
    warehouse = tmp_path / "timed.duckdb"
    lines = time_ingestion(landing, warehouse, ["web_events"])
    assert lines[0].startswith("web_events")
    assert lines[0].endswith("read     12,015 loaded     12,012 quarantined      3 files 4")
    assert lines[-1].startswith("all") and "peak RSS" in lines[-1]
    with duckdb.connect(str(warehouse)) as con:
        assert con.execute("SELECT count(*) FROM raw.web_events").fetchall()[0][0] == 12_012
    assert main([str(landing), str(warehouse)]) == 2  # the file exists now


def test_gzipped_days_load_in_a_batch_under_a_small_memory_limit(tmp_path):
    """With DuckDB's memory_limit at 1 GB (CJM_DUCKDB_MEMORY_LIMIT), a batch of gzipped days
    still loads: the line reader's buffer is one long line's worth, not DuckDB's default of 16
    times max_line_size (4 GiB, which no memory limit of a few GB can give)."""
    files = _ga4_days()
    con = duckdb.connect(str(tmp_path / "limited.duckdb"), config={"memory_limit": "1GB"})
    report = ingest_raw_table(con, make_landing(tmp_path, files), "web_events")
    assert {f.status for f in report.files} == {"loaded"}, [f.message for f in report.files]
    con.close()


def test_large_days_are_still_read_two_at_a_time(tmp_path, monkeypatch):
    """Days larger than the batch's byte budget go two to a batch (one thread per gzipped file
    for each core), not one by one."""
    from orchestration.ingestion import loader
    from orchestration.ingestion.readers import ga4

    monkeypatch.setattr(loader, "BATCH_MAX_BYTES", 1)
    scans: list[int] = []
    parse_batch = ga4._parse_batch

    def counting(con, paths, scope):
        scans.append(len(paths))
        return parse_batch(con, paths, scope)

    monkeypatch.setattr(ga4, "_parse_batch", counting)
    days = {
        f"web/events_2023121{d}.json.gz": gzip.compress(_ga4_line(d).encode()) for d in range(3)
    }
    report = ingest_raw_table(duckdb.connect(), make_landing(tmp_path, days), "web_events")
    assert {f.status for f in report.files} == {"loaded"}
    assert scans == [2]  # the third day, alone, is read without a batch
