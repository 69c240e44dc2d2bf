"""Catalogue cases for survey exports: the Qualtrics layouts, SurveyMonkey and their odd corners."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined, ledger_notes, raw_rows

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LEGACY_SAMPLE = FIXTURES / "shared_samples/survey/qualtrics_legacy_v1v10.csv"
INSIGHTS_SAMPLE = FIXTURES / "shared_samples/survey/qualtrics_2016_insights_comments.csv"
SURVEYMONKEY = FIXTURES / "surveymonkey/customer_feedback.csv"
SUPPORT_FOLLOWUP = FIXTURES / "qualtrics/support_followup.csv"


def _rows(con: duckdb.DuckDBPyConnection, source_file: str, columns: str) -> list[tuple]:
    return raw_rows(con, "survey_responses", columns, source_file)


# --- generated variants of the fixtures ---------------------------------------------------------

_LEGACY_TEXT = LEGACY_SAMPLE.read_bytes().decode("utf-8-sig")
_LEGACY_LINES = _LEGACY_TEXT.split("\n")  # LF file: lines 1-2 headers, 3-7 responses

# Row 5 (third response) lost the exporter's trailing comma, as after an edit in a text editor.
LEGACY_MISSING_TRAILING_COMMA = "\ufeff" + "\n".join(
    line[:-1] if n == 5 else line for n, line in enumerate(_LEGACY_LINES, 1)
)

# Row 4: a comment with an unquoted comma and no trailing comma: as many values as row 1 has
# columns, but the last (unnamed, always empty) one is filled: the values after the comma moved.
LEGACY_SHIFTED_INTO_TRAILING_COLUMN = "\ufeff" + "\n".join(
    line.replace(",3,,42.4", ",3,Fine, thanks,42.4")[:-1] if n == 4 else line
    for n, line in enumerate(_LEGACY_LINES, 1)
)

_SUPPORT = SUPPORT_FOLLOWUP.read_text(encoding="utf-8")

# A text question named Q6 in row 1 (not Q6_TEXT): only the row-3 ImportId QID6_TEXT says so.
COMMENT_BY_IMPORT_ID = _SUPPORT.replace(",Q6_TEXT,", ",Q6,", 1)

# No NPS question: the Q1_NPS_GROUP companion is gone (renamed by a survey designer).
WITHOUT_NPS = _SUPPORT.replace("Q1_NPS_GROUP", "Q1_GROUP_CODE", 1)

# Two columns with the id Q4 (a copied question whose export tag was not changed).
DUPLICATE_IDS = _SUPPORT.replace(",Q6_TEXT,", ",Q4,", 1)

_SM_TEXT = SURVEYMONKEY.read_text(encoding="utf-8-sig")
SURVEYMONKEY_MISSING_ID = "\ufeff" + _SM_TEXT.replace("11839211115,", ",", 1)


def _check_legacy_sample(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/legacy.csv", "response_status, is_finished, comment, answers_json")
    assert [(r[0], r[1]) for r in rows] == [("2", "1")] * 5  # codes kept as exported
    assert rows[0][2].startswith("Dictumst mattis")
    assert json.loads(rows[2][3])["Q4"] == "11"  # custom recode value, not renumbered
    assert "No NPS question found" in ledger_notes(con, "survey/legacy.csv")


def _check_insights_sample(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/insights.csv", "comment_question_id, nps_score")
    assert [r[0] for r in rows] == ["Q2", "Q2", "Q1_TEXT", "Q1_TEXT", "Q2"] + ["Q1_TEXT"] * 4 + [
        "Q2"
    ]
    assert {r[1] for r in rows} == {None}
    assert "No NPS question found" in ledger_notes(con, "survey/insights.csv")


def _check_surveymonkey(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/feedback.csv", "response_id, nps_score, started_at_local, comment")
    assert rows[0] == (
        "11839205731",
        "9",
        "2026-11-30 10:15:00",
        "Faster callbacks, please.\r\nAnd a clearer invoice, with line items.",
    )
    assert [r[1] for r in rows] == ["9", "3", "10"]


def _check_missing_trailing_comma(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/legacy.csv", "_source_row, response_id")
    assert rows[2] == (5, "R_8tXIB6RuuzgLxKB")
    assert "Row 5 lacks the trailing comma" in ledger_notes(con, "survey/legacy.csv")


def _check_comment_by_import_id(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/followup.csv", "comment_question_id, comment")
    assert rows == [("Q6", "Too slow,\nsorry."), (None, None)]


def _check_without_nps(con: duckdb.DuckDBPyConnection) -> None:
    assert {r[0] for r in _rows(con, "survey/followup.csv", "nps_score")} == {None}
    assert "No NPS question found" in ledger_notes(con, "survey/followup.csv")


def _check_duplicate_ids(con: duckdb.DuckDBPyConnection) -> None:
    rows = _rows(con, "survey/followup.csv", "csat_score, answers_json")
    answers = json.loads(rows[0][1])
    assert (answers["Q4"], answers["Q4 (2)"]) == ("2", "Too slow,\nsorry.")
    assert rows[0][0] is None  # CSAT is configured by id elsewhere; Q4 is not 'CSAT' here
    assert "occur twice" in ledger_notes(con, "survey/followup.csv")


def _check_same_response(con: duckdb.DuckDBPyConnection) -> None:
    columns = (
        "response_id, response_status, is_finished, started_at_local, ended_at_local, "
        "source_timezone, recipient_email, external_reference, nps_question_id, nps_score, "
        "nps_group, comment_question_id, comment"
    )
    rows = {
        source: _rows(con, f"survey/{source}.csv", columns)
        for source in ("current", "legacy", "insights")
    }
    assert rows["current"] == rows["legacy"] == rows["insights"]
    assert len(rows["current"]) == 1 and rows["current"][0][9] == "4"


CASES: list[Case] = [
    Case(
        id="survey_qualtrics_legacy_real_sample",
        description="Real legacy export (BOM, V1..V10, two header rows, trailing commas, "
        "recode values 11-13, Status code 2) loads every response as exported.",
        deliveries=[{"survey/legacy.csv": LEGACY_SAMPLE}],
        outcomes={"survey/legacy.csv": Outcome("loaded", rows=(5, 5, 0))},
        check=_check_legacy_sample,
    ),
    Case(
        id="survey_qualtrics_insights_2016_real_sample",
        description="Real 2016 Insights export (Python-style ImportIds, no NPS question); the "
        "text question Q2 is found by its ImportId QID2-TEXT.",
        deliveries=[{"survey/insights.csv": INSIGHTS_SAMPLE}],
        outcomes={"survey/insights.csv": Outcome("loaded", rows=(10, 10, 0))},
        check=_check_insights_sample,
    ),
    Case(
        id="survey_qualtrics_same_response_three_layouts",
        description="One response exported in the current, legacy and 2016 layouts loads to "
        "the same normalised fields (the legacy text question named by configuration).",
        deliveries=[
            {
                "survey/current.csv": FIXTURES / "qualtrics/same_response_current.csv",
                "survey/legacy.csv": FIXTURES / "qualtrics/same_response_legacy.csv",
                "survey/insights.csv": FIXTURES / "qualtrics/same_response_insights_2016.csv",
            }
        ],
        outcomes={
            "survey/current.csv": Outcome("loaded", rows=(1, 1, 0)),
            "survey/legacy.csv": Outcome("loaded", rows=(1, 1, 0)),
            "survey/insights.csv": Outcome("loaded", rows=(1, 1, 0)),
        },
        check=_check_same_response,
        env={"CJM_SURVEY_TIMEZONE": "Europe/Berlin", "CJM_SURVEY_COMMENT_QUESTION": "Q3"},
    ),
    Case(
        id="survey_surveymonkey_two_header_rows",
        description="SurveyMonkey export: two header rows, a multi-column question, an "
        "open-ended answer with commas and a line break, US dates.",
        deliveries=[{"survey/feedback.csv": SURVEYMONKEY}],
        outcomes={"survey/feedback.csv": Outcome("loaded", rows=(3, 3, 0))},
        check=_check_surveymonkey,
    ),
    Case(
        id="survey_surveymonkey_missing_respondent_id",
        description="A SurveyMonkey response without Respondent ID is quarantined.",
        deliveries=[{"survey/feedback.csv": SURVEYMONKEY_MISSING_ID}],
        outcomes={"survey/feedback.csv": Outcome("loaded", rows=(3, 2, 1))},
        quarantined=[
            Quarantined("survey/feedback.csv", 4, "Respondent ID", "has no Respondent ID"),
        ],
    ),
    Case(
        id="survey_qualtrics_comment_by_import_id",
        description="Current export whose text question is 'Q6' in row 1 and QID6_TEXT only "
        "in the row-3 ImportId: its answer is the comment.",
        deliveries=[{"survey/followup.csv": COMMENT_BY_IMPORT_ID}],
        outcomes={"survey/followup.csv": Outcome("loaded", rows=(2, 2, 0))},
        check=_check_comment_by_import_id,
    ),
    Case(
        id="survey_without_nps_question",
        description="A survey without an NPS column loads, and the ledger notes say so.",
        deliveries=[{"survey/followup.csv": WITHOUT_NPS}],
        outcomes={"survey/followup.csv": Outcome("loaded", rows=(2, 2, 0))},
        check=_check_without_nps,
    ),
    Case(
        id="survey_qualtrics_legacy_missing_trailing_comma",
        description="One legacy row lost its trailing comma: only the always-empty extra "
        "column is missing, so it loads, with a note naming the row.",
        deliveries=[{"survey/legacy.csv": LEGACY_MISSING_TRAILING_COMMA}],
        outcomes={"survey/legacy.csv": Outcome("loaded", rows=(5, 5, 0))},
        check=_check_missing_trailing_comma,
    ),
    Case(
        id="survey_qualtrics_legacy_value_in_trailing_column",
        description="A legacy row with an unquoted comma and no trailing comma has a value in "
        "the unnamed last column: its values moved, so it is quarantined.",
        deliveries=[{"survey/legacy.csv": LEGACY_SHIFTED_INTO_TRAILING_COLUMN}],
        outcomes={"survey/legacy.csv": Outcome("loaded", rows=(5, 4, 1))},
        quarantined=[
            Quarantined(
                "survey/legacy.csv", 4, None, "value after the last named column (LocationAccuracy)"
            ),
        ],
    ),
    Case(
        id="survey_qualtrics_duplicate_column_ids",
        description="Two columns share the id Q4: both answers are kept in answers_json "
        "('Q4', 'Q4 (2)') and a note says so.",
        deliveries=[{"survey/followup.csv": DUPLICATE_IDS}],
        outcomes={"survey/followup.csv": Outcome("loaded", rows=(2, 2, 0))},
        check=_check_duplicate_ids,
    ),
]
