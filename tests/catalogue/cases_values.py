"""Catalogue cases for values: nothing is rounded or silently dropped.

Ingestion keeps every value as exported (text); the Great Expectations suites read them strictly
and quarantine what is not exactly a value of its scale, with the check's name and a reason that
quotes the value. Each case is one Qualtrics response (current export format) or one Salesforce
opportunity with a single odd value.
"""

from __future__ import annotations

import csv
import io

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined
from tests.conftest import FIXTURES

_STRICT = (FIXTURES / "qualtrics" / "strict_values.csv").read_text(encoding="utf-8")
_HEADER = "".join(_STRICT.splitlines(keepends=True)[:3])
_IDS = next(csv.reader([_STRICT.splitlines()[0]]))
_GOOD = next(csv.reader([_STRICT.splitlines()[3]]))  # R_StrictOk0000001: NPS 9, CSAT 5
SURVEY_CHECK = "gx_survey_responses"


def survey(**answers: str) -> str:
    """A Qualtrics export with one response: the fixture's good row with ``answers`` changed
    (keys are column ids; ``Q1`` is the NPS question, ``CSAT`` the CSAT question)."""
    row = dict(zip(_IDS, _GOOD, strict=True))
    row.update(answers)
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([row[c] for c in _IDS])
    return _HEADER + out.getvalue()


def raw_value(source_file: str, column: str, expected: str | None):  # noqa: ANN201
    """Check: raw keeps the value exactly as exported."""

    def check(con: duckdb.DuckDBPyConnection) -> None:
        found = con.execute(
            f"select {column} from raw.survey_responses where _source_file = ?", [source_file]
        ).fetchall()
        assert found == [(expected,)], found

    return check


def _survey_case(
    case_id: str, description: str, column: str, reason: str | None, **answers: str
) -> Case:
    source_file = f"survey/{case_id}.csv"
    raw_column = {"Q1": "nps_score", "CSAT": "csat_score", "Progress": "progress"}.get(
        next(iter(answers)), "recorded_at_local"
    )
    return Case(
        id=case_id,
        description=description,
        deliveries=[{source_file: survey(**answers)}],
        outcomes={source_file: Outcome("loaded", rows=(1, 1, 0))},
        quarantined=[Quarantined(source_file, 4, column, reason, check_name=SURVEY_CHECK)]
        if reason
        else [],
        gx_passes={"survey_responses": reason is None},
        check=raw_value(source_file, raw_column, next(iter(answers.values())) or None),
    )


OPPORTUNITY = (
    '"Id","AccountId","ContactId","StageName","Amount","CloseDate","IsWon","CreatedDate"\n'
    '"0065g00000Val01AAA","0015g00000Val01AAA","0035g00000Val01AAA","Prospecting",'
    '"12 EUR","2024-06-30","false","2024-03-01T08:00:00.000Z"\n'
)

CASES: list[Case] = [
    _survey_case(
        "values_nps_not_whole",
        "NPS answer 7.5: quarantined, never published as 8 (DuckDB's cast would round it)",
        "nps_score",
        "nps_score '7.5' is not a whole number 0-10",
        Q1="7.5",
    ),
    _survey_case(
        "values_nps_out_of_scale",
        "NPS answer 11 (scale 0-10): quarantined with the value",
        "nps_score",
        "nps_score must be a whole number between 0 and 10, found '11'",
        Q1="11",
    ),
    _survey_case(
        "values_nps_text",
        "NPS answer 'abc': quarantined as unreadable, not turned into an empty answer",
        "nps_score",
        "nps_score 'abc' is not a whole number 0-10",
        Q1="abc",
    ),
    _survey_case(
        "values_nps_padded",
        "NPS answer ' 8 ' (spaces around it): read as 8, passes; raw keeps the spaces",
        "nps_score",
        None,
        Q1=" 8 ",
    ),
    _survey_case(
        "values_nps_zero_fraction",
        "NPS answer '8.0' (a zero fraction loses nothing): read as 8, passes",
        "nps_score",
        None,
        Q1="8.0",
    ),
    _survey_case(
        "values_csat_out_of_scale",
        "CSAT answer 6 (scale 1-5): quarantined with the value",
        "csat_score",
        "csat_score must be a whole number between 1 and 5, found '6'",
        CSAT="6",
    ),
    _survey_case(
        "values_csat_zero",
        "CSAT answer 0 (scale 1-5): quarantined with the value",
        "csat_score",
        "csat_score must be a whole number between 1 and 5, found '0'",
        CSAT="0",
    ),
    _survey_case(
        "values_progress_not_whole",
        "Progress 100.5: not a whole percentage, quarantined",
        "progress",
        "progress '100.5' is not a whole number 0-100",
        Progress="100.5",
    ),
    _survey_case(
        "values_date_unreadable",
        "RecordedDate '31.12.2023 10:00' (German spreadsheet style): cannot be read, quarantined",
        "recorded_at_local",
        "recorded_at_local '31.12.2023 10:00' cannot be read as a timestamp",
        RecordedDate="31.12.2023 10:00",
    ),
    _survey_case(
        "values_date_1970",
        "RecordedDate in 1970 (an epoch-zero default): before 2000, quarantined",
        "recorded_at_local",
        "between 2000-01-01 00:00:00 and",
        RecordedDate="1970-01-01 00:00:00",
    ),
    _survey_case(
        "values_date_future",
        "RecordedDate in 2099: after tomorrow, quarantined",
        "recorded_at_local",
        "found '2099-01-01 00:00:00'",
        RecordedDate="2099-01-01 00:00:00",
    ),
    Case(
        id="values_amount_with_currency",
        description="Opportunity Amount '12 EUR': not a number, quarantined by its GX check",
        deliveries=[{"crm/Opportunity.csv": OPPORTUNITY}],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", rows=(1, 1, 0))},
        quarantined=[
            Quarantined(
                "crm/Opportunity.csv",
                2,
                "amount",
                "amount '12 EUR' is not a number",
                check_name="gx_crm_opportunities",
            )
        ],
        gx_passes={"crm_opportunities": False},
    ),
]
