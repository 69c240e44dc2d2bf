"""Survey export variants: Qualtrics current / legacy / 2016 Insights and SurveyMonkey, each in
the layout its exporter writes, loading to the same raw.survey_responses columns."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from orchestration.ingestion import RAW_TABLES, IngestSettings, ingest_raw_table
from orchestration.ingestion.readers.surveymonkey import column_keys, find_nps_column
from orchestration.ingestion.schema import SURVEY_RESPONSE_COLUMNS
from orchestration.ingestion.textfile import read_head
from tests.catalogue.cases_survey import CASES
from tests.conftest import make_landing

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SAME_RESPONSE = {
    "qualtrics_csv": FIXTURES / "qualtrics/same_response_current.csv",
    "qualtrics_legacy_csv": FIXTURES / "qualtrics/same_response_legacy.csv",
    "qualtrics_insights_2016_csv": FIXTURES / "qualtrics/same_response_insights_2016.csv",
}
SURVEYMONKEY = FIXTURES / "surveymonkey/customer_feedback.csv"


@pytest.fixture
def con(tmp_path: Path):
    connection = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    yield connection
    connection.close()


def raw_rows(con: duckdb.DuckDBPyConnection, where: str = "true") -> list[dict]:
    cursor = con.execute(
        f"SELECT * FROM raw.survey_responses WHERE {where} ORDER BY _source_file, _source_row"
    )
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def load(con, tmp_path: Path, files: dict, settings: IngestSettings | None = None):
    landing = make_landing(tmp_path, files)
    return ingest_raw_table(con, landing, "survey_responses", settings or IngestSettings())


def test_each_survey_fixture_is_claimed_by_exactly_one_reader() -> None:
    readers = RAW_TABLES["survey_responses"].readers
    for expected, path in [*SAME_RESPONSE.items(), ("surveymonkey_csv", SURVEYMONKEY)]:
        head = read_head(path)
        assert [r.name for r in readers if r.detect(path, head)] == [expected], path.name


# --- the same response in three Qualtrics layouts ----------------------------------------------

# Fields that legitimately differ between the exporters of one response:
# - source_format and survey_name (from the file name) say where the row came from;
# - progress, user_language, distribution_channel: the legacy and 2016 exporters do not write
#   Progress, UserLanguage or DistributionChannel, so they are NULL there;
# - recorded_at_local: the older exporters have no RecordedDate; their EndDate stands in for it
#   (Qualtrics records a response about a second after it ends: 09:18:40 vs 09:18:41);
# - answers_json: the fixed fields are keyed by each exporter's labels (ResponseId vs
#   ResponseID, ExternalReference vs ExternalDataReference) and each writes its own extra fields
#   (Duration, Name, LocationAccuracy); the answers are compared by question id below.
DIFFERING = {
    "source_format",
    "survey_name",
    "progress",
    "user_language",
    "distribution_channel",
    "recorded_at_local",
    "answers_json",
}
QUESTION_IDS = ("Q1_NPS_GROUP", "Q1", "Q2", "Q2_4_TEXT", "Q3", "touchpoint")


def test_the_same_response_loads_to_the_same_row_in_all_three_qualtrics_layouts(
    con, tmp_path: Path
) -> None:
    files = {f"survey/{p.name}": p for p in SAME_RESPONSE.values()}
    # The legacy layout marks no text question (no _TEXT id, no ImportId): name it in settings.
    settings = IngestSettings(survey_timezone="Europe/Berlin", comment_question="Q3")
    report = load(con, tmp_path, files, settings)
    assert sorted((f.source_format, f.status, f.rows_loaded) for f in report.files) == sorted(
        (name, "loaded", 1) for name in SAME_RESPONSE
    )
    by_format = {r["source_format"]: r for r in raw_rows(con)}
    current = by_format["qualtrics_csv"]
    assert (current["nps_score"], current["comment_question_id"]) == ("4", "Q3")
    assert current["source_timezone"] == "Europe/Berlin"  # named in row 3 of the current file
    for name in ("qualtrics_legacy_csv", "qualtrics_insights_2016_csv"):
        other = by_format[name]
        for column, _ in SURVEY_RESPONSE_COLUMNS:
            if column not in DIFFERING:
                assert other[column] == current[column], (name, column)
        assert other["recorded_at_local"] == other["ended_at_local"] == "2026-11-02 09:18:40"
        assert (other["progress"], other["user_language"], other["distribution_channel"]) == (
            None,
            None,
            None,
        )
        answers = json.loads(other["answers_json"])
        current_answers = json.loads(current["answers_json"])
        for question in QUESTION_IDS:
            assert answers[question] == current_answers[question], (name, question)
        assert answers["ResponseID"] == current_answers["ResponseId"] == "R_3kTzX8qLmP0aBcD"
        assert answers["ExternalDataReference"] == current_answers["ExternalReference"]
    # Values stay as exported: numeric Status/Finished codes and the custom recode value 13.
    assert {(r["response_status"], r["is_finished"]) for r in by_format.values()} == {("0", "1")}
    assert {json.loads(r["answers_json"])["Q2"] for r in by_format.values()} == {"13"}


def test_text_questions_are_found_by_import_id_except_in_the_legacy_layout(
    con, tmp_path: Path
) -> None:
    load(con, tmp_path, {f"survey/{p.name}": p for p in SAME_RESPONSE.values()})
    comments = {r["source_format"]: (r["comment_question_id"], r["comment"]) for r in raw_rows(con)}
    text = 'Too long on hold, otherwise fine; the agent said "sorry" twice.'
    assert comments == {
        "qualtrics_csv": ("Q3", text),  # row 1 'Q3', row 3 ImportId QID3_TEXT
        "qualtrics_insights_2016_csv": ("Q3", text),  # row 3 {'ImportId': 'QID3-TEXT'}
        "qualtrics_legacy_csv": (None, None),  # nothing marks Q3 as text: see the test above
    }


def test_configured_comment_question_that_is_missing_adds_a_note(con, tmp_path: Path) -> None:
    files = {"survey/a.csv": SAME_RESPONSE["qualtrics_csv"]}
    [result] = load(con, tmp_path, files, IngestSettings(comment_question="Q99")).files
    assert any("'Q99' (CJM_SURVEY_COMMENT_QUESTION)" in n for n in result.notes)
    assert raw_rows(con)[0]["comment_question_id"] == "Q3"  # found by ImportId instead


# --- real legacy samples --------------------------------------------------------------------


def test_real_legacy_samples_load_with_values_as_exported(con, tmp_path: Path) -> None:
    samples = FIXTURES / "shared_samples/survey"
    files = {f"survey/{p.name}": p for p in sorted(samples.glob("*.csv"))}
    report = load(con, tmp_path, files)
    assert [(f.source_format, f.status, f.rows_read, f.rows_loaded) for f in report.files] == [
        ("qualtrics_insights_2016_csv", "loaded", 10, 10),
        ("qualtrics_legacy_csv", "loaded", 5, 5),
    ]
    for result in report.files:  # neither sample has an NPS question: the notes say so
        assert any(n.startswith("No NPS question found") for n in result.notes)
    legacy = raw_rows(con, "source_format = 'qualtrics_legacy_csv'")
    assert [r["_source_row"] for r in legacy] == [3, 4, 5, 6, 7]  # two header rows
    first = legacy[0]
    assert (first["response_id"], first["response_status"], first["is_finished"]) == (
        "R_862TbryT6hpIAfP",
        "2",
        "1",
    )
    assert first["comment_question_id"] == "mc_question_five_TEXT"
    assert first["comment"].startswith("Dictumst mattis ultricies sem?")
    answers = json.loads(first["answers_json"])
    assert (answers["Q4"], answers["ResponseSet"]) == ("12", "Default Response Set")  # recode
    assert "" not in answers and len(answers) == 19  # the trailing comma's empty column is gone
    insights = raw_rows(con, "source_format = 'qualtrics_insights_2016_csv'")
    assert [r["_source_row"] for r in insights] == list(range(4, 14))
    # Q2 is a text question named Q2 (ImportId QID2-TEXT); Q1_TEXT ('other') comes first.
    assert [r["comment_question_id"] for r in insights[:3]] == ["Q2", "Q2", "Q1_TEXT"]
    assert insights[1]["comment"] == (
        "Facilisi, lorem lectus pharetra, velit mauris, montes interdum curabitur phasellus "
        "leo. Sit."
    )


def test_legacy_row_without_trailing_comma_loads_unless_a_value_may_be_missing(
    con, tmp_path: Path
) -> None:
    header, labels, row = (
        SAME_RESPONSE["qualtrics_legacy_csv"].read_bytes().decode("utf-8-sig").splitlines()
    )
    lines = [
        header,
        labels,
        row,  # row 3: as exported
        row.replace("R_3kTzX8qLmP0aBcD", "R_NoTrailingComma")[:-1],  # row 4: comma lost
        # row 5: comma lost and a line break inside the quoted comment
        row.replace("R_3kTzX8qLmP0aBcD", "R_MultiLine00001").replace("fine;", "fine;\n")[:-1],
        # row 6: one field short but ending with a comma: LocationAccuracy or a value before it
        # is missing, which cannot be told apart, so the row is quarantined
        row.replace("R_3kTzX8qLmP0aBcD", "R_OneFieldShort1").replace(",-1,", ","),
    ]
    files = {"survey/legacy.csv": "\ufeff" + "\n".join(lines) + "\n"}
    [result] = load(con, tmp_path, files).files
    assert (result.rows_read, result.rows_loaded, result.rows_quarantined) == (4, 3, 1)
    assert any(n.startswith("Rows 4, 5 lack the trailing comma") for n in result.notes)
    loaded = raw_rows(con)
    assert [(r["_source_row"], r["response_id"]) for r in loaded] == [
        (3, "R_3kTzX8qLmP0aBcD"),
        (4, "R_NoTrailingComma"),
        (5, "R_MultiLine00001"),
    ]
    assert json.loads(loaded[1]["answers_json"]) == json.loads(loaded[0]["answers_json"]) | {
        "ResponseID": "R_NoTrailingComma"
    }
    assert json.loads(loaded[2]["answers_json"])["Q3"].startswith(
        "Too long on hold, otherwise fine;\n the"
    )
    [bad] = con.execute("SELECT source_row, reason FROM ops.quarantine").fetchall()
    assert bad[0] == 6 and "fewer values" in bad[1]


# --- SurveyMonkey ---------------------------------------------------------------------------


def test_surveymonkey_keys_join_question_text_and_sub_header() -> None:
    row1 = ["Respondent ID", "Which channels?", "", "", "Anything else?"]
    row2 = ["", "Phone", "Chat", "Other (please specify)", "Open-Ended Response"]
    assert column_keys(row1, row2) == [
        "Respondent ID",
        "Which channels? - Phone",
        "Which channels? - Chat",
        "Which channels? - Other (please specify)",
        "Anything else? - Open-Ended Response",
    ]


def test_surveymonkey_nps_question_by_configuration_or_wording() -> None:
    keys = ["Respondent ID", "How likely are you to recommend us? - Response", "Score - Response"]
    questions = ["Respondent ID", "How likely are you to recommend us?", "Score"]
    assert find_nps_column(keys, questions, None) == (1, None)
    assert find_nps_column(keys, questions, "score") == (2, None)
    assert find_nps_column(keys, questions, "Score - Response") == (2, None)
    index, note = find_nps_column(keys, questions, "Q7")
    assert index == 1 and "'Q7' (CJM_SURVEY_NPS_QUESTION)" in note
    assert find_nps_column(keys[:1], questions[:1], None) == (None, None)


def test_surveymonkey_export_is_normalised(con, tmp_path: Path) -> None:
    settings = IngestSettings(survey_timezone="America/New_York")
    [result] = load(con, tmp_path, {"survey/customer_feedback.csv": SURVEYMONKEY}, settings).files
    assert (result.status, result.source_format, result.rows_read, result.rows_loaded) == (
        "loaded",
        "surveymonkey_csv",
        3,
        3,
    )
    assert any("MM/DD/YYYY" in n and "America/New_York" in n for n in result.notes)
    rows = raw_rows(con)
    assert [r["_source_row"] for r in rows] == [3, 4, 5]  # two header rows
    first, second, third = rows
    assert (first["response_id"], first["external_reference"]) == (
        "11839205731",
        "0035g00000MaRiAAAA",
    )
    nps_question = (
        "How likely is it that you would recommend Acme Support to a friend or colleague? "
        "- Response"
    )
    assert [(r["nps_question_id"], r["nps_score"]) for r in rows] == [
        (nps_question, "9"),
        (nps_question, "3"),
        (nps_question, "10"),
    ]
    # Dates: the same wall-clock time written ISO (12 AM is 00, 1 PM is 13); text kept in JSON.
    assert [(r["started_at_local"], r["ended_at_local"], r["recorded_at_local"]) for r in rows] == [
        ("2026-11-30 10:15:00", "2026-11-30 10:19:42", "2026-11-30 10:19:42"),
        ("2026-11-30 13:05:10", "2026-11-30 13:07:00", "2026-11-30 13:07:00"),
        ("2026-12-01 00:03:07", "2026-12-01 00:09:59", "2026-12-01 00:09:59"),
    ]
    assert {r["source_timezone"] for r in rows} == {"America/New_York"}
    answers = json.loads(second["answers_json"])
    assert answers["Start Date"] == "11/30/2026 1:05:10 PM"
    assert answers["Which channels did you use to contact us? - Other (please specify)"] == (
        "my account manager, directly"
    )
    chat = "Which channels did you use to contact us? - Chat"
    assert json.loads(first["answers_json"])[chat] == "Chat"
    assert len(answers) == 16
    comment_question = "What could we do better? (Anything, really.) - Open-Ended Response"
    assert (first["comment_question_id"], first["comment"]) == (
        comment_question,
        "Faster callbacks, please.\r\nAnd a clearer invoice, with line items.",
    )
    assert (second["comment_question_id"], second["comment"]) == (None, None)
    assert third["comment"] == "Nothing - keep it up!"
    assert {(r["response_status"], r["is_finished"], r["progress"]) for r in rows} == {
        (None, None, None)  # SurveyMonkey writes none of them
    }


def test_surveymonkey_date_in_another_form_is_kept_as_exported(con, tmp_path: Path) -> None:
    text = SURVEYMONKEY.read_text(encoding="utf-8-sig").replace(
        "11/30/2026 10:15:00 AM", "30.11.2026 10:15", 1
    )
    load(con, tmp_path, {"survey/eu_dates.csv": text})
    assert raw_rows(con)[0]["started_at_local"] == "30.11.2026 10:15"  # the GX suite reports it


# --- catalogue cases of this area, until the lead's runner runs them --------------------------


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_survey_catalogue_case(case, con, tmp_path: Path, monkeypatch) -> None:
    for name, value in case.env.items():
        monkeypatch.setenv(name, value)
    landing = tmp_path / "landing"
    for delivery in case.deliveries:
        for relative, content in delivery.items():
            target = landing / relative
            if content is None:
                target.unlink(missing_ok=True)
                continue
            make_landing(tmp_path, {relative: content})
        ingest_raw_table(con, landing, "survey_responses", IngestSettings())
    for source_file, outcome in case.outcomes.items():
        [(status, read, loaded, quarantined, message)] = con.execute(
            "SELECT status, rows_read, rows_loaded, rows_quarantined, message "
            "FROM ops.load_ledger WHERE source_file = ? ORDER BY loaded_at DESC LIMIT 1",
            [source_file],
        ).fetchall()
        assert status == outcome.status, message
        if outcome.rows is not None:
            assert (read, loaded, quarantined) == outcome.rows, message
        for part in outcome.message:
            assert part.lower() in message.lower()
    for q in case.quarantined:
        found = con.execute(
            "SELECT reason FROM ops.quarantine WHERE source_file = ? "
            "AND source_row IS NOT DISTINCT FROM ? AND column_name IS NOT DISTINCT FROM ?",
            [q.source_file, q.source_row, q.column],
        ).fetchall()
        assert any(q.reason.lower() in r[0].lower() for r in found), (q, found)
    if case.check is not None:
        case.check(con)
