"""Catalogue: re-deliveries that would lose data, files nobody reads, files that go away."""

from __future__ import annotations

import duckdb

from tests.catalogue.case import Case, Outcome, Quarantined, Symlink
from tests.conftest import FIXTURES

OPPORTUNITY_HEADER = (
    '"Id","AccountId","ContactId","Name","StageName","Amount","CloseDate","IsWon","CreatedDate"\n'
)


def opportunities(first: int, last: int) -> str:
    """A Salesforce Data Export of opportunities ``first``..``last`` (inclusive)."""
    rows = [
        f'"0065g00000Opp{n:03d}AA","0015g00000Acc{n:03d}AA","0035g00000Con{n:03d}AA",'
        f'"Deal {n}","Prospecting","{n * 100}.0","2026-12-31","false","2026-10-01T08:00:00.000Z"\n'
        for n in range(first, last + 1)
    ]
    return OPPORTUNITY_HEADER + "".join(rows)


SURVEY = (FIXTURES / "qualtrics/support_followup.csv").read_text(encoding="utf-8")
SURVEY_LINES = SURVEY.splitlines(keepends=True)
# The header (3 rows) and the first response (a value with a line break spans lines 4-5).
SURVEY_CUT_IN_HALF = "".join(SURVEY_LINES[:5])
GA4_DAY = FIXTURES / "ga4/events_20231215.json"


def raw_count(table: str, expected: int):  # noqa: ANN201
    def check(con: duckdb.DuckDBPyConnection) -> None:
        assert con.execute(f"select count(*) from raw.{table}").fetchall()[0][0] == expected

    return check


def ledger_rows(expected: int):  # noqa: ANN201
    def check(con: duckdb.DuckDBPyConnection) -> None:
        assert con.execute("select count(*) from ops.load_ledger").fetchall()[0][0] == expected

    return check


CASES = [
    Case(
        id="crm-header-only-redelivery-held",
        description="crm/Opportunity.csv re-delivered with only its header",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": OPPORTUNITY_HEADER},
        ],
        outcomes={
            "crm/Opportunity.csv": Outcome(
                "held", (0, 0, 0), ("with 0", "drop of 100%", "cjm accept crm/Opportunity.csv")
            )
        },
        check=raw_count("crm_opportunities", 10),
    ),
    Case(
        id="crm-snapshot-drop-30-percent-held",
        description="a weekly CRM snapshot with 30% fewer records than last week",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": opportunities(1, 7)},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("held", (7, 0, 0), ("10 rows", "with 7", "30%"))},
        check=raw_count("crm_opportunities", 10),
    ),
    Case(
        id="crm-snapshot-drop-10-percent-loaded",
        description="a weekly CRM snapshot with 10% fewer records (within the 20% allowed)",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": opportunities(2, 10)},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (9, 9, 0), ("Replaced",))},
        check=raw_count("crm_opportunities", 9),
    ),
    Case(
        id="crm-drop-allowed-by-configuration",
        description="a 30% drop with CJM_HOLD_MAX_DROP_CRM=0.5",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": opportunities(1, 7)},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (7, 7, 0))},
        env={"CJM_HOLD_MAX_DROP_CRM": "0.5"},
        check=raw_count("crm_opportunities", 7),
    ),
    Case(
        id="survey-cut-in-half-held",
        description="a survey export re-delivered cut in half",
        deliveries=[
            {"survey/support_followup.csv": SURVEY},
            {"survey/support_followup.csv": SURVEY_CUT_IN_HALF},
        ],
        outcomes={
            "survey/support_followup.csv": Outcome(
                "held", (1, 0, 0), ("replace the 2 rows", "with 1", "survey/ files allow no drop")
            )
        },
        check=raw_count("survey_responses", 2),
    ),
    Case(
        id="held-file-delivered-again-writes-nothing",
        description="the same held file in three runs",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": OPPORTUNITY_HEADER},
            {},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("held")},
        check=ledger_rows(2),
    ),
    Case(
        id="held-then-complete-export-loads",
        description="a held file replaced by the complete export",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": OPPORTUNITY_HEADER},
            {"crm/Opportunity.csv": opportunities(1, 11)},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (11, 11, 0))},
        check=raw_count("crm_opportunities", 11),
    ),
    Case(
        id="ga4-reexport-with-fewer-events-held",
        description="a GA4 day re-exported with events missing",
        deliveries=[
            {"web/events_20231215.json": GA4_DAY},
            {"web/events_20231215.json": GA4_DAY.read_text(encoding="utf-8").split("\n", 1)[1]},
        ],
        outcomes={"web/events_20231215.json": Outcome("held", message=("web/ files allow",))},
        check=raw_count("web_events", 5),
    ),
    Case(
        id="same-file-again-changes-nothing",
        description="the same bytes delivered twice",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 3)},
            {"crm/Opportunity.csv": opportunities(1, 3)},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (3, 3, 0))},
        check=ledger_rows(1),
    ),
    Case(
        id="ga4-file-in-survey-folder",
        description="a GA4 export put into survey/",
        deliveries=[{"survey/events_20231215.json": GA4_DAY}],
        outcomes={
            "survey/events_20231215.json": Outcome(
                "unrecognised", message=("GA4 BigQuery export", "web/events_YYYYMMDD")
            )
        },
    ),
    Case(
        id="ga4-file-with-dashed-date",
        description="web/events_2026-11-09.json (date with dashes)",
        deliveries=[{"web/events_2026-11-09.json": GA4_DAY}],
        outcomes={
            "web/events_2026-11-09.json": Outcome(
                "unrecognised", message=("move or rename it", "web/events_YYYYMMDD")
            )
        },
    ),
    Case(
        id="unknown-crm-object",
        description="crm/Lead.csv, an object the warehouse does not read",
        deliveries=[{"crm/Lead.csv": '"Id","Email"\n"00Q000000000001AAA","a@example.com"\n'}],
        outcomes={"crm/Lead.csv": Outcome("unrecognised", message=("crm/Contact.csv",))},
    ),
    Case(
        id="file-at-landing-root",
        description="an export dropped at the top of the landing folder",
        deliveries=[{"Account.csv": FIXTURES / "salesforce/Account.csv"}],
        outcomes={
            "Account.csv": Outcome("unrecognised", message=("crm/Account.csv", ".cjmignore"))
        },
    ),
    Case(
        id="file-in-nested-folder",
        description="survey/2026/support_followup.csv (sub-folders are not read)",
        deliveries=[{"survey/2026/support_followup.csv": SURVEY}],
        outcomes={
            "survey/2026/support_followup.csv": Outcome(
                "unrecognised", message=("read from survey/",)
            )
        },
    ),
    Case(
        id="ignored-and-hidden-files",
        description="a file listed in .cjmignore and a hidden file",
        deliveries=[
            {
                ".cjmignore": "notes/*\n",
                "notes/readme.txt": "how we export",
                "crm/.~lock.Account.csv#": "lock",
            }
        ],
        outcomes={},
        check=ledger_rows(0),
    ),
    Case(
        id="empty-crm-file",
        description="crm/Account.csv with zero bytes",
        deliveries=[{"crm/Account.csv": b""}],
        outcomes={"crm/Account.csv": Outcome("unrecognised", (0, 0, 0), ("empty",))},
    ),
    Case(
        id="unrecognised-file-removed-is-retired",
        description="an unreadable survey file, then removed from the landing folder",
        deliveries=[
            {"survey/notes.csv": "just notes, not an export\n"},
            {"survey/notes.csv": None},
        ],
        outcomes={"survey/notes.csv": Outcome("retired", message=("removed from the landing",))},
    ),
    Case(
        id="held-file-removed-is-retired",
        description="a held re-delivery, then removed: the earlier copy stays loaded",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 10)},
            {"crm/Opportunity.csv": OPPORTUNITY_HEADER},
            {"crm/Opportunity.csv": None},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("retired")},
        check=raw_count("crm_opportunities", 10),
    ),
    Case(
        id="blocking-file-removed-is-withdrawn",
        description="a survey file whose rows fail the quality check, then removed",
        deliveries=[
            {"survey/support_followup.csv": SURVEY.replace(",1,6,2,", ",1,11,2,", 1)},
            {"survey/support_followup.csv": None},
        ],
        outcomes={"survey/support_followup.csv": Outcome("retired", message=("quality check",))},
        gx_passes={"survey_responses": True},
        check=raw_count("survey_responses", 0),
        gx_after_delivery=0,
    ),
    Case(
        id="loaded-file-removed-keeps-its-rows",
        description="a clean file removed from the landing folder after loading",
        deliveries=[
            {"crm/Opportunity.csv": opportunities(1, 3)},
            {"crm/Opportunity.csv": None},
        ],
        outcomes={"crm/Opportunity.csv": Outcome("loaded", (3, 3, 0))},
        check=raw_count("crm_opportunities", 3),
    ),
    Case(
        id="dangling-symlink-unreadable",
        description="crm/Case.csv is a link to a file that no longer exists",
        deliveries=[{"crm/Case.csv": Symlink("/nonexistent/Case.csv")}],
        outcomes={"crm/Case.csv": Outcome("failed", (0, 0, 0), ("cannot be read", "No such file"))},
    ),
]

_ = Quarantined  # the quarantine rows of these cases are checked through their outcomes
