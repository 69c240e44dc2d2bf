"""Qualtrics survey exports.

``QualtricsCsvReader`` reads the current "Export Data" CSV: three header rows (column ids,
question text in the account's language, ImportId JSON), data from row 4. It normalises every
response into raw.survey_responses and keeps all original columns in ``answers_json``.

The legacy exporter (V1..V10 ids) and the 2016 "Insights" layout (Python-style ImportIds) are
recognised and refused with advice until readers for them exist.
"""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import duckdb

from ..schema import SURVEY_RESPONSE_COLUMNS, quote_ident, sql_literal
from ..textfile import CsvHead, sniff_csv
from .base import FormatError, ReadContext, ReadResult, RefusedFormat
from .csv_records import load_csv_records, record_text_sql

HEADER_ROWS = 3
NPS_GROUP_SUFFIX = "_NPS_GROUP"
TEXT_SUFFIX = "_TEXT"

# raw.survey_responses column <- Qualtrics column id (matched case-insensitively)
_FIXED_FIELDS = {
    "response_id": "ResponseId",
    "response_status": "Status",
    "is_finished": "Finished",
    "progress": "Progress",
    "started_at_local": "StartDate",
    "ended_at_local": "EndDate",
    "recorded_at_local": "RecordedDate",
    "recipient_email": "RecipientEmail",
    "external_reference": "ExternalReference",
    "user_language": "UserLanguage",
    "distribution_channel": "DistributionChannel",
}


def import_id(cell: str) -> dict[str, object] | None:
    """The ImportId object of a header-row-3 cell, or None when the cell is not one."""
    text = cell.strip()
    if not text.startswith("{"):
        return None
    try:
        value = json.loads(text)
    except ValueError:
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


def find_nps_column(ids: list[str], configured: str | None) -> tuple[int | None, str | None]:
    """Index of the NPS column and a note when the configured one is missing.

    The configured id wins; otherwise the column ``X`` that has an ``X_NPS_GROUP`` companion.
    """
    exact = {}
    for i, c in enumerate(ids):
        exact.setdefault(c, i)
    note = None
    if configured:
        if configured in exact:
            return exact[configured], None
        note = (
            f"The configured NPS question '{configured}' (CJM_SURVEY_NPS_QUESTION) is not a "
            "column of this file; looked for an _NPS_GROUP companion instead."
        )
    for c in ids:
        if c.endswith(NPS_GROUP_SUFFIX) and c[: -len(NPS_GROUP_SUFFIX)] in exact:
            return exact[c[: -len(NPS_GROUP_SUFFIX)]], note
    return None, note


def find_time_zone(row3: list[str]) -> str | None:
    """The zone named in header row 3, preferring the one of RecordedDate."""
    zones: list[tuple[str, str]] = []
    for cell in row3:
        obj = import_id(cell)
        if obj and isinstance(obj.get("timeZone"), str) and obj["timeZone"].strip():
            zones.append((str(obj["ImportId"]), obj["timeZone"].strip()))
    for import_name, zone in zones:
        if import_name == "recordedDate":
            return zone
    return zones[0][1] if zones else None


def is_known_zone(con: duckdb.DuckDBPyConnection, zone: str) -> bool:
    rows = con.execute("SELECT count(*) FROM pg_timezone_names() WHERE name = ?", [zone]).fetchall()
    return bool(rows[0][0])


def _unique_keys(ids: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    keys = []
    for c in ids:
        seen[c] = seen.get(c, 0) + 1
        keys.append(c if seen[c] == 1 else f"{c} ({seen[c]})")
    return keys


class QualtricsCsvReader:
    """Qualtrics "Export Data" CSV, current format."""

    name = "qualtrics_csv"
    label = (
        "Qualtrics 'Export Data' CSV in the current format (row 1 column ids such as "
        "StartDate and ResponseId, row 2 question text, row 3 ImportId JSON)"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        return is_current_export(sniff_csv(head))

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        if not is_current_export(head):
            raise FormatError(f"{ctx.source_file} is not a current Qualtrics export.")
        assert head is not None
        ids = [c.strip() for c in head.header]
        records = load_csv_records(con, path, head, ctx.scope)
        notes: list[str] = list(records.notes)
        bad_header = con.execute(
            f"SELECT min(source_row) FROM {quote_ident(records.rejects)} "
            f"WHERE source_row <= {HEADER_ROWS}"
        ).fetchall()[0][0]
        if bad_header is not None:
            raise FormatError(
                f"{ctx.source_file}: header row {bad_header} cannot be parsed as CSV with the "
                f"{len(ids)} columns of row 1. Export the responses again from Qualtrics "
                "without editing the file, then deliver it again."
            )

        by_lower: dict[str, int] = {}
        for i, c in enumerate(ids):
            by_lower.setdefault(c.lower(), i)

        def col(index: int | None) -> str:
            return f"c{index}" if index is not None else "NULL"

        def named(column_id: str) -> str:
            return col(by_lower.get(column_id.lower()))

        zone = find_time_zone(head.records[2])
        default_zone = ctx.settings.survey_timezone
        if zone and not is_known_zone(con, zone):
            notes.append(
                f"Header row 3 names the time zone '{zone}', which DuckDB does not know; "
                f"local times are taken as '{default_zone}' (CJM_SURVEY_TIMEZONE)."
            )
            zone = None
        if zone is None:
            if not notes:
                notes.append(
                    "Header row 3 names no time zone; local times are taken as "
                    f"'{default_zone}' (CJM_SURVEY_TIMEZONE)."
                )
            zone = default_zone

        nps_index, nps_note = find_nps_column(ids, ctx.settings.nps_question)
        if nps_note:
            notes.append(nps_note)
        if nps_index is None:
            notes.append(
                "No NPS question found (no column with an _NPS_GROUP companion); set "
                "CJM_SURVEY_NPS_QUESTION to its column id if the survey has one."
            )
        nps_group_index = (
            ids.index(ids[nps_index] + NPS_GROUP_SUFFIX)
            if nps_index is not None and ids[nps_index] + NPS_GROUP_SUFFIX in ids
            else None
        )
        csat_index = next(
            (by_lower[q.lower()] for q in ctx.settings.csat_questions if q.lower() in by_lower),
            None,
        )
        text_indexes = [i for i, c in enumerate(ids) if c.upper().endswith(TEXT_SUFFIX)]

        def literal_or_null(value: str | None) -> str:
            return sql_literal(value) if value is not None else "NULL"

        if text_indexes:
            filled = [f"nullif(trim(c{i}), '') IS NOT NULL" for i in text_indexes]
            comment_id = (
                "CASE "
                + " ".join(
                    f"WHEN {f} THEN {sql_literal(ids[i])}"
                    for f, i in zip(filled, text_indexes, strict=True)
                )
                + " END"
            )
            comment = (
                "CASE "
                + " ".join(f"WHEN {f} THEN c{i}" for f, i in zip(filled, text_indexes, strict=True))
                + " END"
            )
        else:
            comment_id = comment = "NULL"

        keys = _unique_keys(ids)
        if len(set(ids)) != len(ids):
            notes.append("Some column ids occur twice; answers_json suffixes repeats with ' (n)'.")
        answers = (
            "json_object("
            + ", ".join(f"{sql_literal(k)}, c{i}" for i, k in enumerate(keys))
            + ")::VARCHAR"
        )
        survey_name = PurePosixPath(ctx.source_file).name.rsplit(".", 1)[0]
        values = {
            "source_format": sql_literal(self.name),
            "survey_name": sql_literal(survey_name),
            **{raw: named(qid) for raw, qid in _FIXED_FIELDS.items()},
            "source_timezone": sql_literal(zone),
            "nps_question_id": literal_or_null(ids[nps_index] if nps_index is not None else None),
            "nps_score": col(nps_index),
            "nps_group": col(nps_group_index),
            "csat_question_id": literal_or_null(
                ids[csat_index] if csat_index is not None else None
            ),
            "csat_score": col(csat_index),
            "comment_question_id": comment_id,
            "comment": comment,
            "answers_json": answers,
        }
        select_list = ", ".join(
            f"{values[name]} AS {quote_ident(name)}" for name, _ in SURVEY_RESPONSE_COLUMNS
        )
        response_id = named("ResponseId")
        has_id = f"nullif(trim({response_id}), '') IS NOT NULL"
        rows = ctx.scope.view("rows")
        con.execute(
            f"""CREATE TEMP VIEW {quote_ident(rows)} AS
            SELECT _source_row, {select_list}
            FROM {quote_ident(records.records)}
            WHERE _source_row > {HEADER_ROWS} AND {has_id}"""
        ).fetchall()

        id_column = ids[by_lower["responseid"]]
        reason = (
            f"The response has no {id_column}, so it cannot be told apart from other "
            "responses. Export the responses again from Qualtrics (every recorded response has "
            "an id) or delete this row, then deliver the file again."
        )
        quarantine = ctx.scope.table("quarantine")
        con.execute(
            f"""CREATE TEMP TABLE {quote_ident(quarantine)} AS
            SELECT _source_row AS source_row, {sql_literal(id_column)} AS column_name,
                   {sql_literal(reason)} AS reason,
                   {record_text_sql(len(ids), head.delimiter)} AS record
            FROM {quote_ident(records.records)}
            WHERE _source_row > {HEADER_ROWS} AND NOT ({has_id})
            UNION ALL
            SELECT source_row, column_name, reason, record
            FROM {quote_ident(records.rejects)}
            WHERE source_row > {HEADER_ROWS}"""
        ).fetchall()
        rows_read = con.execute(
            f"""SELECT
                (SELECT count(*) FROM {quote_ident(records.records)}
                 WHERE _source_row > {HEADER_ROWS})
              + (SELECT count(*) FROM {quote_ident(records.rejects)}
                 WHERE source_row > {HEADER_ROWS})"""
        ).fetchall()[0][0]
        return ReadResult(
            rows=rows,
            columns=list(SURVEY_RESPONSE_COLUMNS),
            quarantine=quarantine,
            rows_read=int(rows_read),
            notes=notes,
        )


def _records(head: bytes) -> list[list[str]]:
    sniffed = sniff_csv(head)
    return sniffed.records if sniffed else []


def _is_legacy_v1v10(head: bytes) -> bool:
    records = _records(head)
    return (
        len(records) >= 2
        and [c.strip() for c in records[0][:2]] == ["V1", "V2"]
        and "ResponseID" in [c.strip() for c in records[1]]
    )


def _is_insights_2016(head: bytes) -> bool:
    records = _records(head)
    if len(records) < 3:
        return False
    row1 = [c.strip() for c in records[0]]
    return (
        "ResponseID" in row1
        and "ResponseSet" in row1
        and any(c.strip().startswith("{'ImportId'") for c in records[2])
    )


def _is_surveymonkey(head: bytes) -> bool:
    records = _records(head)
    first = [c.strip() for c in records[0][:2]] if records else []
    return first == ["Respondent ID", "Collector ID"]


_REEXPORT = (
    "Export the responses again in Qualtrics (Data & Analysis > Export & Import > Export Data "
    "> CSV), which writes the current format with three header rows (column ids, question "
    "text, ImportId JSON), and deliver that file instead; a reader for this layout is planned."
)

QUALTRICS_LEGACY_V1V10 = RefusedFormat(
    name="qualtrics_legacy_csv",
    label="Qualtrics legacy export (row 1 'V1..V10' ids, row 2 labels with ResponseID)",
    advice=_REEXPORT,
    recognise=_is_legacy_v1v10,
)

QUALTRICS_INSIGHTS_2016 = RefusedFormat(
    name="qualtrics_insights_2016_csv",
    label=(
        "Qualtrics 2016 'Insights' export (columns start ResponseID, ResponseSet; row 3 holds "
        "Python-style {'ImportId': ...} cells, not JSON)"
    ),
    advice=_REEXPORT,
    recognise=_is_insights_2016,
)

SURVEYMONKEY_CSV = RefusedFormat(
    name="surveymonkey_csv",
    label="SurveyMonkey CSV export (row 1 starts 'Respondent ID,Collector ID')",
    advice=(
        "Only Qualtrics exports are read so far; a SurveyMonkey reader is planned. Until then "
        "keep this file out of the landing folder's survey/ folder."
    ),
    recognise=_is_surveymonkey,
)
