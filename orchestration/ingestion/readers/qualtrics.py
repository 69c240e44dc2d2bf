"""Qualtrics survey exports in their three layouts, normalised to raw.survey_responses.

- ``QualtricsCsvReader``: the current "Export Data" CSV. Three header rows (column ids, question
  text in the account's language, ImportId JSON), data from row 4.
- ``QualtricsLegacyCsvReader``: the legacy exporter. UTF-8 byte-order mark, two header rows
  (``V1..V10`` then the question ids in row 1; labels ``ResponseID,ResponseSet,Name,...`` and
  question text in row 2), a trailing comma on every line (one unnamed, empty column).
- ``QualtricsInsights2016CsvReader``: the 2016 "Insights" layout. Three header rows, columns
  start ``ResponseID,ResponseSet,IPAddress,StartDate``; row 3 holds Python-style
  ``{'ImportId': 'QID1-TEXT'}`` cells, not JSON.

All three find the same roles (``_FIXED_FIELDS``, the NPS and CSAT questions, free-text
comments) in their own headers and leave the SQL to ``survey.read_survey_rows``, so the same
response exported by either exporter loads to the same row. What legitimately differs:
``source_format``; fields an older exporter does not write (``Progress``, ``UserLanguage``,
``DistributionChannel``) are NULL; ``recorded_at_local`` is ``EndDate`` where there is no
``RecordedDate`` column (the older exporters record a response when it ends); answers_json keys
of the fixed fields are the labels each exporter writes (``ResponseID`` vs ``ResponseId``);
values are kept as exported (legacy ``Status`` codes such as ``0``/``1``, ``Finished`` ``1``/``0``
and custom recode values).
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import duckdb

from ..textfile import CsvHead, sniff_csv
from .base import FormatError, ReadContext, ReadResult
from .survey import (
    SurveyLayout,
    choose_comment_columns,
    find_configured,
    keep_rows_missing_only_a_trailing_empty_column,
    load_survey_records,
    read_survey_rows,
    survey_name_of,
    unique_keys,
)

HEADER_ROWS = 3
NPS_GROUP_SUFFIX = "_NPS_GROUP"
TEXT_SUFFIX = "_TEXT"
_TEXT_IMPORT_ID = re.compile(r"[_-]TEXT$", re.IGNORECASE)  # QID2_TEXT, QID2_4_TEXT, QID1-TEXT
_LEGACY_ID = re.compile(r"V[0-9]+")

# raw.survey_responses column <- Qualtrics column ids, matched case-insensitively, first found
# wins (current name first, then the older exporters' names).
_FIXED_FIELDS: dict[str, tuple[str, ...]] = {
    "response_id": ("ResponseId",),
    "response_status": ("Status",),
    "is_finished": ("Finished",),
    "progress": ("Progress",),
    "started_at_local": ("StartDate",),
    "ended_at_local": ("EndDate",),
    "recorded_at_local": ("RecordedDate", "EndDate"),
    "recipient_email": ("RecipientEmail", "EmailAddress"),
    "external_reference": ("ExternalReference", "ExternalDataReference"),
    "user_language": ("UserLanguage",),
    "distribution_channel": ("DistributionChannel",),
}

_REEXPORT = (
    "Export the responses again from Qualtrics without editing the file, then deliver it again."
)


def import_id(cell: str, python_style: bool = False) -> dict[str, object] | None:
    """The ImportId object of a header-row-3 cell, or None when the cell is not one.

    Current exports write JSON; 2016 "Insights" exports Python literals
    (``{'ImportId': 'QID1-TEXT'}``), read with ``python_style``.
    """
    text = cell.strip()
    if not text.startswith("{"):
        return None
    try:
        value = ast.literal_eval(text) if python_style else json.loads(text)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return value if isinstance(value, dict) and "ImportId" in value else None


def is_current_export(head: CsvHead | None) -> bool:
    """Row 1 has ResponseId and StartDate, row 3 holds ImportId JSON objects."""
    if head is None or len(head.records) < HEADER_ROWS:
        return False
    ids = {c.strip().lower() for c in head.records[0]}
    if not {"responseid", "startdate"} <= ids:
        return False
    return any(import_id(cell) is not None for cell in head.records[2])


def is_legacy_export(head: CsvHead | None) -> bool:
    """Row 1 starts V1,V2; row 2 holds the labels, ResponseID among them."""
    if head is None or len(head.records) < 2:
        return False
    return [c.strip() for c in head.records[0][:2]] == ["V1", "V2"] and "ResponseID" in [
        c.strip() for c in head.records[1]
    ]


def is_insights_2016_export(head: CsvHead | None) -> bool:
    """Row 1 has ResponseID and ResponseSet, row 3 holds Python-style ImportId cells."""
    if head is None or len(head.records) < HEADER_ROWS:
        return False
    row1 = [c.strip() for c in head.records[0]]
    return (
        "ResponseID" in row1
        and "ResponseSet" in row1
        and any(import_id(c, python_style=True) is not None for c in head.records[2])
        and not any(import_id(c) is not None for c in head.records[2])
    )


def find_nps_column(
    ids: list[str], configured: str | None, texts: list[str] | None = None
) -> tuple[int | None, str | None]:
    """Index of the NPS column and a note when the configured one is missing.

    The configured column id (or question text, when ``texts`` holds header row 2) wins;
    otherwise the column ``X`` that has an ``X_NPS_GROUP`` companion.
    """
    exact = {}
    for i, c in enumerate(ids):
        exact.setdefault(c, i)
    note = None
    if configured:
        index = find_configured(configured, ids, texts or [])
        if index is not None:
            return index, None
        note = (
            f"The configured NPS question '{configured}' (CJM_SURVEY_NPS_QUESTION) is neither a "
            "column id nor a question text of this file; looked for an _NPS_GROUP companion "
            "instead."
        )
    for c in ids:
        if c.endswith(NPS_GROUP_SUFFIX) and c[: -len(NPS_GROUP_SUFFIX)] in exact:
            return exact[c[: -len(NPS_GROUP_SUFFIX)]], note
    return None, note


def find_time_zone(row3: list[str], python_style: bool = False) -> str | None:
    """The zone named in header row 3, preferring the one of RecordedDate."""
    zones: list[tuple[str, str]] = []
    for cell in row3:
        obj = import_id(cell, python_style)
        if obj and isinstance(obj.get("timeZone"), str) and obj["timeZone"].strip():
            zones.append((str(obj["ImportId"]), obj["timeZone"].strip()))
    for import_name, zone in zones:
        if import_name == "recordedDate":
            return zone
    return zones[0][1] if zones else None


def _import_name(cell: str, python_style: bool) -> str | None:
    obj = import_id(cell, python_style)
    return str(obj["ImportId"]) if obj else None


def is_known_zone(con: duckdb.DuckDBPyConnection, zone: str) -> bool:
    rows = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [zone]).fetchall()
    return bool(rows[0][0])


def _time_zone(
    con: duckdb.DuckDBPyConnection, ctx: ReadContext, row3: list[str] | None, python_style: bool
) -> tuple[str, str | None]:
    """The survey's zone and, when it is not the one the file names, a note saying why."""
    default_zone = ctx.settings.survey_timezone
    if row3 is None:
        return default_zone, (
            "The legacy export names no time zone; local times are taken as "
            f"'{default_zone}' (CJM_SURVEY_TIMEZONE)."
        )
    zone = find_time_zone(row3, python_style)
    if zone is None:
        return default_zone, (
            "Header row 3 names no time zone; local times are taken as "
            f"'{default_zone}' (CJM_SURVEY_TIMEZONE)."
        )
    if not is_known_zone(con, zone):
        return default_zone, (
            f"Header row 3 names the time zone '{zone}', which DuckDB does not know; "
            f"local times are taken as '{default_zone}' (CJM_SURVEY_TIMEZONE)."
        )
    return zone, None


def qualtrics_layout(
    ctx: ReadContext,
    source_format: str,
    header_rows: int,
    ids: list[str],
    texts: list[str],
    import_names: list[str | None],
    zone: str,
    notes: list[str],
) -> SurveyLayout:
    """Which column plays which role in a Qualtrics export of any layout; adds notes."""
    by_lower: dict[str, int] = {}
    for i, c in enumerate(ids):
        by_lower.setdefault(c.lower(), i)
    roles: dict[str, int] = {}
    for raw, names in _FIXED_FIELDS.items():
        found = next((by_lower[n.lower()] for n in names if n.lower() in by_lower), None)
        if found is not None:
            roles[raw] = found

    nps_index, nps_note = find_nps_column(ids, ctx.settings.nps_question, texts)
    if nps_note:
        notes.append(nps_note)
    if nps_index is None:
        notes.append(
            "No NPS question found (no column with an _NPS_GROUP companion), so nps_score is "
            "empty for every response of this file; set CJM_SURVEY_NPS_QUESTION to its column "
            "id or question text if the survey has one."
        )
    else:
        roles["nps_score"] = nps_index
        group = ids[nps_index] + NPS_GROUP_SUFFIX
        if group in ids:
            roles["nps_group"] = ids.index(group)
    csat = next(
        (by_lower[q.lower()] for q in ctx.settings.csat_questions if q.lower() in by_lower), None
    )
    if csat is not None:
        roles["csat_score"] = csat

    # Free text: a *_TEXT column id, or a row-3 ImportId QIDn_TEXT / QIDn-TEXT (a text question
    # whose column is named Qn). Legacy exports mark neither: configure the question there.
    detected = [
        i
        for i, c in enumerate(ids)
        if c.upper().endswith(TEXT_SUFFIX) or _TEXT_IMPORT_ID.search(import_names[i] or "")
    ]
    comments, comment_note = choose_comment_columns(
        ctx.settings.comment_question, detected, ids, texts
    )
    if comment_note:
        notes.append(comment_note)

    # The legacy exporter's trailing comma makes an unnamed last column that is always empty.
    trailing = len(ids) - 1 if len(ids) > 1 and not ids[-1] else None
    data_columns = [i for i in range(len(ids)) if i != trailing]
    keys = unique_keys([ids[i] for i in data_columns])
    if len({ids[i] for i in data_columns}) != len(data_columns):
        notes.append(
            "Some column ids occur twice; answers_json suffixes repeats with ' (n)' and the "
            "first occurrence fills the normalised columns."
        )
    unusable = []
    if trailing is not None:
        unusable.append(
            (
                f"nullif(trim(c{trailing}), '') IS NOT NULL",
                None,
                f"The record has a value after the last named column ({ids[trailing - 1]}); a "
                "value probably holds a comma without being quoted, which shifts the values "
                "after it. Fix the record in the export or export the file again, then deliver "
                "it again.",
            )
        )
    return SurveyLayout(
        tool="Qualtrics",
        source_format=source_format,
        survey_name=survey_name_of(ctx.source_file),
        source_timezone=zone,
        header_rows=header_rows,
        ids=ids,
        roles=roles,
        comment_columns=comments,
        answer_keys=list(zip(keys, data_columns, strict=True)),
        unusable=unusable,
    )


class QualtricsCsvReader:
    """Qualtrics "Export Data" CSV, current format (three header rows, ImportId JSON)."""

    name = "qualtrics_csv"
    label = (
        "Qualtrics 'Export Data' CSV in the current format (row 1 column ids such as "
        "StartDate and ResponseId, row 2 question text, row 3 ImportId JSON)"
    )
    header_rows = HEADER_ROWS
    python_style_import_ids = False

    def recognises(self, head: CsvHead | None) -> bool:
        return is_current_export(head)

    def column_ids(self, head: CsvHead) -> list[str]:
        return [c.strip() for c in head.header]

    def detect(self, path: Path, head: bytes) -> bool:
        return self.recognises(sniff_csv(head))

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        if head is None or not self.recognises(head):
            raise FormatError(f"{ctx.source_file} is not a {self.label}.")
        records = load_survey_records(con, path, head, ctx, self.header_rows, _REEXPORT)
        records, kept_note = keep_rows_missing_only_a_trailing_empty_column(con, ctx, records, head)
        notes: list[str] = [*records.notes, *kept_note]
        ids = self.column_ids(head)
        width = len(ids)
        texts = (head.records[1] + [""] * width)[:width]
        row3 = (head.records[2] + [""] * width)[:width] if self.header_rows >= 3 else None
        import_names = [_import_name(cell, self.python_style_import_ids) for cell in row3 or []]
        import_names += [None] * (width - len(import_names))
        zone, zone_note = _time_zone(con, ctx, row3, self.python_style_import_ids)
        if zone_note:
            notes.append(zone_note)
        layout = qualtrics_layout(
            ctx, self.name, self.header_rows, ids, texts, import_names, zone, notes
        )
        return read_survey_rows(con, ctx, records, head, layout, notes)


class QualtricsLegacyCsvReader(QualtricsCsvReader):
    """Qualtrics legacy exporter: V1..V10 ids, two header rows, a trailing comma per line."""

    name = "qualtrics_legacy_csv"
    label = (
        "Qualtrics legacy export (row 1 'V1..V10' then question ids, row 2 labels with "
        "ResponseID, a trailing comma on every line)"
    )
    header_rows = 2

    def recognises(self, head: CsvHead | None) -> bool:
        return is_legacy_export(head)

    def column_ids(self, head: CsvHead) -> list[str]:
        """Row 1, with V1..V10 replaced by their row-2 labels (ResponseID, Status, ...)."""
        labels = head.records[1] + [""] * len(head.header)
        return [
            labels[i].strip()
            if _LEGACY_ID.fullmatch(c.strip()) and labels[i].strip()
            else c.strip()
            for i, c in enumerate(head.header)
        ]


class QualtricsInsights2016CsvReader(QualtricsCsvReader):
    """Qualtrics 2016 "Insights" export: three header rows, Python-style ImportIds in row 3."""

    name = "qualtrics_insights_2016_csv"
    label = (
        "Qualtrics 2016 'Insights' export (columns start ResponseID, ResponseSet; row 3 holds "
        "Python-style {'ImportId': ...} cells)"
    )
    python_style_import_ids = True

    def recognises(self, head: CsvHead | None) -> bool:
        return is_insights_2016_export(head)
