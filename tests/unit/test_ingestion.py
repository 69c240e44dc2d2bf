"""The loader: ledger, idempotency, replacement, quarantine bookkeeping and empty landings."""

from __future__ import annotations

import gzip
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import (
    RAW_TABLES,
    IngestReport,
    IngestSettings,
    ensure_ops_tables,
    ingest_raw_table,
    unclaimed_files,
)
from orchestration.ingestion.schema import (
    GA4_EVENT_COLUMNS,
    LINEAGE_COLUMNS,
    LOAD_LEDGER_COLUMNS,
    QUARANTINE_COLUMNS,
    SURVEY_RESPONSE_COLUMNS,
)
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEGACY_SAMPLE = FIXTURES / "shared_samples/survey/qualtrics_legacy_v1v10.csv"

FULL_LANDING = {
    "survey/post_interaction_nps.csv": FIXTURES / "qualtrics/post_interaction_nps.csv",
    "survey/support_followup.csv": FIXTURES / "qualtrics/support_followup.csv",
    "survey/qualtrics_legacy_v1v10.csv": LEGACY_SAMPLE,
    "crm/Account.csv": FIXTURES / "salesforce/Account.csv",
    "crm/Contact.csv": FIXTURES / "salesforce/Contact.csv",
    "crm/Opportunity.csv": FIXTURES / "salesforce/Opportunity.csv",
    "crm/OpportunityHistory.csv": FIXTURES / "salesforce/OpportunityHistory.csv",
    "crm/Case.csv": FIXTURES / "salesforce/Case.csv",
    "web/events_20231215.json": FIXTURES / "ga4/events_20231215.json",
    "followups/outcomes.csv": FIXTURES / "followups/outcomes_semicolon.csv",
    "web/events_20231216.json.gz": gzip.compress(
        (FIXTURES / "ga4/events_20231216.json").read_bytes(), mtime=0
    ),
}


def ingest_all(con: duckdb.DuckDBPyConnection, landing: Path) -> dict[str, IngestReport]:
    return {table: ingest_raw_table(con, landing, table) for table in RAW_TABLES}


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, object]:
    """Everything ingestion writes, in a comparable form."""
    state: dict[str, object] = {
        "ledger": con.execute("SELECT * FROM ops.load_ledger ORDER BY load_id").fetchall(),
        "quarantine": con.execute(
            "SELECT * FROM ops.quarantine ORDER BY load_id, source_row"
        ).fetchall(),
    }
    existing = {
        r[0]
        for r in con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
        ).fetchall()
    }
    for table in sorted(existing):
        state[table] = con.execute(
            f"SELECT count(*), count(DISTINCT _load_id), max(_loaded_at) FROM raw.{table}"
        ).fetchall()
    return state


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def describe(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [(r[0], r[1]) for r in con.execute(f"DESCRIBE {table}").fetchall()]


def normalise_type(type_: str) -> str:
    return type_.replace('"', "").replace(" ", "").upper()


def test_no_files_creates_every_raw_table_with_contract_columns(con, tmp_path: Path) -> None:
    landing = tmp_path / "empty-landing"  # does not even exist
    reports = ingest_all(con, landing)
    assert all(r.files == [] and r.ok for r in reports.values())
    assert describe(con, "raw.survey_responses") == list(LINEAGE_COLUMNS) + list(
        SURVEY_RESPONSE_COLUMNS
    )
    web = describe(con, "raw.web_events")
    assert [n for n, _ in web] == [n for n, _ in LINEAGE_COLUMNS + GA4_EVENT_COLUMNS]
    assert {n: normalise_type(t) for n, t in web}["event_params"] == (
        "STRUCT(KEYVARCHAR,VALUESTRUCT(STRING_VALUEVARCHAR,INT_VALUEVARCHAR,"
        "FLOAT_VALUEVARCHAR,DOUBLE_VALUEVARCHAR))[]"
    )
    for table in (
        "crm_accounts",
        "crm_contacts",
        "crm_opportunities",
        "crm_opportunity_history",
        "crm_cases",
    ):
        # the fields dbt staging reads exist before any export arrives, so the build runs
        assert describe(con, f"raw.{table}") == list(LINEAGE_COLUMNS) + list(
            RAW_TABLES[table].columns
        )
        assert ("createddate", "VARCHAR") in RAW_TABLES[table].columns
    assert describe(con, "ops.load_ledger") == list(LOAD_LEDGER_COLUMNS)
    assert describe(con, "ops.quarantine") == list(QUARANTINE_COLUMNS)
    assert con.execute("SELECT count(*) FROM ops.load_ledger").fetchall() == [(0,)]


def test_ensure_ops_tables_is_idempotent(con) -> None:
    ensure_ops_tables(con)
    ensure_ops_tables(con)
    schemata = con.execute("SELECT schema_name FROM information_schema.schemata").fetchall()
    schemas = {r[0] for r in schemata}
    assert {"raw", "ops"} <= schemas


def test_full_landing_counts_reconcile_everywhere(con, tmp_path: Path) -> None:
    reports = ingest_all(con, make_landing(tmp_path, FULL_LANDING))
    assert {t: (r.rows_read, r.rows_loaded, r.rows_quarantined) for t, r in reports.items()} == {
        "survey_responses": (13, 11, 2),  # the legacy sample adds 5 responses
        "crm_accounts": (3, 3, 0),
        "crm_contacts": (4, 3, 1),
        "crm_opportunities": (2, 2, 0),
        "crm_opportunity_history": (3, 3, 0),
        "crm_cases": (4, 2, 2),
        "crm_opportunity_contact_roles": (0, 0, 0),  # no such export in this landing
        "web_events": (9, 7, 2),
        "follow_up_outcomes": (3, 2, 1),  # row 3 has no follow-up id
    }
    assert reports["survey_responses"].files_failed == 0  # the legacy sample loads too
    assert [f.source_format for f in reports["survey_responses"].files] == [
        "qualtrics_csv",
        "qualtrics_legacy_csv",
        "qualtrics_csv",
    ]
    # ledger: read = loaded + quarantined, and the numbers match the rows actually written
    for table in RAW_TABLES:
        mismatches = con.execute(
            f"""SELECT l.source_file
            FROM ops.load_ledger AS l
            LEFT JOIN (SELECT _load_id, count(*) AS n FROM raw.{table} GROUP BY 1) AS r
                ON r._load_id = l.load_id
            LEFT JOIN (SELECT load_id, count(*) AS n FROM ops.quarantine GROUP BY 1) AS q
                ON q.load_id = l.load_id
            WHERE l.raw_table = ? AND (
                l.rows_read <> l.rows_loaded + l.rows_quarantined
                OR coalesce(r.n, 0) <> l.rows_loaded
                OR coalesce(q.n, 0) <> l.rows_quarantined)""",
            [table],
        ).fetchall()
        assert mismatches == [], table
    quarantine = con.execute(
        "SELECT DISTINCT raw_table, check_name IS NULL, quarantined_at IS NOT NULL "
        "FROM ops.quarantine ORDER BY 1"
    ).fetchall()
    assert quarantine == [
        ("crm_cases", True, True),
        ("crm_contacts", True, True),
        ("follow_up_outcomes", True, True),
        ("survey_responses", True, True),
        ("web_events", True, True),
    ]
    ledger = con.execute(
        "SELECT file_name, length(file_sha256), file_bytes > 0, source_format, status "
        "FROM ops.load_ledger WHERE source_file = 'web/events_20231216.json.gz'"
    ).fetchall()
    assert ledger == [("events_20231216.json.gz", 64, True, "ga4_ndjson", "loaded")]


def test_delivering_the_same_files_again_changes_nothing(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, FULL_LANDING)
    ingest_all(con, landing)
    before = snapshot(con)
    again = ingest_all(con, landing)
    assert snapshot(con) == before
    statuses = {f.status for r in again.values() for f in r.files}
    assert statuses == {"skipped_duplicate"}
    assert sum(r.rows_read for r in again.values()) == 0
    skipped = next(f for f in again["crm_accounts"].files)
    assert skipped.status == "skipped_duplicate" and "Unchanged" in skipped.message


def test_same_path_with_new_bytes_replaces_the_earlier_copy(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path, {"web/events_20231215.json": FIXTURES / "ga4/events_20231215.json"}
    )
    [first] = ingest_raw_table(con, landing, "web_events").files
    # The day is re-exported with one late event and without the broken lines.
    good_lines = [
        line
        for n, line in enumerate(
            (FIXTURES / "ga4/events_20231215.json").read_text(encoding="utf-8").splitlines(), 1
        )
        if n not in (5, 6, 7)
    ]
    late = '{"event_name":"scroll","event_timestamp":"1702659999000000","user_pseudo_id":"u.9"}'
    (landing / "web/events_20231215.json").write_text(
        "\n".join([*good_lines, late]) + "\n", encoding="utf-8"
    )
    [second] = ingest_raw_table(con, landing, "web_events").files
    assert (second.status, second.rows_loaded, second.rows_quarantined) == ("loaded", 6, 0)
    assert first.load_id in second.message
    assert con.execute(
        "SELECT DISTINCT _load_id, count(*) OVER () FROM raw.web_events"
    ).fetchall() == [(second.load_id, 6)]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]
    ledger = con.execute(
        "SELECT load_id, status FROM ops.load_ledger ORDER BY loaded_at, status"
    ).fetchall()
    assert sorted(ledger) == sorted([(first.load_id, "superseded"), (second.load_id, "loaded")])


def test_gzipped_copy_replaces_the_plain_copy_of_the_same_day(con, tmp_path: Path) -> None:
    day = FIXTURES / "ga4/events_20231216.json"
    landing = make_landing(tmp_path, {"web/events_20231216.json": day})
    [first] = ingest_raw_table(con, landing, "web_events").files
    (landing / "web/events_20231216.json").unlink()
    (landing / "web/events_20231216.json.gz").write_bytes(gzip.compress(day.read_bytes()))
    [second] = ingest_raw_table(con, landing, "web_events").files
    assert second.status == "loaded"
    assert con.execute("SELECT DISTINCT _source_file FROM raw.web_events").fetchall() == [
        ("web/events_20231216.json.gz",)
    ]
    statuses = dict(con.execute("SELECT load_id, status FROM ops.load_ledger").fetchall())
    assert statuses == {first.load_id: "superseded", second.load_id: "loaded"}


def test_plain_and_gzipped_copies_side_by_side_keep_the_newest(con, tmp_path: Path) -> None:
    day = FIXTURES / "ga4/events_20231216.json"
    landing = make_landing(
        tmp_path,
        {
            "web/events_20231216.json": day,
            "web/events_20231216.json.gz": gzip.compress(day.read_bytes()),
        },
    )
    os.utime(landing / "web/events_20231216.json", (1_700_000_000, 1_700_000_000))
    report = ingest_raw_table(con, landing, "web_events")
    assert [(f.source_file, f.status) for f in report.files] == [
        ("web/events_20231216.json", "ignored"),
        ("web/events_20231216.json.gz", "loaded"),
    ]
    assert "Keep only one" in report.files[0].message
    snapshot_before = snapshot(con)
    ingest_raw_table(con, landing, "web_events")
    assert snapshot(con) == snapshot_before  # no flip-flopping between the two copies


def test_a_new_export_with_extra_columns_adds_them(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Contact.csv": FIXTURES / "salesforce/Contact.csv"})
    ingest_raw_table(con, landing, "crm_contacts")
    shutil.copyfile(FIXTURES / "salesforce/Contact_with_new_field.csv", landing / "crm/Contact.csv")
    # the later export has one contact instead of three: accepted as a deliberate drop here
    settings = IngestSettings(max_drop={"crm": 1.0, "survey": 0.0, "web": 0.0})
    [result] = ingest_raw_table(con, landing, "crm_contacts", settings).files
    assert "New column(s): loyalty_level__c" in result.message
    columns = [r[0] for r in con.execute("DESCRIBE raw.crm_contacts").fetchall()]
    assert columns[-1] == "loyalty_level__c"
    assert con.execute(
        "SELECT id, p.email, loyalty_level__c, _source_row FROM raw.crm_contacts"
        " JOIN pii.crm_contacts p USING (_load_id, _source_row)"  # the address lives in pii
    ).fetchall() == [("0035g00000AbCdEAAZ", "anna.mueller@example.com", "Platinum", 2)]
    assert con.execute("SELECT count(*) FROM ops.quarantine").fetchall() == [(0,)]


def test_crm_object_names_match_case_insensitively(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "crm/account.csv": FIXTURES / "salesforce/Account.csv",
            "crm/OPPORTUNITYHISTORY.CSV": FIXTURES / "salesforce/OpportunityHistory.csv",
        },
    )
    assert ingest_raw_table(con, landing, "crm_accounts").rows_loaded == 3
    assert ingest_raw_table(con, landing, "crm_opportunity_history").rows_loaded == 3
    assert ingest_raw_table(con, landing, "crm_opportunities").files == []


def test_a_renamed_copy_in_other_letter_case_replaces_the_earlier_one(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Account.csv": FIXTURES / "salesforce/Account.csv"})
    [first] = ingest_raw_table(con, landing, "crm_accounts").files
    (landing / "crm/Account.csv").rename(landing / "crm/ACCOUNT.CSV")
    [second] = ingest_raw_table(con, landing, "crm_accounts").files
    assert second.status == "loaded" and first.load_id in second.message
    assert con.execute(
        "SELECT count(*), min(_source_file), min(_load_id) FROM raw.crm_accounts"
    ).fetchall() == [(3, "crm/ACCOUNT.CSV", second.load_id)]


def test_unrecognised_file_is_recorded_and_other_files_still_load(con, tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "survey/a_monkey.csv": "Respondent ID,Collector ID,Start Date\n,,Response\n1,2,x\n",
            "survey/b_notes.csv": "just some notes, not an export\n",
            "survey/c_cp1252.csv": "Id,Name\r\n1,Müller € \r\n".encode("cp1252"),
            "survey/d_empty.csv": b"",
            "survey/post_interaction_nps.csv": FIXTURES / "qualtrics/post_interaction_nps.csv",
        },
    )
    report = ingest_raw_table(con, landing, "survey_responses")
    by_file = {f.source_file: f for f in report.files}
    assert by_file["survey/post_interaction_nps.csv"].status == "loaded"
    assert report.files_unrecognised == 3 and not report.ok
    monkey = by_file["survey/a_monkey.csv"]  # a minimal SurveyMonkey export loads
    assert (monkey.status, monkey.source_format) == ("loaded", "surveymonkey_csv")
    assert monkey.rows_loaded == 1
    notes = by_file["survey/b_notes.csv"].message
    assert notes.startswith("survey/b_notes.csv: no reader recognised this file")
    assert "Qualtrics 'Export Data' CSV" in notes and "just some notes" in notes
    # a two-column table is no survey export, whatever its encoding
    assert "Accepted: Qualtrics" in by_file["survey/c_cp1252.csv"].message
    assert "empty" in by_file["survey/d_empty.csv"].message
    unrecognised = con.execute(
        "SELECT source_file, rows_read, rows_loaded, rows_quarantined FROM ops.load_ledger "
        "WHERE status = 'unrecognised' ORDER BY 1"
    ).fetchall()
    assert [f[0] for f in unrecognised] == [
        "survey/b_notes.csv",
        "survey/c_cp1252.csv",
        "survey/d_empty.csv",
    ]
    assert all(f[1:] == (0, 0, 0) for f in unrecognised)
    # running again writes no new ledger rows for the same failures
    before = snapshot(con)
    ingest_raw_table(con, landing, "survey_responses")
    assert snapshot(con) == before


def test_failed_replacement_keeps_the_loaded_copy(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Account.csv": FIXTURES / "salesforce/Account.csv"})
    [first] = ingest_raw_table(con, landing, "crm_accounts").files
    (landing / "crm/Account.csv").write_text("Account Name,Created Date\nAcme,2023\n")
    [second] = ingest_raw_table(con, landing, "crm_accounts").files
    assert second.status == "unrecognised"
    assert "crm/Account.csv" in second.message and "Salesforce Data Loader" in second.message
    assert con.execute("SELECT count(*), min(_load_id) FROM raw.crm_accounts").fetchall() == [
        (3, first.load_id)
    ]
    assert dict(con.execute("SELECT load_id, status FROM ops.load_ledger").fetchall()) == {
        first.load_id: "loaded",
        second.load_id: "unrecognised",
    }
    # the export is fixed: the new copy loads and both earlier rows are superseded
    (landing / "crm/Account.csv").write_text(
        '"Id","Name"\n"001X","Fixed"\n"001Y","B"\n"001Z","C"\n'
    )
    [third] = ingest_raw_table(con, landing, "crm_accounts").files
    assert third.status == "loaded"
    assert dict(con.execute("SELECT load_id, status FROM ops.load_ledger").fetchall()) == {
        first.load_id: "superseded",
        second.load_id: "superseded",
        third.load_id: "loaded",
    }


def test_row_numbers_do_not_depend_on_the_insertion_order_setting(con, tmp_path: Path) -> None:
    con.execute("SET preserve_insertion_order = false")
    landing = make_landing(tmp_path, {"crm/Case.csv": FIXTURES / "salesforce/Case.csv"})
    ingest_raw_table(con, landing, "crm_cases")
    assert con.execute("SELECT _source_row, id FROM raw.crm_cases ORDER BY 1").fetchall() == [
        (2, "5005g00000CaSe1AAA"),
        (5, "5005g00000CaSe4AAA"),
    ]
    assert con.execute("SELECT current_setting('preserve_insertion_order')").fetchall() == [
        (False,)
    ]


def test_checkpoint_setting_is_reset_and_the_load_checkpointed(con, tmp_path: Path) -> None:
    # Loading raises checkpoint_threshold (fewer checkpoints while files load), then resets it
    # and checkpoints once, so the WAL is empty afterwards.
    landing = make_landing(tmp_path, FULL_LANDING)
    default = con.execute("SELECT current_setting('checkpoint_threshold')").fetchall()
    ingest_raw_table(con, landing, "web_events")
    assert con.execute("SELECT current_setting('checkpoint_threshold')").fetchall() == default
    wal = tmp_path / "warehouse.duckdb.wal"
    assert not wal.exists() or wal.stat().st_size == 0


def test_temp_objects_are_cleaned_up(con, tmp_path: Path) -> None:
    ingest_all(con, make_landing(tmp_path, FULL_LANDING))
    leftovers = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_name LIKE '_ingest_%'"
    ).fetchall()
    assert leftovers == []


def test_report_summary_and_dict(con, tmp_path: Path) -> None:
    landing = make_landing(tmp_path, {"crm/Case.csv": FIXTURES / "salesforce/Case.csv"})
    report = ingest_raw_table(con, landing, "crm_cases")
    assert report.summary() == (
        "raw.crm_cases: 1 file(s) (1 loaded, 0 unchanged); rows read 4, loaded 2, quarantined 2"
    )
    data = report.to_dict()
    assert data["rows_quarantined"] == 2
    samples = data["files"][0]["quarantine_samples"]
    assert [(s["source_row"], s["column_name"]) for s in samples] == [
        (3, "ClosedDate"),
        (4, "Subject"),
    ]


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CJM_SURVEY_TIMEZONE", "Europe/Berlin")
    monkeypatch.setenv("CJM_SURVEY_CSAT_QUESTIONS", " CSAT ")
    monkeypatch.setenv("CJM_SURVEY_NPS_QUESTION", "Q3.13")
    assert IngestSettings() == IngestSettings("Europe/Berlin", ("CSAT",), "Q3.13")
    for name in ("CJM_SURVEY_TIMEZONE", "CJM_SURVEY_CSAT_QUESTIONS", "CJM_SURVEY_NPS_QUESTION"):
        monkeypatch.delenv(name)
    assert IngestSettings() == IngestSettings("UTC", ("CSAT",), None)


def test_a_csat_question_outside_the_seed_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Which column is CSAT lives in seed survey_questions (the metrics read it); the variable
    cannot add a key the metrics would never see."""
    monkeypatch.setenv("CJM_SURVEY_CSAT_QUESTIONS", "CSAT, Q4")
    with pytest.raises(ValueError, match=r"names Q4, .*seeds/survey_questions.csv"):
        IngestSettings()


def test_unknown_raw_table_is_an_error(con, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="known raw tables: crm_accounts"):
        ingest_raw_table(con, tmp_path, "crm_leads")


def test_unclaimed_files_are_listed(tmp_path: Path) -> None:
    landing = make_landing(
        tmp_path,
        {
            "crm/Lead.csv": '"Id"\n"00Q1"\n',
            "crm/Account.csv": FIXTURES / "salesforce/Account.csv",
            "web/events_2023-12-15.json": "{}\n",
            "survey/readme.txt": "notes",
        },
    )
    assert unclaimed_files(landing) == [
        "crm/Lead.csv",
        "survey/readme.txt",
        "web/events_2023-12-15.json",
    ]
