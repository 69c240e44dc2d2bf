"""Which files feed which raw table, and which readers may read them.

The landing folder contract: ``<landing>/survey/*.csv``, ``<landing>/crm/<Object>.csv``
(Salesforce object name, any letter case) and ``<landing>/web/events_YYYYMMDD.json[.gz]``,
``<landing>/web/events_YYYYMMDD.parquet`` (GA4) or ``<landing>/web/*.tsv[.gz]`` (Snowplow),
and ``<landing>/followups/*.csv`` (outcomes of the follow-ups the outbox handed out).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from pathlib import Path

from .readers import (
    FollowUpOutcomesCsvReader,
    Ga4NdjsonReader,
    Ga4ParquetReader,
    HubSpotCsvReader,
    QualtricsCsvReader,
    QualtricsInsights2016CsvReader,
    QualtricsLegacyCsvReader,
    Reader,
    RefusedFormat,
    SalesforceCsvReader,
    SnowplowTsvReader,
    SurveyMonkeyCsvReader,
)
from .schema import (
    CRM_BASE_COLUMNS,
    CRM_STANDARD_FIELDS,
    FOLLOW_UP_OUTCOME_COLUMNS,
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
            if _is_delivered_file(p) and not p.name.startswith(".") and self.matches(p.name)
        )

    @property
    def accepted_formats(self) -> list[str]:
        return [r.label for r in self.readers if not isinstance(r, RefusedFormat)]


_QUALTRICS = QualtricsCsvReader()
_SALESFORCE = SalesforceCsvReader()
_HUBSPOT = HubSpotCsvReader()
_GA4 = Ga4NdjsonReader()
_GA4_PARQUET = Ga4ParquetReader()
_SNOWPLOW = SnowplowTsvReader()
_SURVEY_READERS: tuple[Reader, ...] = (
    _QUALTRICS,
    QualtricsLegacyCsvReader(),
    QualtricsInsights2016CsvReader(),
    SurveyMonkeyCsvReader(),
)


def _crm(raw_table: str, obj: str, what: str, hubspot: str | None = None) -> SourceSpec:
    """A CRM raw table: Salesforce ``<obj>.csv``; with ``hubspot`` (the object's plural as
    HubSpot export file names carry it, e.g. ``hubspot-crm-exports-all-contacts-2024-01-31``)
    also ``*<hubspot>*.csv`` read by the HubSpot reader."""
    fields = tuple((name, VARCHAR) for name in CRM_STANDARD_FIELDS[obj])
    pattern = re.escape(obj) + r"\.csv(\.gz)?"
    label = f"crm/{obj}.csv[.gz]"
    description = f"Salesforce {obj} records ({what}), every field as exported, lower-case API "
    if hubspot:
        pattern = f"(?:{pattern}|[^/]*{hubspot}[^/]*\\.csv(\\.gz)?)"
        label += f" or crm/*{hubspot}*.csv"
        description = f"Salesforce {obj} records or HubSpot {hubspot} ({what}), every field as "
        description += "exported, lower-case API "
    return SourceSpec(
        raw_table=raw_table,
        folder="crm",
        file_pattern=pattern,
        pattern_label=label,
        readers=(_HUBSPOT, _SALESFORCE) if hubspot else (_SALESFORCE,),
        description=description + "names as columns.",
        columns=CRM_BASE_COLUMNS + fields,
        adds_columns=True,
    )


RAW_TABLES: dict[str, SourceSpec] = {
    "survey_responses": SourceSpec(
        raw_table="survey_responses",
        folder="survey",
        file_pattern=r"[^/]+\.csv(\.gz)?",
        pattern_label="survey/*.csv[.gz]",
        readers=_SURVEY_READERS,
        description="Survey responses (Qualtrics and SurveyMonkey exports), one row per "
        "response, normalised to common columns with every original answer kept in answers_json.",
        columns=SURVEY_RESPONSE_COLUMNS,
    ),
    "crm_accounts": _crm("crm_accounts", "Account", "companies", hubspot="companies"),
    "crm_contacts": _crm(
        "crm_contacts", "Contact", "people, the known customers", hubspot="contacts"
    ),
    "crm_opportunities": _crm("crm_opportunities", "Opportunity", "deals", hubspot="deals"),
    "crm_opportunity_history": _crm(
        "crm_opportunity_history", "OpportunityHistory", "stage changes of deals over time"
    ),
    "crm_cases": _crm("crm_cases", "Case", "service requests"),
    "crm_opportunity_contact_roles": _crm(
        "crm_opportunity_contact_roles",
        "OpportunityContactRole",
        "which contacts take part in a deal and in what role",
    ),
    "web_events": SourceSpec(
        raw_table="web_events",
        folder="web",
        file_pattern=r"events_[0-9]{8}\.(json(\.gz)?|parquet)|[^/]+\.tsv(\.gz)?",
        pattern_label="web/events_YYYYMMDD.json[.gz], web/events_YYYYMMDD.parquet, web/*.tsv[.gz]",
        readers=(_GA4, _GA4_PARQUET, _SNOWPLOW),
        description="Web events, one row per event: GA4 BigQuery export (NDJSON or Parquet) "
        "and Snowplow enriched events mapped to the GA4 shape (exact duplicates kept; staging "
        "removes them).",
        columns=GA4_EVENT_COLUMNS,
    ),
    "follow_up_outcomes": SourceSpec(
        raw_table="follow_up_outcomes",
        folder="followups",
        file_pattern=r"[^/]+\.csv(\.gz)?",
        pattern_label="followups/*.csv[.gz]",
        readers=(FollowUpOutcomesCsvReader(),),
        description="Outcomes of the follow-ups on unhappy customers that the outbox handed to "
        "a ticketing tool: follow-up id, status, closed_at, resolution (a later file's row for "
        "the same follow-up supersedes an earlier one).",
        columns=FOLLOW_UP_OUTCOME_COLUMNS,
    ),
}


IGNORE_FILE = ".cjmignore"


def _is_delivered_file(path: Path) -> bool:
    """A regular file, or a symbolic link that is not a folder (a dangling link is a file that
    cannot be read, which the ledger must show rather than skip)."""
    return path.is_file() or (path.is_symlink() and not path.is_dir())


def landing_files(landing: Path) -> list[Path]:
    """Every file under the landing folder, in any sub-folder, except hidden ones.

    Hidden files and folders (names starting with '.', such as files a sync tool is still
    writing) are skipped, and so are the paths matched by a glob pattern listed in
    ``<landing>/.cjmignore`` (one per line, ``#`` comments), for files that are not exports.
    """
    landing = Path(landing)
    if not landing.is_dir():
        return []
    ignore = landing / IGNORE_FILE
    patterns = []
    if ignore.is_file():
        lines = ignore.read_text(encoding="utf-8", errors="replace").splitlines()
        patterns = [line.strip() for line in lines if line.strip() and not line.startswith("#")]
    out = []
    for path in sorted(landing.rglob("*")):
        relative = path.relative_to(landing)
        if any(part.startswith(".") for part in relative.parts) or not _is_delivered_file(path):
            continue
        if any(fnmatch.fnmatch(relative.as_posix(), pattern) for pattern in patterns):
            continue
        out.append(path)
    return out


def claimed_by(landing: Path, path: Path) -> SourceSpec | None:
    """The raw table whose folder and file-name pattern take ``path``, if any."""
    for spec in RAW_TABLES.values():
        if path.parent == Path(landing) / spec.folder and spec.matches(path.name):
            return spec
    return None


def unclaimed_files(landing: Path) -> list[str]:
    """Files under the landing folder that no raw table takes (misnamed, misplaced, unknown)."""
    landing = Path(landing)
    return [
        path.relative_to(landing).as_posix()
        for path in landing_files(landing)
        if claimed_by(landing, path) is None
    ]
