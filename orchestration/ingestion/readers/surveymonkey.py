"""SurveyMonkey CSV exports ("All responses data", expanded columns), normalised to
raw.survey_responses.

Two header rows. Row 1: ``Respondent ID,Collector ID,Start Date,End Date,IP Address,Email
Address,First Name,Last Name,Custom Data 1,`` then each question's text in the first of its
columns, with blank cells for the other columns of a multi-column question. Row 2: the
sub-headers (``Response``, ``Open-Ended Response``, choice or row labels), blank under the fixed
fields. Every column's answers_json key is its question text plus `` - `` and its sub-header.

- ``response_id``: ``Respondent ID``; ``external_reference``: ``Custom Data 1`` (the value a
  collector link passes through, usually the CRM contact id); ``recipient_email``: ``Email
  Address``. SurveyMonkey writes no status, progress, language or finished flag: NULL.
- Dates: SurveyMonkey writes ``11/30/2026 10:15:00 AM`` (US order, 12-hour clock, the account's
  time zone). ``started_at_local`` / ``ended_at_local`` / ``recorded_at_local`` (= ``End Date``)
  hold the same wall-clock time written ``2026-11-30 10:15:00``, the form every other survey
  format has and staging and the quality checks read; answers_json keeps the text as exported,
  and a value in any other form is kept as exported (the quality checks then report it).
- NPS: the column named by CJM_SURVEY_NPS_QUESTION (its question text, or question text and
  sub-header as in answers_json), else the question whose text asks how likely the respondent
  is to recommend. Comment: the first non-empty ``Open-Ended Response`` column.
"""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from ..schema import sql_literal
from ..textfile import CsvHead, sniff_csv
from .base import FormatError, ReadContext, ReadResult
from .survey import (
    SurveyLayout,
    choose_comment_columns,
    find_configured,
    load_survey_records,
    read_survey_rows,
    survey_name_of,
    unique_keys,
)

HEADER_ROWS = 2
_FIXED = ("Respondent ID", "Collector ID")
_OPEN_ENDED = "open-ended response"
_NPS_TEXT = re.compile(r"how likely\b.*\brecommend", re.IGNORECASE | re.DOTALL)
# SurveyMonkey's date forms (with and without the 12-hour clock), tried in order.
_DATE_FORMATS = ("%m/%d/%Y %I:%M:%S %p", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y %I:%M %p")

_ROLES_BY_HEADER = {
    "response_id": "Respondent ID",
    "recipient_email": "Email Address",
    "external_reference": "Custom Data 1",
}
_DATE_ROLES = {
    "started_at_local": "Start Date",
    "ended_at_local": "End Date",
    "recorded_at_local": "End Date",
}
_REEXPORT = (
    "Export the responses again from SurveyMonkey (Analyze Results > Save as > Export file > "
    "All responses data, CSV) without editing the file, then deliver it again."
)


def is_surveymonkey_export(head: CsvHead | None) -> bool:
    """Row 1 starts ``Respondent ID,Collector ID``; row 2 holds the sub-headers."""
    if head is None or len(head.records) < HEADER_ROWS:
        return False
    return tuple(c.strip() for c in head.records[0][:2]) == _FIXED


def question_texts(row1: list[str]) -> list[str]:
    """Each column's question: its own row-1 text, or that of the nearest filled cell before."""
    out: list[str] = []
    current = ""
    for cell in row1:
        if cell.strip():
            current = cell.strip()
        out.append(current)
    return out


def sub_headers(row1: list[str], row2: list[str]) -> list[str]:
    """Row 2 cut or padded to the width of row 1."""
    return [c.strip() for c in (row2 + [""] * len(row1))[: len(row1)]]


def column_keys(row1: list[str], row2: list[str]) -> list[str]:
    """``question - sub-header`` per column (the question alone under a blank sub-header)."""
    subs = sub_headers(row1, row2)
    return [f"{q} - {s}" if s else q for q, s in zip(question_texts(row1), subs, strict=True)]


def find_nps_column(
    keys: list[str], questions: list[str], configured: str | None
) -> tuple[int | None, str | None]:
    """Index of the 0-10 question and a note when the configured one is not in the file."""
    note = None
    if configured:
        index = find_configured(configured, keys, questions)
        if index is not None:
            return index, None
        note = (
            f"The configured NPS question '{configured}' (CJM_SURVEY_NPS_QUESTION) is not a "
            "question of this file; looked for a question asking how likely the respondent is "
            "to recommend instead."
        )
    for i, question in enumerate(questions):
        if _NPS_TEXT.search(question):
            return i, note
    return None, note


def _us_date_as_iso(index: int) -> str:
    formats = "[" + ", ".join(sql_literal(f) for f in _DATE_FORMATS) + "]"
    return (
        f"coalesce(strftime(try_strptime(trim(c{index}), {formats}), '%Y-%m-%d %H:%M:%S'), "
        f"c{index})"
    )


class SurveyMonkeyCsvReader:
    """SurveyMonkey CSV export: two header rows, multi-column questions."""

    name = "surveymonkey_csv"
    label = (
        "SurveyMonkey CSV export (row 1 starts 'Respondent ID,Collector ID' then question "
        "text, row 2 sub-headers such as 'Response' and 'Open-Ended Response')"
    )

    def detect(self, path: Path, head: bytes) -> bool:
        return is_surveymonkey_export(sniff_csv(head))

    def read(self, con: duckdb.DuckDBPyConnection, path: Path, ctx: ReadContext) -> ReadResult:
        head = sniff_csv(ctx.head)
        if head is None or not is_surveymonkey_export(head):
            raise FormatError(f"{ctx.source_file} is not a {self.label}.")
        records = load_survey_records(con, path, head, ctx, HEADER_ROWS, _REEXPORT)
        notes = list(records.notes)
        layout = self.layout(ctx, head, notes)
        return read_survey_rows(con, ctx, records, head, layout, notes)

    def layout(self, ctx: ReadContext, head: CsvHead, notes: list[str]) -> SurveyLayout:
        row1 = head.records[0]
        keys = column_keys(row1, head.records[1])
        questions = question_texts(row1)
        by_header = {}
        for i, cell in enumerate(row1):
            by_header.setdefault(cell.strip().lower(), i)
        roles = {
            role: by_header[header.lower()]
            for role, header in {**_ROLES_BY_HEADER, **_DATE_ROLES}.items()
            if header.lower() in by_header
        }
        expressions = {role: _us_date_as_iso(roles[role]) for role in _DATE_ROLES if role in roles}
        if expressions:
            notes.append(
                "SurveyMonkey dates (MM/DD/YYYY hh:mm:ss AM/PM) are written YYYY-MM-DD HH:MM:SS "
                "in started_at_local, ended_at_local and recorded_at_local (End Date); "
                "answers_json keeps them as exported. Local times are taken as "
                f"'{ctx.settings.survey_timezone}' (CJM_SURVEY_TIMEZONE)."
            )
        nps, nps_note = find_nps_column(keys, questions, ctx.settings.nps_question)
        if nps_note:
            notes.append(nps_note)
        if nps is None:
            notes.append(
                "No NPS question found (no question asks how likely the respondent is to "
                "recommend), so nps_score is empty for every response of this file; set "
                "CJM_SURVEY_NPS_QUESTION to its question text if the survey has one."
            )
        else:
            roles["nps_score"] = nps
        wanted_csat = {q.strip().lower() for q in ctx.settings.csat_questions}
        csat = next(
            (i for i, k in enumerate(keys) if wanted_csat & {k.lower(), questions[i].lower()}),
            None,
        )
        if csat is not None:
            roles["csat_score"] = csat
        subs = sub_headers(row1, head.records[1])
        open_ended = [i for i, s in enumerate(subs) if s.lower() == _OPEN_ENDED]
        comments, comment_note = choose_comment_columns(
            ctx.settings.comment_question, open_ended, keys, questions
        )
        if comment_note:
            notes.append(comment_note)
        unique = unique_keys(keys)
        if len(set(keys)) != len(keys):
            notes.append(
                "Some question and sub-header pairs occur twice; answers_json suffixes repeats "
                "with ' (n)'."
            )
        return SurveyLayout(
            tool="SurveyMonkey",
            source_format=self.name,
            survey_name=survey_name_of(ctx.source_file),
            source_timezone=ctx.settings.survey_timezone,
            header_rows=HEADER_ROWS,
            ids=keys,
            roles=roles,
            comment_columns=comments,
            answer_keys=[(k, i) for i, k in enumerate(unique)],
            expressions=expressions,
        )
