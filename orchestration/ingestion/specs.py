"""Which files feed which raw table, and which readers may read them.

The landing folder contract: ``<landing>/survey/*.csv``, ``<landing>/crm/<Object>.csv``
(Salesforce object name, any letter case) and ``<landing>/web/events_YYYYMMDD.json[.gz]``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .readers import (
    QUALTRICS_INSIGHTS_2016,
    QUALTRICS_LEGACY_V1V10,
    SURVEYMONKEY_CSV,
    Ga4NdjsonReader,
    QualtricsCsvReader,
    Reader,
    RefusedFormat,
    SalesforceCsvReader,
)
from .schema import (
    CRM_BASE_COLUMNS,
    CRM_STANDARD_FIELDS,
    GA4_EVENT_COLUMNS,
    SURVEY_RESPONSE_COLUMNS,
    VARCHAR,
    Column,
)


@dataclass(frozen=True)
class SourceSpec:
    """One raw table: where its files are, how they are named and which readers may read them.

    ``readers`` are tried in order; the first whose ``detect`` accepts a file reads it.
    ``columns`` are the table's columns (after the lineage columns) when no file was loaded;
    with ``adds_columns`` every file may bring further columns (Salesforce field sets vary).
    """

    raw_table: str
    folder: str
    file_pattern: str  # regular expression for the whole file name, case-insensitive
    pattern_label: str  # the same for people, e.g. 'crm/Account.csv'
    readers: tuple[Reader, ...]
    description: str
    columns: tuple[Column, ...]
    adds_columns: bool = False

    def matches(self, file_name: str) -> bool:
        return re.fullmatch(self.file_pattern, file_name, flags=re.IGNORECASE) is not None

    def find_files(self, landing: Path) -> list[Path]:
        folder = landing / self.folder
        if not folder.is_dir():
            return []
        return sorted(
            p
            for p in folder.iterdir()
            if p.is_file() and not p.name.startswith(".") and self.matches(p.name)
        )

    @property
    def accepted_formats(self) -> list[str]:
        return [r.label for r in self.readers if not isinstance(r, RefusedFormat)]


_QUALTRICS = QualtricsCsvReader()
_SALESFORCE = SalesforceCsvReader()
_GA4 = Ga4NdjsonReader()
_SURVEY_READERS: tuple[Reader, ...] = (
    _QUALTRICS,
    QUALTRICS_LEGACY_V1V10,
    QUALTRICS_INSIGHTS_2016,
    SURVEYMONKEY_CSV,
)


def _crm(raw_table: str, obj: str, what: str) -> SourceSpec:
    fields = tuple((name, VARCHAR) for name in CRM_STANDARD_FIELDS[obj])
    return SourceSpec(
        raw_table=raw_table,
        folder="crm",
        file_pattern=re.escape(obj) + r"\.csv",
        pattern_label=f"crm/{obj}.csv",
        readers=(_SALESFORCE,),
        description=f"Salesforce {obj} records ({what}), every field as exported, lower-case "
        "API names as columns.",
        columns=CRM_BASE_COLUMNS + fields,
        adds_columns=True,
    )


RAW_TABLES: dict[str, SourceSpec] = {
    "survey_responses": SourceSpec(
        raw_table="survey_responses",
        folder="survey",
        file_pattern=r"[^/]+\.csv",
        pattern_label="survey/*.csv",
        readers=_SURVEY_READERS,
        description="Survey responses (Qualtrics exports), one row per response, normalised to "
        "common columns with every original answer kept in answers_json.",
        columns=SURVEY_RESPONSE_COLUMNS,
    ),
    "crm_accounts": _crm("crm_accounts", "Account", "companies"),
    "crm_contacts": _crm("crm_contacts", "Contact", "people, the known customers"),
    "crm_opportunities": _crm("crm_opportunities", "Opportunity", "deals"),
    "crm_opportunity_history": _crm(
        "crm_opportunity_history", "OpportunityHistory", "stage changes of deals over time"
    ),
    "crm_cases": _crm("crm_cases", "Case", "service requests"),
    "web_events": SourceSpec(
        raw_table="web_events",
        folder="web",
        file_pattern=r"events_[0-9]{8}\.json(\.gz)?",
        pattern_label="web/events_YYYYMMDD.json[.gz]",
        readers=(_GA4,),
        description="GA4 BigQuery export events, one row per line (exact duplicates kept; "
        "staging removes them).",
        columns=GA4_EVENT_COLUMNS,
    ),
}


def unclaimed_files(landing: Path) -> list[str]:
    """Files in the landing sub-folders that no raw table takes (misnamed or unknown objects)."""
    landing = Path(landing)
    out: list[str] = []
    for folder in sorted({s.folder for s in RAW_TABLES.values()}):
        directory = landing / folder
        if not directory.is_dir():
            continue
        specs = [s for s in RAW_TABLES.values() if s.folder == folder]
        for path in sorted(directory.iterdir()):
            visible = path.is_file() and not path.name.startswith(".")
            if visible and not any(s.matches(path.name) for s in specs):
                out.append(path.relative_to(landing).as_posix())
    return out
