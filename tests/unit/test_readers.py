"""Each export reader on real-format input (hand-written fixtures and real public samples)."""

from __future__ import annotations

import codecs
import dataclasses
import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from orchestration.ingestion.pii import pii_hash
from orchestration.ingestion.readers import RefusedFormat
from orchestration.ingestion.readers.qualtrics import find_nps_column, find_time_zone
from orchestration.ingestion.schema import GA4_EVENT_COLUMNS, LINEAGE_COLUMNS
from orchestration.ingestion.textfile import read_head, sniff_csv
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LINEAGE = [name for name, _ in LINEAGE_COLUMNS]
ALL_READERS = {id(r): r for spec in RAW_TABLES.values() for r in spec.readers}.values()


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[dict]:
    cursor = con.execute(sql, params or [])
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def quarantine(con: duckdb.DuckDBPyConnection, source_file: str) -> list[dict]:
    return rows(
        con,
        "SELECT source_row, column_name, reason, record FROM ops.quarantine "
        "WHERE source_file = ? ORDER BY source_row",
        [source_file],
    )


# --- detection -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("qualtrics/post_interaction_nps.csv", "qualtrics_csv"),
        ("qualtrics/support_followup.csv", "qualtrics_csv"),
        ("shared_samples/survey/qualtrics_legacy_v1v10.csv", "qualtrics_legacy_csv"),
        (
            "shared_samples/survey/qualtrics_2016_insights_comments.csv",
            "qualtrics_insights_2016_csv",
        ),
        ("qualtrics/same_response_current.csv", "qualtrics_csv"),
        ("qualtrics/same_response_legacy.csv", "qualtrics_legacy_csv"),
        ("qualtrics/same_response_insights_2016.csv", "qualtrics_insights_2016_csv"),
        ("surveymonkey/customer_feedback.csv", "surveymonkey_csv"),
        ("salesforce/Account.csv", "salesforce_csv"),
        ("salesforce/Contact.csv", "salesforce_csv"),
        ("salesforce/Case.csv", "salesforce_csv"),
        ("ga4/events_20231215.json", "ga4_ndjson"),
        ("ga4/events_20231217.parquet", "ga4_parquet"),
        ("snowplow/enriched_events.tsv", "snowplow_tsv"),
    ],
)
def test_exactly_one_reader_claims_each_fixture(fixture: str, expected: str) -> None:
    path = FIXTURES / fixture
    head = read_head(path)
    claimed = [r.name for r in ALL_READERS if r.detect(path, head)]
    assert claimed == [expected]


def test_gzipped_ndjson_is_detected_through_its_decompressed_head(tmp_path: Path) -> None:
    path = tmp_path / "events_20231216.json.gz"
    path.write_bytes(gzip.compress((FIXTURES / "ga4/events_20231216.json").read_bytes()))
    head = read_head(path)
    assert head.startswith(b'{"event_date"')
    assert [r.name for r in ALL_READERS if r.detect(path, head)] == ["ga4_ndjson"]


def test_sniff_csv_reads_bom_crlf_and_multiline_header_values() -> None:
    head = sniff_csv(read_head(FIXTURES / "qualtrics/post_interaction_nps.csv"))
    assert head is not None
    assert head.delimiter == ","
    assert head.header[0] == "StartDate"  # byte-order mark removed
    assert head.records[1][17].startswith("Wie wahrscheinlich ist es, dass Sie")
    assert json.loads(head.records[2][0]) == {"ImportId": "startDate", "timeZone": "America/Denver"}


def test_sniff_csv_detects_semicolons_and_utf16() -> None:
    semicolon = sniff_csv('"Id";"Name"\r\n"001";"Müller; Söhne"\r\n'.encode())
    assert semicolon is not None and semicolon.delimiter == ";"
    assert semicolon.records[1] == ["001", "Müller; Söhne"]
    utf16 = sniff_csv('"Id","Name"\r\n"001","Ä"\r\n'.encode("utf-16"))
    assert utf16 is not None and utf16.encoding == "UTF-16LE" and utf16.needs_conversion
    assert utf16.records == [["Id", "Name"], ["001", "Ä"]]
    cp1252 = sniff_csv("Id,Name\r\n001,Müller\r\n".encode("cp1252"))  # German Excel
    assert cp1252 is not None and cp1252.encoding == "Windows-1252"
    assert cp1252.records == [["Id", "Name"], ["001", "Müller"]]


def test_nps_column_found_by_companion_or_configuration() -> None:
    ids = ["ResponseId", "Q3.13_NPS_GROUP", "Q3.13", "Q4"]
    assert find_nps_column(ids, None) == (2, None)
    assert find_nps_column(ids, "Q4") == (3, None)
    index, note = find_nps_column(ids, "Q9")
    assert index == 2 and "Q9" in note
    assert find_nps_column(["ResponseId", "Q1"], None) == (None, None)


def test_time_zone_comes_from_recorded_date_import_id() -> None:
    row3 = [
        '{"ImportId":"startDate","timeZone":"Europe/Berlin"}',
        '{"ImportId":"recordedDate","timeZone":"America/Denver"}',
        '{"ImportId":"QID1"}',
    ]
    assert find_time_zone(row3) == "America/Denver"
    assert find_time_zone(['{"ImportId":"QID1"}', "{'ImportId': 'QID2'}"]) is None


# --- Qualtrics -------------------------------------------------------------------------------


def test_qualtrics_export_is_normalised_to_survey_responses(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {"survey/post_interaction_nps.csv": FIXTURES / "qualtrics/post_interaction_nps.csv"},
    )
    report = ingest_raw_table(con, landing, "survey_responses")
    [result] = report.files
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        6,
        4,
        2,
    )
    loaded = rows(con, "SELECT * FROM raw.survey_responses ORDER BY _source_row")
    assert [r["_source_row"] for r in loaded] == [4, 5, 6, 9]
    first = loaded[0]
    assert first["_source_file"] == "survey/post_interaction_nps.csv"
    assert {k: first[k] for k in list(first)[4:21]} == {
        "source_format": "qualtrics_csv",
        "survey_name": "post_interaction_nps",
        "response_id": "R_1a2B3c4D5e6F7g8",
        "response_status": "IP Address",
        "is_finished": "True",
        "progress": "100",
        "started_at_local": "2023-12-15 09:01:02",
        "ended_at_local": "2023-12-15 09:03:10",
        "recorded_at_local": "2023-12-15 09:03:11",
        "source_timezone": "America/Denver",
        # personal data: raw holds its salted hash, pii.survey_responses the address
        "recipient_email": pii_hash("anna.mueller@example.com", os.environ["CJM_PII_SALT"]),
        "external_reference": "0035g00000AbCdEAAZ",
        "user_language": "DE",
        "distribution_channel": "email",
        "nps_question_id": "Q3.13",
        "nps_score": "10",
        "nps_group": "3",
    }
    assert (first["csat_question_id"], first["csat_score"]) == ("CSAT", "5")
    assert first["comment_question_id"] == "Q5_TEXT"
    assert first["comment"] == "Schnell, freundlich und kompetent.\r\nGerne wieder!"
    answers = json.loads(first["answers_json"])
    assert len(answers) == 27
    assert answers["touchpoint"] == "sales_call"
    assert answers["case_id"] is None
    assert answers["Q5_TEXT - Topics"] == "Service"

    preview, unfinished, quotes = loaded[1], loaded[2], loaded[3]
    assert preview["response_status"] == "Survey Preview"  # kept in raw, excluded later
    assert (unfinished["is_finished"], unfinished["nps_score"], unfinished["progress"]) == (
        "False",
        None,
        "40",
    )
    # first non-empty *_TEXT column wins; doubled quotes are undone
    assert (quotes["comment_question_id"], quotes["comment"]) == ("Q2_4_TEXT", "Messe, Stand 4")
    assert json.loads(quotes["answers_json"])["Q5_TEXT"] == (
        'Sie sagten "nie wieder", aber ich komme zurück.'
    )
    assert quotes["external_reference"] == "0035g00000AbCdE"  # 15-character id as exported

    bad = quarantine(con, "survey/post_interaction_nps.csv")
    assert [(q["source_row"], q["column_name"]) for q in bad] == [(7, "ResponseId"), (8, None)]
    assert "no ResponseId" in bad[0]["reason"]
    assert "28 values" in bad[1]["reason"] and "27 columns" in bad[1]["reason"]
    original_row_8 = (
        (FIXTURES / "qualtrics/post_interaction_nps.csv")
        .read_bytes()
        .decode("utf-8-sig")
        .split("\r\n")[8]  # physical line 9 (row 4 spans two lines)
    )
    assert bad[1]["record"] == original_row_8


def test_qualtrics_default_time_zone_and_configured_csat(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"survey/support_followup.csv": FIXTURES / "qualtrics/support_followup.csv"}
    )
    settings = IngestSettings(survey_timezone="Europe/Berlin", csat_questions=("CSAT", "Q4"))
    [result] = ingest_raw_table(con, landing, "survey_responses", settings).files
    assert result.status == "loaded"
    notes = " ".join(result.notes)  # reader notes are kept apart from the message
    assert "names no time zone" in notes and "Europe/Berlin" in notes
    loaded = rows(con, "SELECT * FROM raw.survey_responses ORDER BY _source_row")
    assert [r["source_timezone"] for r in loaded] == ["Europe/Berlin", "Europe/Berlin"]
    assert [(r["response_status"], r["is_finished"]) for r in loaded] == [("0", "1"), ("1", "1")]
    assert [(r["nps_question_id"], r["nps_score"], r["nps_group"]) for r in loaded] == [
        ("Q1", "6", "1"),
        ("Q1", "9", "3"),
    ]
    assert [(r["csat_question_id"], r["csat_score"]) for r in loaded] == [("Q4", "2"), ("Q4", "5")]
    assert loaded[0]["comment"] == "Too slow,\nsorry."
    assert loaded[1]["comment"] is None and loaded[1]["comment_question_id"] is None


def test_qualtrics_nps_question_from_configuration(con, tmp_path: Path) -> None:
    text = (FIXTURES / "qualtrics/support_followup.csv").read_text(encoding="utf-8")
    text = text.replace("Q1_NPS_GROUP", "Q1_GROUP_CODE", 1)  # no companion any more
    landing = make_landing(tmp_path, {"survey/no_companion.csv": text})
    [result] = ingest_raw_table(con, landing, "survey_responses").files
    assert "No NPS question found" in " ".join(result.notes)
    assert con.execute("SELECT count(nps_score) FROM raw.survey_responses").fetchall() == [(0,)]

    (landing / "survey/no_companion.csv").write_text(text + "\n", encoding="utf-8")  # new bytes
    settings = IngestSettings(nps_question="Q1")
    [result] = ingest_raw_table(con, landing, "survey_responses", settings).files
    assert result.status == "loaded"
    assert con.execute(
        "SELECT nps_question_id, nps_score FROM raw.survey_responses ORDER BY _source_row"
    ).fetchall() == [("Q1", "6"), ("Q1", "9")]


def test_qualtrics_unknown_time_zone_falls_back_to_default(con, tmp_path: Path) -> None:
    text = (FIXTURES / "qualtrics/post_interaction_nps.csv").read_text(encoding="utf-8-sig")
    landing = make_landing(
        tmp_path, {"survey/mars.csv": text.replace("America/Denver", "Mars/Olympus_Mons")}
    )
    [result] = ingest_raw_table(
        con, landing, "survey_responses", IngestSettings(survey_timezone="UTC")
    ).files
    assert "Mars/Olympus_Mons" in " ".join(result.notes)
    assert con.execute("SELECT DISTINCT source_timezone FROM raw.survey_responses").fetchall() == [
        ("UTC",)
    ]


def test_real_legacy_qualtrics_samples_load(con, tmp_path: Path) -> None:
    """The real legacy and 2016 "Insights" samples load every response (details in
    tests/unit/test_survey_formats.py)."""
    samples = FIXTURES / "shared_samples/survey"
    landing = make_landing(tmp_path, {f"survey/{p.name}": p for p in sorted(samples.glob("*.csv"))})
    report = ingest_raw_table(con, landing, "survey_responses")
    assert [(f.source_file, f.status, f.source_format) for f in report.files] == [
        ("survey/qualtrics_2016_insights_comments.csv", "loaded", "qualtrics_insights_2016_csv"),
        ("survey/qualtrics_legacy_v1v10.csv", "loaded", "qualtrics_legacy_csv"),
    ]
    ledger = rows(con, "SELECT * FROM ops.load_ledger ORDER BY source_file")
    assert [(r["status"], r["rows_read"], r["rows_loaded"]) for r in ledger] == [
        ("loaded", 10, 10),
        ("loaded", 5, 5),
    ]
    assert con.execute(
        "SELECT source_format, count(*) FROM raw.survey_responses GROUP BY 1 ORDER BY 1"
    ).fetchall() == [("qualtrics_insights_2016_csv", 10), ("qualtrics_legacy_csv", 5)]


# --- Salesforce ------------------------------------------------------------------------------


def test_salesforce_data_loader_upper_case_headers(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Account.csv": FIXTURES / "salesforce/Account.csv"})
    [result] = ingest_raw_table(con, landing, "crm_accounts").files
    assert (result.status, result.rows_read, result.rows_loaded) == ("loaded", 3, 3)
    columns = [r[0] for r in con.execute("DESCRIBE raw.crm_accounts").fetchall()]
    # the standard fields the warehouse reads come first, then the file's other fields
    assert columns == LINEAGE + [
        "id",
        "_decimal_separator",
        "name",
        "industry",
        "billingcountry",  # NULL: this export has no BillingCountry field
        "numberofemployees",  # NULL
        "createddate",
        "isdeleted",  # NULL: this export has no IsDeleted field
        "billingcity",
        "annualrevenue",
        "tier__c",
    ]
    loaded = rows(con, "SELECT * FROM raw.crm_accounts ORDER BY _source_row")
    assert [r["_source_row"] for r in loaded] == [2, 3, 4]
    assert loaded[0]["name"] == "Müller & Söhne GmbH"
    assert loaded[0]["createddate"] == "2023-01-05T08:15:00.000Z"
    assert loaded[1]["billingcity"] == "San Francisco, CA"
    assert (loaded[1]["annualrevenue"], loaded[1]["tier__c"]) == (None, None)  # "" is NULL
    assert loaded[2]["name"] == "Line\r\nBreak Ltd"


def test_salesforce_camel_case_headers_and_missing_id(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Contact.csv": FIXTURES / "salesforce/Contact.csv"})
    [result] = ingest_raw_table(con, landing, "crm_contacts").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    loaded = rows(
        con,
        "SELECT id, p.email, createddate FROM raw.crm_contacts"
        " LEFT JOIN pii.crm_contacts p USING (_load_id, _source_row) ORDER BY _source_row",
    )
    assert loaded[1] == {
        "id": "0035g00000AbCdFAAZ",
        "email": " Anna.Mueller@Example.com ",  # kept exactly as exported (in pii)
        "createddate": "2023-05-06T09:00:00.000+0000",
    }
    assert loaded[2]["id"] == "0035g00000ZzZzZ"
    [bad] = quarantine(con, "crm/Contact.csv")
    assert (bad["source_row"], bad["column_name"]) == (5, "Id")
    assert bad["record"].startswith('"","0015g00000XyZ1bAAB","No","Id"')
    assert result.quarantine_samples[0].source_row == 5


def test_salesforce_malformed_records_are_quarantined_with_row_and_column(
    con, tmp_path: Path
) -> None:
    landing = make_landing(tmp_path, {"crm/Case.csv": FIXTURES / "salesforce/Case.csv"})
    [result] = ingest_raw_table(con, landing, "crm_cases").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 2, 2)
    assert con.execute("SELECT _source_row, id FROM raw.crm_cases ORDER BY 1").fetchall() == [
        (2, "5005g00000CaSe1AAA"),
        (5, "5005g00000CaSe4AAA"),
    ]
    bad = quarantine(con, "crm/Case.csv")
    assert [(q["source_row"], q["column_name"]) for q in bad] == [(3, "ClosedDate"), (4, "Subject")]
    assert "fewer values" in bad[0]["reason"] and "deliver it again" in bad[0]["reason"]
    assert "quote" in bad[1]["reason"]
    assert bad[0]["record"].startswith('"5005g00000CaSe2AAA"')


def test_csv_row_numbers_survive_empty_lines_and_blank_lines_inside_values(
    con, tmp_path: Path
) -> None:
    text = (
        '"Id","Subject"\n'
        '"5001","first"\n'
        "\n"  # an empty line (row 3 in a spreadsheet)
        '"5002","para one\n\npara two"\n'  # row 4, an empty line inside the value
        '"5003"\n'  # row 5: too few values
        '"5004","last"\n'  # row 6
    )
    landing = make_landing(tmp_path, {"crm/Case.csv": text})
    [result] = ingest_raw_table(con, landing, "crm_cases").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert con.execute("SELECT _source_row, id FROM raw.crm_cases ORDER BY 1").fetchall() == [
        (2, "5001"),
        (4, "5002"),
        (6, "5004"),
    ]
    assert [q["source_row"] for q in quarantine(con, "crm/Case.csv")] == [5]


def test_salesforce_utf16_and_semicolon_exports_load(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "crm/Account.csv": '"Id","Name"\r\n"001A","Müller"\r\n'.encode("utf-16"),
            "crm/Contact.csv": codecs.BOM_UTF8 + b'"ID";"EMAIL"\n"003A";"a;b@x.de"\n',
        },
    )
    ingest_raw_table(con, landing, "crm_accounts")
    ingest_raw_table(con, landing, "crm_contacts")
    assert con.execute("SELECT id, name FROM raw.crm_accounts").fetchall() == [("001A", "Müller")]
    assert con.execute(
        "SELECT id, p.email FROM raw.crm_contacts"
        " JOIN pii.crm_contacts p USING (_load_id, _source_row)"
    ).fetchall() == [("003A", "a;b@x.de")]


# --- GA4 -------------------------------------------------------------------------------------


def test_ga4_both_null_styles_and_int64_forms_load_identically(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"web/events_20231215.json": FIXTURES / "ga4/events_20231215.json"}
    )
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (7, 5, 2)
    assert "1 empty line(s) ignored." in result.notes
    data_columns = ", ".join(f'"{name}"' for name, _ in GA4_EVENT_COLUMNS)
    by_line = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT _source_row, {data_columns} FROM raw.web_events ORDER BY 1"
        ).fetchall()
    }
    assert sorted(by_line) == [1, 2, 3, 4, 8]
    assert by_line[1] == by_line[2]  # explicit nulls + strings == left-out keys + numbers
    assert by_line[1] == by_line[3]  # exact duplicate kept in raw
    event = rows(con, "SELECT * FROM raw.web_events WHERE _source_row = 2")[0]
    assert event["event_timestamp"] == "1702651559604143"
    assert event["event_params"][1] == {
        "key": "ga_session_id",
        "value": {
            "string_value": None,
            "int_value": "1702651540",
            "float_value": None,
            "double_value": None,
        },
    }
    assert event["device"]["web_info"] == {"browser": "Chrome", "hostname": "shop.example.com"}


def test_ga4_numbers_load_as_text(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"web/events_20231215.json": FIXTURES / "ga4/events_20231215.json"}
    )
    ingest_raw_table(con, landing, "web_events")
    purchase = rows(con, "SELECT * FROM raw.web_events WHERE event_name = 'purchase'")[0]
    assert purchase["ecommerce"] == {
        "transaction_id": "T-1001",
        "purchase_revenue": "129.5",
        "total_item_quantity": "1",
    }
    assert purchase["items"] == [
        {"item_id": "SKU-PRO", "item_name": "Pro plan", "price": "129.5", "quantity": "1"}
    ]
    assert purchase["user_id"] == "0035g00000AbCdEAAZ"
    session = rows(con, "SELECT * FROM raw.web_events WHERE event_name = 'session_start'")[0]
    assert session["user_properties"][0]["value"]["set_timestamp_micros"] == "1702652990000000"
    assert session["geo"] == {"country": "Austria", "region": "<Other>", "city": "(not set)"}


def test_ga4_bad_lines_are_quarantined_with_line_numbers(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"web/events_20231215.json": FIXTURES / "ga4/events_20231215.json"}
    )
    ingest_raw_table(con, landing, "web_events")
    bad = quarantine(con, "web/events_20231215.json")
    assert [(q["source_row"], q["column_name"]) for q in bad] == [(5, None), (6, "user_pseudo_id")]
    assert "not valid JSON" in bad[0]["reason"]
    assert bad[0]["record"] == '{"event_date":"20231215","event_timestamp":"1702652000000'
    assert "no user_pseudo_id" in bad[1]["reason"]


def test_ga4_line_numbers_stay_exact_after_a_line_duckdb_rejects(con, tmp_path: Path) -> None:
    good = '{"event_name":"page_view","event_timestamp":"1","user_pseudo_id":"u.1"}'
    text = "\n".join([good, '{"event_name":"x\x1ey"}', "[1, 2]", good, "{}"]) + "\n"
    landing = make_landing(tmp_path, {"web/events_20240101.json": text})
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (5, 2, 3)
    assert con.execute("SELECT _source_row FROM raw.web_events ORDER BY 1").fetchall() == [
        (1,),
        (4,),
    ]
    bad = quarantine(con, "web/events_20240101.json")
    assert [q["source_row"] for q in bad] == [2, 3, 5]
    assert "not an event object" in bad[1]["reason"]
    assert bad[2]["column_name"] == "event_name"


def test_ga4_gzipped_crlf_file(con, tmp_path: Path) -> None:
    text = (FIXTURES / "ga4/events_20231216.json").read_text(encoding="utf-8")
    landing = make_landing(
        tmp_path,
        {"web/events_20231216.json.gz": gzip.compress(text.replace("\n", "\r\n").encode())},
    )
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.source_file, result.status, result.rows_loaded) == (
        "web/events_20231216.json.gz",
        "loaded",
        2,
    )
    assert con.execute(
        "SELECT _source_row, event_name, event_params[1].value.int_value FROM raw.web_events "
        "ORDER BY 1"
    ).fetchall() == [(1, "page_view", None), (2, "generate_lead", "1702717990")]


def test_ga4_which_lines_load_is_decided_as_before_on_json_edge_cases(con, tmp_path: Path) -> None:
    # One JSON pass decides whether a line loads; these are the cases where parsers differ.
    lines = [
        '{"event_name":"a","event_timestamp":"1","user_pseudo_id":"u"}',
        "   ",
        '{"event_name":"a","event_timestamp":NaN,"user_pseudo_id":"u",}',
        '{"event_name":"","event_name":"a","event_timestamp":"1","user_pseudo_id":"u"}',
        '{"event_name":"a","event_name":"","event_timestamp":"1","user_pseudo_id":"u"}',
        '{"EVENT_NAME":"a","event_timestamp":"1","user_pseudo_id":"u"}',
        '{"event\\u005fname":"a","event_timestamp":"1","user_pseudo_id":"u"}',
        '{"event_name":{"x":1},"event_timestamp":2,"user_pseudo_id":true}',
        '{"event_name":"a","event_timestamp":"1","user_pseudo_id":"u","event_params":"x"}',
        '{"event_name":"a","event_timestamp":"1","user_pseudo_id":"u"} {"b":1}',
        "null",
        '{"event_name":" ","event_timestamp":"1","user_pseudo_id":null}',
    ]
    landing = make_landing(tmp_path, {"web/events_20240102.json": "\n".join(lines) + "\n"})
    [result] = ingest_raw_table(con, landing, "web_events").files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (12, 6, 6)
    assert con.execute(
        "SELECT _source_row, event_name, event_timestamp, user_pseudo_id, event_params "
        "FROM raw.web_events ORDER BY 1"
    ).fetchall() == [
        (1, "a", "1", "u", None),
        (3, "a", "NaN", "u", None),
        (5, "a", "1", "u", None),
        (7, "a", "1", "u", None),
        (8, '{"x":1}', "2", "true", None),
        (9, "a", "1", "u", None),
    ]
    bad = quarantine(con, "web/events_20240102.json")
    assert [(q["source_row"], q["column_name"]) for q in bad] == [
        (2, None),
        (4, "event_name"),
        (6, "event_name"),
        (10, None),
        (11, None),
        (12, "user_pseudo_id"),
    ]
    assert [q["reason"].split(" (")[0].split(";")[0] for q in bad] == [
        "The line is not valid JSON",
        "The event has no event_name",
        "The event has no event_name",
        "The line is not valid JSON",
        "The line is valid JSON but not an event object",
        "The event has no user_pseudo_id",
    ]
    assert [q["record"] for q in bad] == [lines[i - 1] for i in (2, 4, 6, 10, 11, 12)]


def test_refused_formats_are_not_counted_as_accepted() -> None:
    survey = RAW_TABLES["survey_responses"]
    accepted = [r.label for r in survey.readers]
    assert survey.accepted_formats == accepted and len(accepted) == 4  # Qualtrics x3, SurveyMonkey
    refused = RefusedFormat("x_csv", "X export", "Export it as Y.", lambda head: False)
    with_refused = dataclasses.replace(survey, readers=(*survey.readers, refused))
    assert with_refused.accepted_formats == accepted


# --- Follow-up outcomes ----------------------------------------------------------------------


def test_follow_up_outcomes_read_display_headers_and_quarantine_rows_without_id(
    con, tmp_path: Path
) -> None:
    landing = make_landing(
        tmp_path, {"followups/outcomes.csv": FIXTURES / "followups/outcomes_semicolon.csv"}
    )
    [result] = ingest_raw_table(con, landing, "follow_up_outcomes").files
    assert (result.status, result.rows_read, result.rows_loaded, result.rows_quarantined) == (
        "loaded",
        3,
        2,
        1,
    )
    assert result.source_format == "follow_up_outcomes_csv"
    loaded = rows(con, "SELECT * FROM raw.follow_up_outcomes ORDER BY _source_row")
    assert [(r["follow_up_id"], r["status"], r["closed_at"], r["resolution"]) for r in loaded] == [
        ("fu_R_1", "closed", "2026-09-03T10:00:00Z", "Kunde angerufen, Gutschrift"),
        ("fu_R_2", "unreachable", None, None),
    ]
    [quarantined] = rows(con, "SELECT * FROM ops.quarantine WHERE raw_table = 'follow_up_outcomes'")
    assert quarantined["source_row"] == 3 and "no follow-up id" in quarantined["reason"]
    assert quarantined["column_name"] == "Follow-up ID"


def test_follow_up_outcomes_without_a_status_column_fail_with_advice(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"followups/outcomes.csv": "follow_up_id,closed_at\nfu_R_1,2026-09-03\n"}
    )
    [result] = ingest_raw_table(con, landing, "follow_up_outcomes").files
    assert result.status in ("failed", "unrecognised")
    assert "status" in (result.message or "")
